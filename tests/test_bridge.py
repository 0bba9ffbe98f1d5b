"""The bridge: frame checks and queues without sockets, then the app over real loopback sockets."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import aiohttp_jinja2
import pytest
import websockets
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import given
from hypothesis import strategies as st

from bridge.app import SECURITY_HEADERS, init_app, run_bridge
from bridge.frames import (
    FrameError,
    leave_datagram,
    parse_client_frame,
    read_server_datagram,
)
from bridge.relay import Outbox, TokenBucket
from bridge.settings import STATIC_DIR, WEB_DIR, BridgeSettings, normalise_base_path
from tests.conftest import STATIC_TEXT, FakeServer, SiteDirs, page_context

REPO_DIR = Path(__file__).resolve().parent.parent
ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]

CONNECT = {"command": "connect", "self": "alice", "opponent": "bob"}
EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


# -- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_path", "expected"),
    [("", "/"), ("/", "/"), ("blockattack", "/blockattack/"), ("/blockattack", "/blockattack/"),
     ("//a//b/", "/a/b/")],
)
def test_base_path_is_normalised(given_path: str, expected: str) -> None:
    assert normalise_base_path(given_path) == expected
    assert BridgeSettings(base_path=given_path).base_path == expected


@pytest.mark.parametrize("bad_path", ["/a b/", "/../", "/a?b", "/a#b", "/%2e%2e/"])
def test_bad_base_path_is_refused(bad_path: str) -> None:
    with pytest.raises(ValueError, match="base path"):
        BridgeSettings(base_path=bad_path)


def test_public_url_is_normalised_and_checked() -> None:
    settings = BridgeSettings(public_url="https://Example.com/blockattack")
    assert settings.public_url == "https://example.com/blockattack/"
    for bad in ["ftp://example.com/", "example.com", "https://example.com/?q=1", "http://:80/"]:
        with pytest.raises(ValueError, match="public URL"):
            BridgeSettings(public_url=bad)


@pytest.mark.parametrize(
    "bad",
    [{"port": 70000}, {"server": ("127.0.0.1", 0)}, {"max_connections_per_ip": 0},
     {"frames_per_second": 0}, {"max_queued_frames": 0}, {"heartbeat_seconds": -1}],
)
def test_bad_numbers_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        BridgeSettings(**bad)


def test_default_dirs_are_the_repository_web_and_static() -> None:
    assert WEB_DIR == REPO_DIR / "web" and WEB_DIR.is_dir()
    assert STATIC_DIR == REPO_DIR / "static" and STATIC_DIR.is_dir()
    settings = BridgeSettings()
    assert (settings.templates_dir, settings.static_dir) == (WEB_DIR, STATIC_DIR)


# -- frames, no sockets -------------------------------------------------------------------------


def test_valid_frame_is_forwarded_byte_for_byte() -> None:
    text = '{"command": "game_flux", "timestamp": 17, "game_name": "Xk3", "é": 1}'
    frame = parse_client_frame(text)
    assert frame.payload == text.encode("utf-8")
    assert (frame.command, frame.timestamp) == ("game_flux", 17)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{", "bad_json"),
        ('{"command": "connect", "x": NaN}', "bad_json"),
        ("[" * 1000 + "]" * 1000, "too_large"),
        ("[" * 600 + "]" * 600, "not_object"),  # as deep as 1,200 bytes go: parsed, no crash
        ("[1, 2]", "not_object"),
        ('"connect"', "not_object"),
        ('{"self": "alice"}', "unknown_command"),
        ('{"command": "game_start"}', "unknown_command"),
        ('{"command": 5}', "unknown_command"),
        ('{"command": "connect", "pad": "' + "é" * 600 + '"}', "too_large"),  # bytes, not chars
    ],
)
def test_bad_frames_are_refused_with_the_protocol_reason(text: str, reason: str) -> None:
    with pytest.raises(FrameError) as caught:
        parse_client_frame(text)
    assert caught.value.reason == reason
    assert caught.value.detail


@given(st.text(max_size=300))
def test_any_text_is_a_frame_or_a_frame_error(text: str) -> None:
    try:
        frame = parse_client_frame(text)
    except FrameError as exc:
        assert exc.reason in {"bad_json", "not_object", "unknown_command", "too_large"}
    else:
        assert frame.command in {"connect", "game_flux", "leave"}


def test_server_datagrams_are_classified_and_forwarded_as_text() -> None:
    message = read_server_datagram(b'{"command": "game_start", "game_name": "g", "token": "t"}')
    assert message is not None
    assert (message.command, message.game_name, message.token) == ("game_start", "g", "t")
    odd = read_server_datagram(b"not json")
    assert odd is not None and odd.text == "not json" and odd.command is None
    assert read_server_datagram(b"\xff\xfe") is None


def test_leave_datagram_says_closed_and_carries_the_token_only_if_known() -> None:
    assert json.loads(leave_datagram(5, "g", "t")) == {
        "command": "leave", "timestamp": 5, "game_name": "g", "intent": "closed", "token": "t"
    }
    assert "token" not in json.loads(leave_datagram(5, "g", None))


# -- the outbox and the token bucket, no sockets --------------------------------------------------


async def test_a_burst_of_game_flux_keeps_only_the_newest() -> None:
    outbox = Outbox(max_other=4)
    for n in range(1000):
        outbox.put(f"flux {n}", latest_wins=True)
        assert len(outbox) == 1
    assert outbox.dropped == 999
    assert await outbox.get() == "flux 999"
    assert len(outbox) == 0


async def test_outbox_keeps_order_and_bounds_other_messages() -> None:
    outbox = Outbox(max_other=3)
    outbox.put("game_start")
    outbox.put("flux 1", latest_wins=True)
    outbox.put("error 1")
    outbox.put("flux 2", latest_wins=True)  # replaces flux 1 and goes behind error 1
    assert [await outbox.get() for _ in range(3)] == ["game_start", "error 1", "flux 2"]
    for n in range(10):
        outbox.put(f"other {n}")
        outbox.put(f"flux {n}", latest_wins=True)
        assert len(outbox) <= 3 + 1
    assert [await outbox.get() for _ in range(4)] == ["other 7", "other 8", "other 9", "flux 9"]


async def test_outbox_get_waits_for_a_frame() -> None:
    outbox = Outbox(max_other=2)
    getter = asyncio.create_task(outbox.get())
    await asyncio.sleep(0)
    assert not getter.done()
    outbox.put("waiting")
    assert await asyncio.wait_for(getter, 5) == "waiting"


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=4, burst=3)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(100.125) is False  # half a token
    assert bucket.take(100.25) is True
    assert bucket.take(100.25) is False
    assert [bucket.take(200.0) for _ in range(4)] == [True, True, True, False]  # capped at burst


# -- pages ----------------------------------------------------------------------------------------


@pytest.fixture
def make_client(
    aiohttp_client: Any, site_dirs: SiteDirs, fake_server: FakeServer
) -> ClientFactory:
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


def _host(client: TestClient[Any, Any]) -> str:
    return f"127.0.0.1:{client.port}"


def _assert_security_headers(response: aiohttp.ClientResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


async def test_index_page_renders_the_context_with_security_headers(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    response = await client.get("/")
    assert response.status == 200
    assert response.content_type == "text/html"
    _assert_security_headers(response)
    assert response.headers["Content-Security-Policy"] == EXPECTED_CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert page_context(await response.text()) == {
        "base_path": "/",
        "game_name": None,
        "share_base": f"http://{_host(client)}/",
        "static_url": "/static/",
        "ws_path": "/ws",
    }
    assert aiohttp_jinja2.get_env(client.app).autoescape is True


async def test_match_page_names_the_game(make_client: ClientFactory) -> None:
    client = await make_client()
    response = await client.get("/m/Xk3_a-Z09")
    assert response.status == 200
    assert page_context(await response.text())["game_name"] == "Xk3_a-Z09"


@pytest.mark.parametrize(
    "path", ["/m/", "/m/a.b", "/m/" + "a" * 65, "/m/%3Cscript%3E", "/m/a/b", "/m/a%20b"]
)
async def test_match_page_with_a_bad_game_name_is_404(
    make_client: ClientFactory, path: str
) -> None:
    client = await make_client()
    response = await client.get(path)
    assert response.status == 404


async def test_everything_lives_under_the_base_path(make_client: ClientFactory) -> None:
    client = await make_client(base_path="blockattack")
    assert (await client.get("/")).status == 404
    assert (await client.get("/static/test.txt")).status == 404
    page = await client.get("/blockattack/m/game1")
    assert page_context(await page.text()) == {
        "base_path": "/blockattack/",
        "game_name": "game1",
        "share_base": f"http://{_host(client)}/blockattack/",
        "static_url": "/blockattack/static/",
        "ws_path": "/blockattack/ws",
    }
    static = await client.get("/blockattack/static/test.txt")
    assert static.status == 200 and await static.text() == STATIC_TEXT
    _assert_security_headers(static)
    health = await client.get("/blockattack/healthz")
    assert health.status == 200 and await health.text() == "ok"
    redirect = await client.get("/blockattack", allow_redirects=False)
    assert redirect.status == 308 and redirect.headers["Location"] == "/blockattack/"


async def test_static_files_do_not_leave_the_static_dir(make_client: ClientFactory) -> None:
    client = await make_client()
    for path in ["/static/../web/index.html", "/static/%2e%2e/web/index.html", "/static/"]:
        response = await client.get(path)
        assert response.status in (403, 404), path


async def test_forwarded_headers_count_only_from_a_trusted_proxy(
    make_client: ClientFactory,
) -> None:
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "client-lie.example, example.com",
        "X-Forwarded-Prefix": "/games/blockattack",
    }
    untrusted = await make_client(base_path="/blockattack/")
    context = page_context(await (await untrusted.get("/blockattack/", headers=headers)).text())
    assert context["share_base"] == f"http://{_host(untrusted)}/blockattack/"

    trusted = await make_client(base_path="/blockattack/", trust_proxy=True)
    context = page_context(await (await trusted.get("/blockattack/", headers=headers)).text())
    assert context == {
        "base_path": "/games/blockattack/",
        "game_name": None,
        "share_base": "https://example.com/games/blockattack/",
        "static_url": "/games/blockattack/static/",
        "ws_path": "/games/blockattack/ws",
    }


@pytest.mark.parametrize(
    "headers",
    [{"X-Forwarded-Host": "evil.example/<script>"}, {"X-Forwarded-Proto": "javascript"},
     {"X-Forwarded-Prefix": "/../x"}],
)
async def test_nonsense_forwarded_headers_are_a_bad_request(
    make_client: ClientFactory, headers: dict[str, str]
) -> None:
    client = await make_client(trust_proxy=True)
    response = await client.get("/", headers=headers)
    assert response.status == 400
    assert "bad request" in await response.text()


async def test_public_url_overrides_the_request(make_client: ClientFactory) -> None:
    client = await make_client(public_url="https://example.com/ba/", trust_proxy=True)
    response = await client.get("/", headers={"X-Forwarded-Host": "other.example"})
    context = page_context(await response.text())
    assert context["share_base"] == "https://example.com/ba/"
    assert context["ws_path"] == "/ba/ws"


async def test_the_real_page_and_scripts_are_served(
    aiohttp_client: Any, fake_server: FakeServer
) -> None:
    client = await aiohttp_client(
        init_app(BridgeSettings(server=fake_server.address, base_path="/ba/"))
    )
    page = await client.get("/ba/m/Xk3game")
    assert page.status == 200
    html = await page.text()
    assert f"http://{_host(client)}/ba/" in html and "Xk3game" in html
    script = await client.get("/ba/static/js/main.js")
    assert script.status == 200
    # With nosniff, a module script must come with a JavaScript type or the browser refuses it.
    assert script.content_type in ("text/javascript", "application/javascript")


# -- the WebSocket ---------------------------------------------------------------------------------


def _origin(client: TestClient[Any, Any]) -> str:
    return f"http://{_host(client)}"


async def _handshake_status(client: TestClient[Any, Any], **kwargs: Any) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
        await client.ws_connect("/ws", **kwargs)
    return caught.value.status


async def test_websocket_from_another_origin_is_403(make_client: ClientFactory) -> None:
    client = await make_client()
    assert await _handshake_status(client, origin="http://evil.example") == 403
    assert await _handshake_status(client, origin=f"https://{_host(client)}") == 403
    assert await _handshake_status(client) == 403  # no Origin at all
    ws = await client.ws_connect("/ws", origin=_origin(client))
    await ws.close()


async def test_websocket_origin_behind_a_trusted_proxy(make_client: ClientFactory) -> None:
    client = await make_client(trust_proxy=True)
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "example.com"}
    assert await _handshake_status(client, origin=_origin(client), headers=proxied) == 403
    ws = await client.ws_connect("/ws", origin="https://example.com:443", headers=proxied)
    await ws.close()


async def test_frames_are_relayed_both_ways(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client()
    ws = await client.ws_connect("/ws", origin=_origin(client))
    text = json.dumps(CONNECT)
    await ws.send_str(text)
    data, addr = await asyncio.wait_for(fake_server.received.get(), 5)
    assert data == text.encode()
    reply = {"command": "waiting", "timestamp": 1, "game_name": "g1", "self": "alice"}
    fake_server.send(reply, addr)
    assert json.loads(await ws.receive_str(timeout=5)) == reply
    await ws.close()


async def test_bad_frames_get_error_frames_and_the_connection_stays_open(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client()
    ws = await client.ws_connect("/ws", origin=_origin(client))
    bad_frames: list[tuple[str | bytes, str]] = [
        ("nope", "bad_json"),
        ("[1]", "not_object"),
        ('{"command": "hello"}', "unknown_command"),
        ('{"command": "connect", "pad": "' + "x" * 5000 + '"}', "too_large"),
        (b'{"command": "connect"}', "bad_json"),  # binary frame
    ]
    for frame, reason in bad_frames:
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        else:
            await ws.send_str(frame)
        error = json.loads(await ws.receive_str(timeout=5))
        assert (error["command"], error["reason"]) == ("error", reason)
    await ws.send_str(json.dumps(CONNECT))
    message, _ = await fake_server.next()
    assert message == CONNECT  # the first and only datagram: nothing bad got through
    assert fake_server.received.empty()
    await ws.close()


async def test_a_huge_frame_closes_with_1009(make_client: ClientFactory) -> None:
    client = await make_client()
    ws = await client.ws_connect("/ws", origin=_origin(client))
    await ws.send_str("x" * (100 * 1024))
    message = await ws.receive(timeout=5)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG


async def test_leave_is_sent_when_the_browser_goes_away(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client()
    ws = await client.ws_connect("/ws", origin=_origin(client))
    future_timestamp = 4_000_000_000_000  # a browser clock far ahead of the bridge's
    await ws.send_str(json.dumps({**CONNECT, "timestamp": future_timestamp}))
    _, addr = await fake_server.next()
    fake_server.send({"command": "waiting", "game_name": "g1", "self": "alice"}, addr)
    fake_server.send({"command": "game_start", "game_name": "g1", "token": "tok"}, addr)
    for _ in range(2):
        await ws.receive_str(timeout=5)
    await ws.close()
    leave, leave_addr = await fake_server.next()
    assert leave_addr == addr  # from the connection's own socket, so the seat is found
    assert leave == {
        "command": "leave",
        "timestamp": future_timestamp + 1,
        "game_name": "g1",
        "token": "tok",
        "intent": "closed",
    }


async def test_the_bridge_answers_the_address_handshake_itself(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    """The server's cookie proves the bridge's UDP address: the bridge echoes it in every later
    datagram, and a bare `verify` never reaches the page (docs/protocol.md "Handshake")."""
    client = await make_client()
    ws = await client.ws_connect("/ws", origin=_origin(client))
    await ws.send_str(json.dumps({**CONNECT, "timestamp": 7}))
    first, addr = await fake_server.next()
    assert "cookie" not in first
    fake_server.send({"command": "verify", "cookie": "c00kie"}, addr)
    fake_server.send({"command": "waiting", "game_name": "g1", "self": "alice",
                      "cookie": "c00kie"}, addr)
    assert json.loads(await ws.receive_str(timeout=5))["command"] == "waiting"
    await ws.send_str(json.dumps({**CONNECT, "timestamp": 8}))
    second, _ = await fake_server.next()
    assert second == {**CONNECT, "timestamp": 8, "cookie": "c00kie"}
    await ws.close()
    leave, _ = await fake_server.next()
    assert leave["cookie"] == "c00kie" and leave["timestamp"] == 9


async def test_no_leave_after_the_game_ended(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client()
    ended = await client.ws_connect("/ws", origin=_origin(client))
    await ended.send_str(json.dumps(CONNECT))
    _, addr = await fake_server.next()
    fake_server.send({"command": "game_start", "game_name": "g1", "token": "tok"}, addr)
    fake_server.send({"command": "game_end", "game_name": "g1", "winner": None}, addr)
    for _ in range(2):
        await ended.receive_str(timeout=5)
    await ended.close()
    # A second connection that joins and closes: its leave must be the next datagram.
    other = await client.ws_connect("/ws", origin=_origin(client))
    await other.send_str(json.dumps(CONNECT))
    connect, other_addr = await fake_server.next()
    assert connect["command"] == "connect"
    fake_server.send({"command": "waiting", "game_name": "g2"}, other_addr)
    await other.receive_str(timeout=5)
    await other.close()
    leave, _ = await fake_server.next()
    assert (leave["game_name"], "token" in leave) == ("g2", False)
    assert fake_server.received.empty()


async def test_each_websocket_has_its_own_udp_socket(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client()
    sockets = [await client.ws_connect("/ws", origin=_origin(client)) for _ in range(2)]
    addrs = []
    for n, ws in enumerate(sockets):
        await ws.send_str(json.dumps({**CONNECT, "self": f"p{n}"}))
        message, addr = await fake_server.next()
        assert message["self"] == f"p{n}"
        addrs.append(addr)
    assert addrs[0] != addrs[1]
    fake_server.send({"command": "waiting", "game_name": "for-p1"}, addrs[1])
    assert json.loads(await sockets[1].receive_str(timeout=5))["game_name"] == "for-p1"
    fake_server.send({"command": "waiting", "game_name": "for-p0"}, addrs[0])
    assert json.loads(await sockets[0].receive_str(timeout=5))["game_name"] == "for-p0"
    for ws in sockets:
        await ws.close()


async def test_frames_over_the_rate_are_dropped_with_one_notice(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client(frames_per_second=2)
    ws = await client.ws_connect("/ws", origin=_origin(client))
    for n in range(40):
        await ws.send_str(json.dumps({**CONNECT, "timestamp": n}))
    notice = json.loads(await ws.receive_str(timeout=5))
    assert (notice["command"], notice["reason"]) == ("error", "rate_limited")
    await ws.close()
    for _ in range(2):  # the burst got through
        await fake_server.next()
    assert fake_server.received.qsize() < 40 - 2 - 20  # most of the rest did not


async def test_connections_per_address_are_capped(make_client: ClientFactory) -> None:
    client = await make_client(max_connections_per_ip=2)
    first = await client.ws_connect("/ws", origin=_origin(client))
    second = await client.ws_connect("/ws", origin=_origin(client))
    assert await _handshake_status(client, origin=_origin(client)) == 429
    await first.close()
    third = await client.ws_connect("/ws", origin=_origin(client))  # a slot came free
    for ws in (second, third):
        await ws.close()


async def test_a_trusted_proxy_caps_by_forwarded_address(make_client: ClientFactory) -> None:
    client = await make_client(max_connections_per_ip=1, trust_proxy=True)

    def from_ip(ip: str) -> dict[str, str]:
        return {"X-Forwarded-For": f"10.9.9.9, {ip}"}  # the proxy appends the real peer

    first = await client.ws_connect("/ws", origin=_origin(client), headers=from_ip("10.0.0.1"))
    second = await client.ws_connect("/ws", origin=_origin(client), headers=from_ip("10.0.0.2"))
    status = await _handshake_status(client, origin=_origin(client), headers=from_ip("10.0.0.1"))
    assert status == 429
    for ws in (first, second):
        await ws.close()


# -- a running bridge, the real websockets client, shutdown --------------------------------------


async def test_shutdown_closes_websockets_going_away_and_says_leave(
    site_dirs: SiteDirs, fake_server: FakeServer
) -> None:
    settings = BridgeSettings(
        port=0,
        server=fake_server.address,
        templates_dir=site_dirs.templates_dir,
        static_dir=site_dirs.static_dir,
    )
    runner = web.AppRunner(init_app(settings))
    await runner.setup()
    running = True
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws", origin=websockets.Origin(f"http://127.0.0.1:{port}")
        ) as ws:
            # The client offered permessage-deflate; small game frames go uncompressed.
            assert ws.response is not None
            assert "Sec-WebSocket-Extensions" not in ws.response.headers
            await ws.send(json.dumps(CONNECT))
            _, addr = await fake_server.next()
            fake_server.send({"command": "waiting", "game_name": "g1"}, addr)
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["command"] == "waiting"
            running = False
            await runner.cleanup()
            with pytest.raises(websockets.ConnectionClosed) as caught:
                await asyncio.wait_for(ws.recv(), 5)
            assert caught.value.rcvd is not None and caught.value.rcvd.code == 1001
    finally:
        if running:
            await runner.cleanup()
    leave, _ = await fake_server.next()
    assert (leave["command"], leave["game_name"], leave["intent"]) == ("leave", "g1", "closed")


RUN_BRIDGE = """
import sys
from bridge.app import BridgeSettings, run_bridge
settings = BridgeSettings(port=0, server=("127.0.0.1", 9), base_path="/ba/")
run_bridge(settings, on_ready=lambda url: print(url, flush=True))
print("stopped", flush=True)
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_run_bridge_reports_its_url_and_stops_on_a_signal(signum: int) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUN_BRIDGE,
        cwd=REPO_DIR, stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/ba/")
        assert not url.endswith(":0/ba/")
        async with aiohttp.ClientSession() as session, session.get(url + "healthz") as response:
            assert await response.text() == "ok"
        process.send_signal(signum)
        rest = await asyncio.wait_for(process.stdout.read(), 30)
        assert await asyncio.wait_for(process.wait(), 30) == 0
        assert rest.decode().strip() == "stopped"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_run_bridge_on_a_taken_port_raises_and_never_reports_ready() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = BridgeSettings(port=taken.getsockname()[1], server=("127.0.0.1", 9))
        ready: list[str] = []
        with pytest.raises(OSError):
            run_bridge(settings, on_ready=ready.append)
    assert ready == []


# -- with the real UDP server ---------------------------------------------------------------------


async def test_two_browsers_meet_through_the_real_server(
    aiohttp_client: Any, site_dirs: SiteDirs, udp_server: tuple[str, int]
) -> None:
    settings = BridgeSettings(
        server=udp_server,
        templates_dir=site_dirs.templates_dir,
        static_dir=site_dirs.static_dir,
    )
    client = await aiohttp_client(init_app(settings))
    pad = "." * 400  # docs/protocol.md "Handshake": room for game_start
    alice = await client.ws_connect("/ws", origin=_origin(client))
    await alice.send_str(json.dumps({**CONNECT, "timestamp": 1, "pad": pad}))
    waiting = json.loads(await alice.receive_str(timeout=5))
    assert (waiting["command"], waiting["self"]) == ("waiting", "alice")
    bob = await client.ws_connect("/ws", origin=_origin(client))
    await bob.send_str(json.dumps({"command": "connect", "self": "bob", "opponent": "alice",
                                   "pad": pad}))
    starts = [json.loads(await ws.receive_str(timeout=5)) for ws in (alice, bob)]
    assert [start["command"] for start in starts] == ["game_start", "game_start"]
    assert starts[0]["game_name"] == starts[1]["game_name"] == waiting["game_name"]
    assert (starts[0]["opponent"], starts[1]["opponent"]) == ("bob", "alice")
    await bob.send_str("nope")  # the bridge answers; the server never sees it
    assert json.loads(await bob.receive_str(timeout=5))["reason"] == "bad_json"
    await alice.close()
    await bob.close()
