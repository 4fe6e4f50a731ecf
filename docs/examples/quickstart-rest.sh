# docs/api.md, "Quick start": REST with curl, against `go run ./cmd/bosa-gateway --sandbox`.
API=http://127.0.0.1:8080
curl -s $API/healthz
curl -s -w '\n' $API/v1/connectors/google_drive
SECRET=$(curl -s -X POST $API/v1/users -d '{"identifier": "bob"}' | sed 's/.*"secret": *"\([^"]*\)".*/\1/')
TOKEN=$(curl -s -X POST $API/v1/auth/tokens -d "{\"identifier\": \"bob\", \"secret\": \"$SECRET\"}" | sed 's/.*"token": *"\([^"]*\)".*/\1/')
URL=$(curl -s -H "Authorization: Bearer $TOKEN" -X POST $API/v1/connectors/google_drive/integrations:initiate -d "{\"callback_url\": \"$API/healthz\"}" | sed 's/.*"url": *"\([^"]*\)".*/\1/')
curl -sL "$URL"
curl -s -w '\n' -H "Authorization: Bearer $TOKEN" -X POST "$API/v1/connectors/google_drive/actions/upload_file:execute" -d '{"files": [{"parameter": "file", "filename": "hello.txt", "content_type": "text/plain", "data": "aGVsbG8sIEJPU0EK"}]}'
curl -s -H "Authorization: Bearer $TOKEN" -X POST "$API/v1/connectors/google_drive/actions/list_files:paginate" -d '{"input": {"page_size": 3}, "response_fields": ["name"], "max_pages": 2}'
curl -s -w '\n' -H "Authorization: Bearer $TOKEN" -X POST "$API/v1/connectors/github/actions/get_repository:execute" -d '{"input": {"owner": "acme", "repo": "web"}}'
