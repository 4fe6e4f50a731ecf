"""Files: streamed downloads and uploads through the BOSA gateway, from Python.

Run against a gateway started with `go run ./cmd/bosa-gateway --sandbox`:

    python files.py localhost:50051
"""

import hashlib
import http.server
import secrets
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

from bosa.v1 import integration_pb2
from bosa_gateway import BosaError, Client, ErrorReason, Upload, to_python


def main(target: str) -> None:
    with Client(target, timeout=60) as client:
        identifier = "bob-" + secrets.token_hex(4)
        bob = client.authenticated(identifier, client.create_user(identifier).secret)
        connect_google_drive(bob)

        with tempfile.TemporaryDirectory() as tmp:
            # A 20 MiB file, streamed to disk in chunks: never whole in memory, here or in the gateway.
            path = Path(tmp) / "sample.bin"
            meta = bob.download("google_drive", "download_file", {"file_id": "f-20m"}, path)
            with open(path, "rb") as f:
                print(meta.filename, meta.size, hashlib.file_digest(f, "sha256").hexdigest()[:16])

            # Back up from disk, streamed the same way; the result is the action's, as with execute().
            copy = Upload(parameter="file", filename="copy.bin", content_type="application/octet-stream", content=path)
            uploaded = to_python(bob.upload("google_drive", "upload_file", {"description": "a copy"}, [copy]).data)
            print(uploaded["name"], uploaded["size"])

        # Small files as bytes.
        hello = bob.download_bytes("google_drive", "download_file", {"file_id": "f-hello"})
        print(hello.filename, hello.data)

        # Failures raise BosaError with the gRPC code and the ErrorInfo reason, as for every call.
        try:
            bob.download_bytes("google_drive", "download_file", {"file_id": "f-nope"})
        except BosaError as err:
            if err.error_reason == ErrorReason.NOT_FOUND:
                print(err.code.name, err.reason)


def connect_google_drive(client: Client) -> None:
    """OAuth2 as in the quickstart: the sandbox's consent page agrees at once and sends the
    browser (urllib here) to callback_url, a one-shot local page."""
    page = http.server.HTTPServer(("127.0.0.1", 0), CallbackPage)
    threading.Thread(target=page.handle_request, daemon=True).start()
    callback_url = f"http://127.0.0.1:{page.server_port}/done"
    req = integration_pb2.InitiateIntegrationRequest(connector="google_drive", callback_url=callback_url)
    urllib.request.urlopen(client.integrations.InitiateIntegration(req).url, timeout=10).close()
    page.server_close()


class CallbackPage(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "localhost:50051")
