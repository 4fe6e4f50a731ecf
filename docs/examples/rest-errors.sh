# docs/rest.md, "Errors": an unknown connector and a wrong method, against `go run ./cmd/bosa-gateway --sandbox`.
API=http://127.0.0.1:8080
curl -s -i -w '\n' $API/v1/connectors/nope
curl -s -i -w '\n' -X PUT $API/v1/connectors
