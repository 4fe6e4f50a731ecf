# docs/configuration.md, "Limits": one caller over its rate limit, against
# `go run ./cmd/bosa-gateway --sandbox --max-upstream-concurrency 16 --rate-limit 20 --rate-burst 40`.
API=http://127.0.0.1:8080
curl -s -o /dev/null -w '%{http_code}\n' "$API/v1/connectors?call=[1-300]" | sort | uniq -c
curl -s $API/metrics | grep '^bosa_gateway_rate_limited_total'
