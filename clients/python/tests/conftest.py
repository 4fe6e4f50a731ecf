"""Fixtures: a real `bosa-gateway --sandbox` on free ports, built from this repository."""

from __future__ import annotations

import concurrent.futures
import http.server
import io
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from bosa.v1 import connector_pb2_grpc, integration_pb2
from bosa_gateway import Client

REPO = Path(__file__).resolve().parents[3]


@dataclass
class Gateway:
    """A running gateway: its gRPC target ("host:port") and REST base URL."""

    target: str
    http_base: str


@pytest.fixture(scope="session")
def gateway_binary() -> Iterator[str]:
    """cmd/bosa-gateway, built once per session."""
    with tempfile.TemporaryDirectory() as tmp:
        binary = os.path.join(tmp, "bosa-gateway")
        subprocess.run(["go", "build", "-o", binary, "./cmd/bosa-gateway"], cwd=REPO, check=True)
        yield binary


@pytest.fixture(scope="session")
def gateway(gateway_binary: str) -> Iterator[Gateway]:
    """Runs the gateway with --sandbox on ports the OS picks (":0")."""
    proc = GatewayProcess(gateway_binary)
    try:
        yield proc.start("127.0.0.1:0")
    finally:
        proc.stop()


class GatewayProcess:
    """A bosa-gateway --sandbox process that can be stopped and started again; the addresses are
    read from the session banner it prints, then /healthz is polled."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()

    def spawn(self, grpc_addr: str) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--sandbox", "--grpc-addr", grpc_addr, "--http-addr", "127.0.0.1:0", "--log-level", "warn"],
            stdout=subprocess.PIPE,
            stderr=self.log,
        )

    def start(self, grpc_addr: str) -> Gateway:
        self.spawn(grpc_addr)
        return self.ready()

    def ready(self) -> Gateway:
        assert self.proc is not None
        return _wait_ready(self.proc, self.log)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def _wait_ready(proc: subprocess.Popen[bytes], log) -> Gateway:
    assert proc.stdout is not None
    banner = ""
    deadline = time.monotonic() + 30
    grpc_addr = http_base = None
    while grpc_addr is None or http_base is None:
        line = proc.stdout.readline().decode()
        if not line or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"gateway did not start (exit {proc.poll()}): {banner}{log.read().decode()}")
        banner += line
        if m := re.search(r"gRPC \((\S+?)\)", line):
            grpc_addr = m.group(1)
        if m := re.search(r"REST \((https?://\S+?)\)", line):
            http_base = m.group(1)
    # Keep draining stdout so the gateway never blocks on a full pipe.
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    while True:
        try:
            with urllib.request.urlopen(http_base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return Gateway(grpc_addr, http_base)
        except (urllib.error.URLError, ConnectionError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("gateway /healthz never answered 200")
        time.sleep(0.05)


@pytest.fixture()
def client(gateway: Gateway) -> Iterator[Client]:
    """A client without user credentials (the sandbox gateway needs no API key)."""
    with Client(gateway.target, timeout=30) as c:
        yield c


@pytest.fixture()
def identifier() -> str:
    """A user identifier no other test uses."""
    return "user-" + uuid.uuid4().hex[:12]


@dataclass
class Callback:
    """A local HTTP server standing in for the application's OAuth2 callback page."""

    url: str
    queries: list[str]


@pytest.fixture()
def callback() -> Iterator[Callback]:
    queries: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            queries.append(self.path)
            body = b"integration connected"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield Callback(f"http://127.0.0.1:{srv.server_address[1]}/oauth/done", queries)
    finally:
        srv.shutdown()
        srv.server_close()


def connect(client: Client, connector: str, callback: Callback) -> None:
    """Runs the OAuth2 round trip: InitiateIntegration, then the user's browser, played by
    urllib, follows the authorization URL and its redirects to the callback page."""
    started = client.integrations.InitiateIntegration(
        integration_pb2.InitiateIntegrationRequest(connector=connector, callback_url=callback.url)
    )
    with urllib.request.urlopen(started.url, timeout=10) as resp:
        assert resp.status == 200
        assert resp.url.startswith(callback.url), resp.url
        assert resp.read() == b"integration connected"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(callback.queries[-1]).query)
    assert "error" not in query, query


@dataclass
class User:
    identifier: str
    client: Client  # carries the user's token


@pytest.fixture()
def user(client: Client, identifier: str) -> Iterator[User]:
    created = client.create_user(identifier)
    yield User(identifier, client.authenticated(identifier, created.secret))


@pytest.fixture()
def connected(user: User, callback: Callback) -> User:
    """A user with GitHub and Google Drive connected through OAuth2."""
    connect(user.client, "github", callback)
    connect(user.client, "google_drive", callback)
    return user


class Unseekable(io.RawIOBase):
    """A stream whose size is unknown, like a pipe: the upload declares size -1."""

    def __init__(self, data: bytes) -> None:
        self._src = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        return self._src.readinto(b)


class Stalled(connector_pb2_grpc.ConnectorServiceServicer):
    """A ConnectorService that never answers ListConnectors: it records the deadline it was given and
    waits until the test ends, so a call can only end by its own deadline."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.remaining: list[float | None] = []

    def ListConnectors(self, request: object, context: grpc.ServicerContext) -> object:
        self.remaining.append(context.time_remaining())
        self.release.wait(30)
        context.abort(grpc.StatusCode.UNAVAILABLE, "released")


@pytest.fixture()
def stalled() -> Iterator[tuple[str, Stalled]]:
    """A grpcio server (not the gateway) whose ListConnectors never answers."""
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(4))
    servicer = Stalled()
    connector_pb2_grpc.add_ConnectorServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", servicer
    finally:
        servicer.release.set()
        server.stop(None)
