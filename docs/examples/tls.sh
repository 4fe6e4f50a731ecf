# docs/configuration.md, "TLS": calls with and without a client certificate, against
# `go run ./cmd/bosa-gateway --sandbox --tls-cert server.pem --tls-key server-key.pem --tls-client-ca ca.pem`.
curl -s --cacert ca.pem --cert client.pem --key client-key.pem https://127.0.0.1:8080/healthz
curl -s --cacert ca.pem https://127.0.0.1:8080/healthz || echo "curl: refused without a client certificate (exit $?)"
grpcurl() { go run github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4 "$@"; }
grpcurl -cacert ca.pem -cert client.pem -key client-key.pem 127.0.0.1:50051 grpc.health.v1.Health/Check
grpcurl -cacert ca.pem 127.0.0.1:50051 grpc.health.v1.Health/Check || echo "grpcurl: refused without a client certificate (exit $?)"
