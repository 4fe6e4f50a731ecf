"""Fixtures: a real `bosa-gateway --sandbox` on free ports, built from this repository, and a user
with a token and a GitHub integration, made over REST."""

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

REPO = Path(__file__).resolve().parents[2]


@dataclass
class User:
    """A sandbox user with a bearer token and a GitHub integration."""

    identifier: str
    token: str


@pytest.fixture(scope="session")
def gateway() -> Iterator[str]:
    """Builds cmd/bosa-gateway, runs it with --sandbox on a port the OS picks and yields its REST
    base URL (read from the session banner), once /healthz answers."""
    with tempfile.TemporaryDirectory() as tmp:
        binary = os.path.join(tmp, "bosa-gateway")
        subprocess.run(["go", "build", "-o", binary, "./cmd/bosa-gateway"], cwd=REPO, check=True)
        log = open(os.path.join(tmp, "gateway.log"), "w+b")
        proc = subprocess.Popen(
            [binary, "--sandbox", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-level", "warn"],
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
            log.seek(0)
            # A panic or an unstructured line in the gateway's log is a failure of the run.
            for line in log.read().decode(errors="replace").splitlines():
                assert "panic" not in line, line
            log.close()


def _wait_ready(proc: subprocess.Popen[bytes], log) -> str:
    assert proc.stdout is not None
    banner = ""
    deadline = time.monotonic() + 60
    base = None
    while base is None:
        line = proc.stdout.readline().decode()
        if not line or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"gateway did not start (exit {proc.poll()}): {banner}{log.read().decode()}")
        banner += line
        if m := re.search(r"REST \((https?://\S+?)\)", line):
            base = m.group(1)
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return base
        except (urllib.error.URLError, ConnectionError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("gateway /healthz never answered 200")
        time.sleep(0.05)


def _post(url: str, body: dict, token: str | None = None) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def link_github(base: str, token: str) -> None:
    """Runs the sandbox's OAuth2 flow for GitHub: the consent page redirects to the callback."""
    url = _post(f"{base}/v1/connectors/github/integrations:initiate", {"callback_url": base + "/healthz"}, token)["url"]
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.status == 200


@pytest.fixture(scope="session")
def github_user(gateway: str) -> User:
    """A user with a token and a GitHub integration (made with plain HTTP, not the generated client)."""
    ident = "openapi-" + uuid.uuid4().hex[:10]
    secret = _post(gateway + "/v1/users", {"identifier": ident})["secret"]
    token = _post(gateway + "/v1/auth/tokens", {"identifier": ident, "secret": secret})["token"]
    link_github(gateway, token)
    return User(ident, token)
