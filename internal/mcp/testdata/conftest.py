"""Fixtures: a real `bosa-gateway --sandbox` on free ports, built from this repository, and users
made over its REST face. Third-party MCP clients (the `mcp` package, the MCP Inspector) then talk
to its /mcp endpoint, configured from docs/mcp-client.json."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CLIENT_CONFIG = REPO / "docs" / "mcp-client.json"
# The placeholders of docs/mcp-client.json that a reader replaces.
DOC_BASE = "http://127.0.0.1:8080"
DOC_TOKEN = "YOUR_BOSA_USER_TOKEN"
# The gateway's MCP file limit here: hello.txt (29 bytes) fits, sample-1KiB.bin does not.
MAX_FILE = 512


@dataclass
class Gateway:
    http_base: str


@pytest.fixture(scope="session")
def gateway() -> Iterator[Gateway]:
    with tempfile.TemporaryDirectory() as tmp:
        binary = os.path.join(tmp, "bosa-gateway")
        subprocess.run(["go", "build", "-o", binary, "./cmd/bosa-gateway"], cwd=REPO, check=True)
        log = open(os.path.join(tmp, "gateway.log"), "w+b")
        proc = subprocess.Popen(
            [binary, "--sandbox", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
             "--log-level", "warn", "--mcp-max-file-bytes", str(MAX_FILE)],
            stdout=subprocess.PIPE,
            stderr=log,
        )
        try:
            yield _wait_ready(proc, log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def _wait_ready(proc: subprocess.Popen[bytes], log) -> Gateway:
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    banner = ""
    while True:
        line = proc.stdout.readline().decode()
        if not line or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"gateway did not start (exit {proc.poll()}): {banner}{log.read().decode()}")
        banner += line
        if m := re.search(r"REST \((https?://\S+?)\)", line):
            base = m.group(1)
            break
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return Gateway(base)
        except (urllib.error.URLError, ConnectionError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("gateway /healthz never answered 200")
        time.sleep(0.05)


def rest(base: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body or {}).encode())
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


class _StopAt(urllib.request.HTTPRedirectHandler):
    """Follows the OAuth2 redirects up to the application's callback, which does not exist here."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.reached = False

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 (urllib's signature)
        if newurl.startswith(self.prefix):
            self.reached = True
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def make_user(base: str, *connectors: str) -> str:
    """Creates a user, links the connectors through the OAuth2 flow, and returns its token."""
    identifier = "mcp-" + uuid.uuid4().hex[:12]
    created = rest(base, "POST", "/v1/users", {"identifier": identifier})
    token = rest(base, "POST", "/v1/auth/tokens", {"identifier": identifier, "secret": created["secret"]})["token"]
    callback = "http://callback.invalid/connected"
    for c in connectors:
        url = rest(base, "POST", f"/v1/connectors/{c}/integrations:initiate", {"callback_url": callback}, token)["url"]
        stop = _StopAt(callback)
        try:
            urllib.request.build_opener(stop).open(url, timeout=30)
        except urllib.error.HTTPError as e:
            if not stop.reached:
                raise
            e.close()
        assert stop.reached, "the OAuth2 flow did not reach the callback"
    return token


def client_config(base: str, token: str) -> dict:
    """docs/mcp-client.json with its placeholders filled in."""
    text = CLIENT_CONFIG.read_text().replace(DOC_BASE, base).replace(DOC_TOKEN, token)
    return json.loads(text)


@pytest.fixture(scope="session")
def token(gateway: Gateway) -> str:
    """A user with GitHub and Google Drive linked."""
    return make_user(gateway.http_base, "github", "google_drive")
