# docs/sandbox.md, "Walk-through with curl" and "Fault control", in order, against `go run ./cmd/bosa-sandbox --control`.
B=http://127.0.0.1:8765
K=sk-client-sandbox-demo

# 1. Discovery is public.
curl -s $B/connectors/names
curl -s "$B/connectors/?modules=github" | jq '.github | keys'

# 2. Create a user; its secret is shown only once.
SECRET=$(curl -s -X POST $B/users -H "X-API-Key: $K" -H 'Content-Type: application/json' \
  -d '{"identifier": "alice"}' | jq -r .data.secret)

# 3. Exchange identifier + secret for a token (an HS256 JWT, valid 24 h, only with this client key).
TOKEN=$(curl -s -X POST $B/auth/tokens -H "X-API-Key: $K" -H 'Content-Type: application/json' \
  -d "{\"identifier\": \"alice\", \"secret\": \"$SECRET\"}" | jq -r .data.token)
curl -s $B/users/me -H "X-API-Key: $K" -H "Authorization: Bearer $TOKEN" | jq .data

# 4. Connect GitHub: get the authorization URL, then open it. The sandbox consents at once and
#    redirects to the callback route, which stores the integration and redirects to callback_url.
AUTH_URL=$(curl -s -X POST $B/connectors/github/integrations -H "X-API-Key: $K" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d "{\"callback_url\": \"$B/connectors/github/success-authorize-callback\"}" | jq -r .data.url)
curl -sL "$AUTH_URL"
curl -s $B/connectors/github/integration-exists -H "X-API-Key: $K" -H "Authorization: Bearer $TOKEN"

# 5. Pull requests of acme/web, page 2, three per page, only some fields.
curl -s -X POST $B/connectors/github/list_pull_requests -H "X-API-Key: $K" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"owner": "acme", "repo": "web", "state": "all", "page": 2, "per_page": 3, "response_fields": ["number", "title", "user.login"]}' | jq

# 6. Connect Google Drive as another account (a login appended to the URL overrides the default one),
#    then upload a file as multipart and download it back.
AUTH_URL=$(curl -s -X POST $B/connectors/google_drive/integrations -H "X-API-Key: $K" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d "{\"callback_url\": \"$B/connectors/google_drive/success-authorize-callback\"}" | jq -r .data.url)
curl -sL "$AUTH_URL&login=alice.work@example.com"
head -c 1048576 /dev/urandom > /tmp/blob.bin
FILE_ID=$(curl -s -X POST $B/connectors/google_drive/upload_file -H "X-API-Key: $K" -H "Authorization: Bearer $TOKEN" \
  -F folder_id=fld-reports -F 'file=@/tmp/blob.bin;type=application/octet-stream' | jq -r .data.id)
curl -s -X POST $B/connectors/google_drive/download_file -H "X-API-Key: $K" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d "{\"file_id\": \"$FILE_ID\"}" -D - -o /tmp/blob.out
cmp /tmp/blob.bin /tmp/blob.out && echo "downloaded bytes are identical"

curl -s -X POST $B/connectors/github/list_commits -H 'Content-Type: application/json' -d '{"owner": "acme", "repo": "web"}' | jq -c 'del(.error.request_id)'
# {"error":{"code":"INVALID_CLIENT","message":"Missing credentials: send a user token (Authorization: Bearer …) or X-API-Key","recovery":{"retryable":false},"type":"InvalidClient"}}

curl -s -X POST $B/sandbox/control/faults -H 'Content-Type: application/json' \
  -d '{"connector": "github", "action": "list_pull_requests", "status": 429, "retry_after_seconds": 2, "times": 1}'
curl -si -X POST $B/connectors/github/list_pull_requests -H "X-API-Key: $K" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{"owner": "acme", "repo": "web"}' | grep -i -e '^HTTP' -e '^retry-after'
curl -s "$B/sandbox/control/calls?connector=github&action=list_pull_requests"
curl -s -X DELETE $B/sandbox/control/faults
curl -s -X DELETE $B/sandbox/control/calls

curl -s -X POST $B/sandbox/control/users -H "X-API-Key: $K" -d '{"identifier": "alice", "is_active": false}' | jq .data.is_active
curl -s $B/users/me -H "X-API-Key: $K" -H "Authorization: Bearer $TOKEN" | jq -c 'del(.error.request_id)'
# {"error":{"code":"FORBIDDEN","message":"User is inactive","recovery":{"retryable":false},"type":"Forbidden"}}
curl -s -X POST $B/sandbox/control/users -H "X-API-Key: $K" -d '{"identifier": "alice", "is_active": true}' | jq .data.is_active
