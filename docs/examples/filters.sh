# docs/api.md, "Response fields and filters": after the gRPC quick start (GW, TOKEN: alice's, who linked GitHub).
grpcurl -plaintext -H "authorization: Bearer $TOKEN" -d @ $GW bosa.v1.ActionService/ExecuteAction < filters.json
