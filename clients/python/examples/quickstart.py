"""Quickstart: one user's journey through the BOSA gateway, from Python.

Run against a gateway started with `go run ./cmd/bosa-gateway --sandbox`:

    python quickstart.py localhost:50051
"""

import http.server
import secrets
import sys
import threading
import urllib.request
import uuid
from typing import Any

from bosa.v1 import integration_pb2
from bosa_gateway import BosaError, Client, ErrorReason, File, to_python


def main(target: str) -> None:
    # Without user credentials: add api_key="sk-client-..." when the gateway has no key of its own.
    with Client(target, timeout=30) as client:
        identifier = "alice-" + secrets.token_hex(4)  # unique within the BOSA client
        # user.secret is shown only here; a retry with the same request_id creates nothing twice.
        user = client.create_user(identifier, request_id=str(uuid.uuid4()))
        # Same channel, sends the user's bearer token, authenticating again before it expires.
        alice = client.authenticated(identifier, user.secret)

        # OAuth2: send the user's browser to the authorization URL; BOSA stores the
        # integration and redirects the browser to callback_url.
        for connector in ("github", "google_drive"):
            with CallbackPage() as callback:
                req = integration_pb2.InitiateIntegrationRequest(connector=connector, callback_url=callback.url)
                url = alice.integrations.InitiateIntegration(req).url
                open_in_browser(url)
                print(connector, "connected:", "error" not in callback.query)

        # One action; data and meta are google.protobuf values, to_python makes them plain.
        repo = to_python(alice.execute("github", "get_repository", {"owner": "acme", "repo": "web"}).data)
        print(repo["full_name"], "is", "private" if repo["private"] else "public")

        # Every page of a paged action, streamed.
        titles = []
        for page in alice.paginate("github", "list_pull_requests", {"owner": "acme", "repo": "web", "per_page": 20}):
            titles += [pr["title"] for pr in to_python(page.data)]
        print(len(titles), "open pull requests")

        # Files travel as bytes, both ways.
        report = File(parameter="file", filename="q3.csv", content_type="text/csv", data=b"quarter,total\nq3,42\n")
        uploaded = to_python(alice.execute("google_drive", "upload_file", {}, files=[report]).data)
        got = alice.execute("google_drive", "download_file", {"file_id": uploaded["id"]}).file
        print(got.filename, got.content_type, got.data == report.data)

        # Failures raise BosaError with the gRPC code and the stable ErrorInfo reason, which
        # error_reason gives as a generated ErrorReason constant.
        try:
            alice.execute("github", "get_repository", {"owner": "acme"})
        except BosaError as err:
            if err.error_reason == ErrorReason.INVALID_PARAMETERS:
                print(err.code.name, err.reason, err.field_violations)


def open_in_browser(url: str) -> None:
    """Stands in for the user's browser: the sandbox's consent page agrees at once."""
    urllib.request.urlopen(url, timeout=10).close()


class CallbackPage(http.server.ThreadingHTTPServer):
    """The application's OAuth2 callback page, on a free local port."""

    def __init__(self) -> None:
        page = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page.query = self.path.partition("?")[2]
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/integrations/done"
        self.query = ""
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()
        super().__exit__(*exc)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "localhost:50051")
