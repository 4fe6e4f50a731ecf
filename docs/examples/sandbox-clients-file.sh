# docs/sandbox.md, "Start it": a clients file, written before `go run ./cmd/bosa-sandbox --clients-file /tmp/clients.json`.
cat > /tmp/clients.json <<'JSON'
[
  {"name": "team-a", "api_key": "sk-client-team-a-local"},
  {"name": "team-b", "api_key": "sk-client-team-b-local"}
]
JSON
