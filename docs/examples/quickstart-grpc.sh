# docs/api.md, "Quick start": gRPC with grpcurl, against `go run ./cmd/bosa-gateway --sandbox`.
grpcurl() { go run github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4 "$@"; }
GW=127.0.0.1:50051
grpcurl -plaintext $GW list
grpcurl -plaintext $GW describe bosa.v1.ActionService
SECRET=$(grpcurl -plaintext -d '{"identifier": "alice"}' $GW bosa.v1.UserService/CreateUser | sed -n 's/.*"secret": *"\(.*\)".*/\1/p')
TOKEN=$(grpcurl -plaintext -d "{\"identifier\": \"alice\", \"secret\": \"$SECRET\"}" $GW bosa.v1.UserService/AuthenticateUser | sed -n 's/.*"token": *"\(.*\)".*/\1/p')
URL=$(grpcurl -plaintext -H "authorization: Bearer $TOKEN" -d '{"connector": "github", "callback_url": "http://127.0.0.1:8080/healthz"}' $GW bosa.v1.IntegrationService/InitiateIntegration | sed -n 's/.*"url": *"\(.*\)".*/\1/p' | sed 's/\\u0026/\&/g')
curl -sL "$URL"
grpcurl -plaintext -H "authorization: Bearer $TOKEN" -d '{"connector": "github", "action": "get_repository", "input": {"owner": "acme", "repo": "web"}, "response_fields": ["full_name", "viewer_login"]}' $GW bosa.v1.ActionService/ExecuteAction
grpcurl -plaintext -H "authorization: Bearer $TOKEN" -d '{"connector": "github", "action": "list_pull_requests", "input": {"owner": "acme", "repo": "api", "per_page": 2}, "response_fields": ["number", "title"], "max_pages": 2, "prefetch": 1}' $GW bosa.v1.ActionService/Paginate
grpcurl -plaintext -H "authorization: Bearer $TOKEN" -d '{"connector": "github", "action": "get_repository", "input": {"owner": "acme", "repo": "nope"}}' $GW bosa.v1.ActionService/ExecuteAction
