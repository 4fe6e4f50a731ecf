# docs/api.md, "Files": DownloadFile and UploadFiles with grpcurl, after the quick start (GW, TOKEN: bob's, who linked Google Drive).
grpcurl -plaintext -H "authorization: Bearer $TOKEN" -d '{"connector": "google_drive", "action": "download_file", "input": {"file_id": "f-hello"}, "chunk_size": 16}' $GW bosa.v1.ActionService/DownloadFile
grpcurl -plaintext -H "authorization: Bearer $TOKEN" -d '{"header": {"connector": "google_drive", "action": "upload_file", "input": {"folder_id": "fld-reports"}, "response_fields": ["id", "name", "size"], "files": [{"parameter": "file", "filename": "hello.txt", "content_type": "text/plain", "size": 12}]}}
{"chunk": {"file_index": 0, "data": "aGVsbG8s"}}
{"chunk": {"file_index": 0, "data": "IEJPU0EK"}, "finish": true}' $GW bosa.v1.ActionService/UploadFiles
