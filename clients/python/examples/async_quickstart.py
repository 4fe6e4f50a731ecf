"""The asyncio client: a user, a linked account, pages, and an error, from Python's asyncio.

Run against a gateway started with `go run ./cmd/bosa-gateway --sandbox`:

    python async_quickstart.py localhost:50051
"""

import asyncio
import http.server
import secrets
import sys
import threading
import urllib.request

from bosa_gateway import AsyncClient, BosaError, ErrorReason, to_python


async def main(target: str) -> None:
    # Every call gets a 30 s deadline (timeout=...) and the published retry policy.
    async with AsyncClient(target) as client:
        identifier = "carol-" + secrets.token_hex(4)
        user = await client.create_user(identifier)
        carol = await client.authenticated(identifier, user.secret)  # refreshes the token before it expires

        # OAuth2: link_integration hands the authorization URL to open_url (the user's browser),
        # then polls CheckIntegration with backoff until the account is linked.
        with CallbackPage() as callback:
            await carol.link_integration("github", callback.url, open_in_browser, timeout=60)
        print("github linked")

        # Pages as an async iterator; leaving the loop early cancels the stream.
        request = {"owner": "acme", "repo": "web", "per_page": 20}
        async for page in carol.paginate("github", "list_pull_requests", request):
            print("page", page.index, len(to_python(page.data)), "pull requests")
            if page.index == 1:
                break

        try:
            await carol.execute("github", "get_repository", {"owner": "acme"})
        except BosaError as err:
            if err.error_reason == ErrorReason.INVALID_PARAMETERS:
                print(err.code.name, err.reason, err.field_violations)


async def open_in_browser(url: str) -> None:
    """Stands in for the user's browser: the sandbox's consent page agrees at once."""
    await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).close())


class CallbackPage(http.server.ThreadingHTTPServer):
    """The application's OAuth2 callback page, on a free local port."""

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/integrations/done"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "localhost:50051"))
