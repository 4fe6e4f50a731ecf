# docs/sandbox.md, "Start it": a seeded client's key at work.
curl -s -X POST http://127.0.0.1:8765/users -H 'X-API-Key: sk-client-team-a-local' -d '{"identifier": "alice"}' | jq .data.client_id
