"""Shared fixtures. Every server a test starts binds 127.0.0.1 port 0 and is stopped by the test."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

# -- the bridge's pages, without depending on the real web/ and static/ ---------------------

# Dumps the whole template context, so tests can assert on it exactly.
CONTEXT_TEMPLATE = """<!doctype html>
<title>Block Attack (test page)</title>
<script type="application/json" id="context">{{ {"base_path": base_path,
 "game_name": game_name, "share_base": share_base, "static_url": static_url,
 "ws_path": ws_path} | tojson }}</script>
"""
STATIC_TEXT = "static file for the bridge tests\n"

_CONTEXT = re.compile(r'<script type="application/json" id="context">(.*?)</script>', re.S)


@dataclass(frozen=True)
class SiteDirs:
    templates_dir: Path
    static_dir: Path


@pytest.fixture
def site_dirs(tmp_path: Path) -> SiteDirs:
    """A templates dir whose index.html shows its context, and a static dir with test.txt."""
    templates_dir = tmp_path / "web"
    static_dir = tmp_path / "static"
    templates_dir.mkdir()
    static_dir.mkdir()
    (templates_dir / "index.html").write_text(CONTEXT_TEMPLATE)
    (static_dir / "test.txt").write_text(STATIC_TEXT)
    return SiteDirs(templates_dir, static_dir)


def page_context(html: str) -> dict[str, object]:
    """The context a page made from CONTEXT_TEMPLATE was rendered with."""
    found = _CONTEXT.search(html)
    assert found is not None, f"no context in page: {html[:200]!r}"
    return json.loads(found.group(1))


# -- a fake UDP game server ------------------------------------------------------------------


class _Recorder(asyncio.DatagramProtocol):
    def __init__(self, received: asyncio.Queue[tuple[bytes, tuple[str, int]]]) -> None:
        self.received = received

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.put_nowait((data, addr))


@dataclass
class FakeServer:
    """Records every datagram; a test answers by hand with `send`."""

    address: tuple[str, int]
    transport: asyncio.DatagramTransport
    received: asyncio.Queue[tuple[bytes, tuple[str, int]]]

    async def next(self, timeout: float = 5.0) -> tuple[dict[str, object], tuple[str, int]]:
        data, addr = await asyncio.wait_for(self.received.get(), timeout)
        return json.loads(data), addr

    def send(self, message: dict[str, object] | bytes, addr: tuple[str, int]) -> None:
        data = message if isinstance(message, bytes) else json.dumps(message).encode()
        self.transport.sendto(data, addr)


@pytest.fixture
async def fake_server() -> AsyncIterator[FakeServer]:
    loop = asyncio.get_running_loop()
    received: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Recorder(received), local_addr=("127.0.0.1", 0)
    )
    host, port = transport.get_extra_info("sockname")[:2]
    try:
        yield FakeServer((host, port), transport, received)
    finally:
        transport.close()


# -- the bridge's app on a test client, relaying to the fake server -------------------------

REPO_DIR = Path(__file__).resolve().parent.parent
CONNECT = {"command": "connect", "self": "alice", "opponent": "bob"}
ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


def host_of(client: TestClient[Any, Any]) -> str:
    return f"127.0.0.1:{client.port}"


def origin_of(client: TestClient[Any, Any]) -> str:
    return f"http://{host_of(client)}"



@pytest.fixture
def make_client(
    aiohttp_client: Any, site_dirs: SiteDirs, fake_server: FakeServer
) -> ClientFactory:
    """Makes a test client for the bridge's app: the test pages, the fake server, `overrides`."""
    from bridge.app import init_app
    from bridge.settings import BridgeSettings

    async def make(**overrides: Any) -> TestClient[Any, Any]:
        settings = BridgeSettings(
            **{
                "server": fake_server.address,
                "templates_dir": site_dirs.templates_dir,
                "static_dir": site_dirs.static_dir,
                **overrides,
            }
        )
        return await aiohttp_client(init_app(settings))

    return make


# -- every replay kept during a test verifies (tests/replay_audit.py) --------------------------


@pytest.fixture(autouse=True)
def replay_audit(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from tests.replay_audit import install

    audit = install(monkeypatch)
    yield audit
    problems = audit.problems()
    if problems:
        pytest.fail("\n".join(problems))


# -- the real UDP game server ------------------------------------------------------------------


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[str, int]]]:
    """Starts real servers (server.udp) on free loopback ports, with these settings; returns each
    one's address. All stopped when the test ends."""
    from server.udp import RunningServer, ServerSettings, start_server

    started: list[RunningServer] = []

    def _start(**settings: Any) -> tuple[str, int]:
        running = start_server(ServerSettings(host="127.0.0.1", port=0, **settings))
        started.append(running)
        return running.address

    try:
        yield _start
    finally:
        for running in started:
            running.stop()


@pytest.fixture
def udp_server(serve: Callable[..., tuple[str, int]]) -> tuple[str, int]:
    """The real server with its default settings; its address."""
    return serve()
