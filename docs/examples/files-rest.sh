# docs/api.md, "Files": the REST :upload and :download routes with curl, after the quick start (API, TOKEN).
head -c 5000000 /dev/urandom > report.bin
curl -s -w '\n' -H "Authorization: Bearer $TOKEN" -F 'request={"input": {"folder_id": "fld-reports"}, "response_fields": ["id", "name", "size"]}' -F 'file=@report.bin;type=application/octet-stream' "$API/v1/connectors/google_drive/actions/upload_file:upload"
curl -s -OJ -H "Authorization: Bearer $TOKEN" -X POST "$API/v1/connectors/google_drive/actions/download_file:download" -d '{"input": {"file_id": "f-1m"}}'
wc -c sample-1MiB.bin
