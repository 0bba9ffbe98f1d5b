"""The guarded listening socket, on loopback with real aiohttp servers: connection caps in total
and per address, eviction of header-less connections, the header timeout, the 503 page, and the
1013 close; plus the rate-limited log. Every count here is the cap plus a few, never thousands."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
import pytest

from bridge.app import Serving, serving
from bridge.listener import BUSY_TEXT, CROWDED_TEXT
from bridge.log_limit import RateLimitFilter
from bridge.settings import BridgeSettings
from tests.conftest import CONNECT, FakeServer, SiteDirs

HALF_HEADER = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
HEALTH = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

Bridge = Callable[..., AbstractAsyncContextManager[Serving]]


@pytest.fixture
def bridge(site_dirs: SiteDirs, fake_server: FakeServer) -> Bridge:
    """serving(settings) on 127.0.0.1, port 0, with the test pages and `overrides`."""

    def make(**overrides: Any) -> AbstractAsyncContextManager[Serving]:
        return serving(BridgeSettings(**{
            "port": 0, "server": fake_server.address,
            "templates_dir": site_dirs.templates_dir, "static_dir": site_dirs.static_dir,
            **overrides,
        }))

    return make


class Peer:
    """One raw TCP connection to the bridge, from `source`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int, source: str = "127.0.0.1", send: bytes = b"") -> Peer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        peer = cls(reader, writer)
        if send:
            await peer.send(send)
        return peer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self) -> tuple[int, str]:
        """The status and body of one response (the bridge's answers all have a length)."""
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
        lines = head.decode().split("\r\n")
        length = next(int(line.split(":")[1]) for line in lines
                      if line.lower().startswith("content-length:"))
        body = await asyncio.wait_for(self.reader.readexactly(length), 10)
        return int(lines[0].split()[1]), body.decode()

    async def closed(self) -> bool:
        """Whether the bridge closes this connection (waits up to 10 s for it)."""
        try:
            data = await asyncio.wait_for(self.reader.read(65536), 10)
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
        return data == b""

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def peers() -> AsyncIterator[list[Peer]]:
    """Connections a test opens; all closed at its end."""
    opened: list[Peer] = []
    yield opened
    for peer in opened:
        peer.close()


async def _served(port: int, source: str = "127.0.0.1") -> int:
    peer = await Peer.open(port, source, HEALTH)
    try:
        return (await peer.response())[0]
    finally:
        peer.close()


async def test_connections_per_address_are_capped_and_others_still_get_in(
    bridge: Bridge, peers: list[Peer]
) -> None:
    async with bridge(max_connections_per_ip=3) as running:
        for _ in range(3):
            peer = await Peer.open(running.port, send=HEALTH)
            assert (await peer.response())[0] == 200  # a keep-alive connection, held
            peers.append(peer)
        for _ in range(3):  # the cap and a few more: each refused at once, before any read
            over = await Peer.open(running.port, send=HEALTH)
            peers.append(over)
            status, body = await over.response()
            assert (status, CROWDED_TEXT in body) == (429, True)
            assert await over.closed()
        assert running.guard.stats.refused_per_ip == 3
        assert await _served(running.port, "127.0.0.2") == 200  # another address
        peers[0].close()
        for _ in range(500):  # the bridge sees the close within a few loop turns
            if running.guard.count("127.0.0.1") < 3:
                break
            await asyncio.sleep(0.01)
        assert await _served(running.port) == 200  # a slot came free


async def test_at_the_total_cap_a_busy_page_and_the_process_never_holds_more(
    bridge: Bridge, peers: list[Peer]
) -> None:
    async with bridge(max_connections=4) as running:
        for n in range(4):  # connections that have sent their request: nothing to evict
            peer = await Peer.open(running.port, f"127.0.0.{n + 1}", HEALTH)
            assert (await peer.response())[0] == 200
            peers.append(peer)
        for _ in range(3):
            over = await Peer.open(running.port, "127.0.0.9", HEALTH)
            peers.append(over)
            status, body = await over.response()
            assert status == 503
            assert BUSY_TEXT in body and "try again in a minute" in body
            assert await over.closed()
            assert running.guard.open <= 4
        assert running.guard.stats.refused_busy == 3


async def test_a_flood_of_half_headers_gives_way_to_a_real_request(
    bridge: Bridge, peers: list[Peer]
) -> None:
    """1,100 stalled half-headers from one IP once filled the open-file limit. At the total cap a
    newcomer evicts the oldest connection still owing its header from the address holding the
    most of those: a flooding address only meets the busy page, and a browser (its request whole
    in its first packet) gets in at the flood's expense."""
    async with bridge(max_connections=6, max_connections_per_ip=100) as running:
        for _ in range(6):
            peers.append(await Peer.open(running.port, "127.0.0.5", HALF_HEADER))
        for _ in range(3):  # the flood's own newcomers make no room for themselves
            over = await Peer.open(running.port, "127.0.0.5", HALF_HEADER)
            peers.append(over)
            assert (await over.response())[0] == 503
        assert await _served(running.port, "127.0.0.6") == 200
        assert (running.guard.open, running.guard.stats.evicted) == (6, 1)
        assert running.guard.stats.refused_busy == 3
        assert await peers[0].closed()  # the flood's oldest went


async def test_at_the_cap_the_address_holding_most_half_headers_gives_way(
    bridge: Bridge, peers: list[Peer]
) -> None:
    async with bridge(max_connections=5, max_connections_per_ip=100) as running:
        browser = await Peer.open(running.port, "127.0.0.7", HALF_HEADER[:10])  # still typing
        hog = [await Peer.open(running.port, "127.0.0.8", HALF_HEADER) for _ in range(3)]
        other = await Peer.open(running.port, "127.0.0.9", HALF_HEADER)
        peers.extend([browser, *hog, other])
        for n in range(2):  # newcomers from fresh addresses: the hog pays each time
            peers.append(await Peer.open(running.port, f"127.0.1.{n + 1}", HALF_HEADER))
            assert running.guard.stats.evicted == n + 1
        assert await hog[0].closed() and await hog[1].closed()
        await browser.send(HALF_HEADER[10:] + b"\r\n\r\n")
        assert (await browser.response())[0] == 200  # never the one to go


async def test_a_stalled_header_is_closed_after_the_header_timeout(
    bridge: Bridge, peers: list[Peer]
) -> None:
    async with bridge(header_seconds=0.3) as running:
        stalled = await Peer.open(running.port, send=HALF_HEADER)
        keep_alive = await Peer.open(running.port, send=HEALTH)
        peers.extend([stalled, keep_alive])
        assert (await keep_alive.response())[0] == 200
        assert await stalled.closed()
        assert running.guard.stats.header_timeouts == 1
        # A connection whose header arrived in time is the keep-alive timeout's, not this one's.
        await keep_alive.send(HEALTH)
        assert (await keep_alive.response())[0] == 200


async def test_an_idle_keep_alive_connection_is_closed(bridge: Bridge, peers: list[Peer]) -> None:
    async with bridge(keepalive_seconds=0.3) as running:
        peer = await Peer.open(running.port, send=HEALTH)
        peers.append(peer)
        assert (await peer.response())[0] == 200
        assert await peer.closed()


async def test_the_websocket_cap_closes_with_1013_through_the_real_listener(
    bridge: Bridge, fake_server: FakeServer
) -> None:
    async with bridge(max_websockets=1) as running, aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{running.port}/ws"
        origin = f"http://127.0.0.1:{running.port}"
        held = await session.ws_connect(url, origin=origin)
        await held.send_json(CONNECT)
        await fake_server.next()
        busy = await session.ws_connect(url, origin=origin)
        message = await busy.receive(timeout=5)
        assert (message.type, message.data, message.extra) == (
            aiohttp.WSMsgType.CLOSE, 1013, "server busy")
        await held.close()


async def test_requests_still_pass_whole_through_the_guard(bridge: Bridge) -> None:
    """Pages, static files and the relay work as before behind the guard, pipelined or not."""
    async with bridge() as running, aiohttp.ClientSession() as session:
        base = f"http://127.0.0.1:{running.port}"
        for path in ["/", "/static/test.txt", "/healthz"]:
            async with session.get(base + path) as response:
                assert response.status == 200, path
        peer = await Peer.open(running.port, send=HEALTH * 3)  # one packet, three requests
        try:
            assert [(await peer.response())[0] for _ in range(3)] == [200, 200, 200]
        finally:
            peer.close()


# -- rate-limited logging ----------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited(caplog: pytest.LogCaptureFixture) -> AsyncIterator[tuple[RateLimitFilter, _Clock]]:
    clock = _Clock()
    log_filter = RateLimitFilter(10.0, clock)
    log_filter.install()
    caplog.set_level(logging.DEBUG)
    yield log_filter, clock
    log_filter.uninstall()


def _accept_error(exc: OSError) -> None:
    # What asyncio's exception handler logs for each failed accept() at EMFILE.
    logging.getLogger("asyncio").error(
        "socket.accept() out of system resource\nsocket: <socket fd=%d>", 7,
        exc_info=(type(exc), exc, None),
    )


def test_a_storm_of_one_error_is_one_line_per_interval_with_a_count(
    limited: tuple[RateLimitFilter, _Clock], caplog: pytest.LogCaptureFixture
) -> None:
    log_filter, clock = limited
    for _ in range(1000):
        _accept_error(OSError(24, "Too many open files"))
    logging.getLogger("bridge.app").warning("refused a WebSocket: %d open", 5)
    assert [record.name for record in caplog.records] == ["asyncio", "bridge.app"]
    clock.now = 10.0
    _accept_error(OSError(24, "Too many open files"))
    last = caplog.records[-1]
    assert last.getMessage().startswith(
        "socket.accept() out of system resource [999 more like this in the last 10 s]\n")
    clock.now = 25.0
    for _ in range(5):
        _accept_error(OSError(24, "Too many open files"))
    log_filter.flush()  # nothing yet: this interval is not over
    assert len(caplog.records) == 4
    clock.now = 35.0
    log_filter.flush()  # the bridge calls this every interval: the count is not lost
    summary = caplog.records[-1]
    assert summary.name == "bridge.log_limit"
    assert summary.getMessage() == (
        "4 more 'socket.accept() out of system resource' (OSError) from asyncio in the last 10 s")
    assert len(caplog.records) == 5


def test_debug_records_and_other_loggers_pass(
    limited: tuple[RateLimitFilter, _Clock], caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(3):
        logging.getLogger("bridge.relay").debug("relay closed")
        logging.getLogger("tests.elsewhere").warning("not filtered")
    assert len(caplog.records) == 6
