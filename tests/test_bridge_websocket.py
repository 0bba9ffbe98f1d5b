"""The `/ws` relay through the app over loopback: origin, frames both ways, errors, limits,
the leave on close, the handshake."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bridge.relay import MAX_BAD_FRAMES
from tests.conftest import CONNECT, ClientFactory, FakeServer, host_of, origin_of


async def _handshake_status(client: TestClient[Any, Any], **kwargs: Any) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
        await client.ws_connect("/ws", **kwargs)
    return caught.value.status


async def test_websocket_from_another_origin_is_403(make_client: ClientFactory) -> None:
    client = await make_client()
    assert await _handshake_status(client, origin="http://evil.example") == 403
    assert await _handshake_status(client, origin=f"https://{host_of(client)}") == 403
    assert await _handshake_status(client) == 403  # no Origin at all
    ws = await client.ws_connect("/ws", origin=origin_of(client))
    await ws.close()


async def test_the_origin_check_compares_against_the_allowed_hosts(
    make_client: ClientFactory,
) -> None:
    """Not against the request's own Host: a DNS-rebinding page could set both. An allowed Host
    with a foreign Origin is refused; another allowed name on the same port is this site."""
    client = await make_client()
    port = client.port
    assert await _handshake_status(client, origin="http://evil.example") == 403
    assert await _handshake_status(client, origin=f"http://evil.example:{port}") == 403
    assert await _handshake_status(client, origin=f"http://127.0.0.1:{port + 1}") == 403
    ws = await client.ws_connect("/ws", origin=f"http://localhost:{port}")
    await ws.close()
    rebound = {"Host": f"evil.example:{port}"}
    status = await _handshake_status(client, origin=f"http://evil.example:{port}",
                                     headers=rebound)
    assert status == 421


async def test_websocket_origin_behind_a_trusted_proxy(make_client: ClientFactory) -> None:
    client = await make_client(trust_proxy=True, allowed_hosts=("example.com",))
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "example.com"}
    assert await _handshake_status(client, origin=origin_of(client), headers=proxied) == 403
    ws = await client.ws_connect("/ws", origin="https://example.com:443", headers=proxied)
    await ws.close()


async def test_frames_are_relayed_both_ways(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client()
    ws = await client.ws_connect("/ws", origin=origin_of(client))
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
    ws = await client.ws_connect("/ws", origin=origin_of(client))
    # One of each reason: a second of the same one within a second gets no error frame of its
    # own (test_bad_frames_get_one_error_per_reason_a_second_and_then_slow_the_socket).
    bad_frames: list[tuple[str | bytes, str]] = [
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
    ws = await client.ws_connect("/ws", origin=origin_of(client))
    await ws.send_str("x" * (100 * 1024))
    message = await ws.receive(timeout=5)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG


async def test_leave_is_sent_when_the_browser_goes_away(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client()
    ws = await client.ws_connect("/ws", origin=origin_of(client))
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
    ws = await client.ws_connect("/ws", origin=origin_of(client))
    await ws.send_str(json.dumps({**CONNECT, "timestamp": 7}))
    first, addr = await fake_server.next()
    assert "cookie" not in first
    fake_server.send({"command": "verify", "cookie": "c00kie"}, addr)
    fake_server.send({"command": "waiting", "game_name": "g1", "self": "alice",
                      "cookie": "c00kie"}, addr)
    waiting = json.loads(await ws.receive_str(timeout=5))
    assert waiting["command"] == "waiting"
    assert waiting == {"command": "waiting", "game_name": "g1", "self": "alice"}  # no cookie
    await ws.send_str(json.dumps({**CONNECT, "timestamp": 8}))
    second, _ = await fake_server.next()
    assert second == {**CONNECT, "timestamp": 8, "cookie": "c00kie"}
    await ws.close()
    leave, _ = await fake_server.next()
    assert leave["cookie"] == "c00kie" and leave["timestamp"] == 9


async def test_the_page_never_sees_a_cookie_and_a_newer_one_is_echoed(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    """Wherever the server puts the cookie in a reply, the page gets the reply without it; the
    bridge echoes the newest cookie, as one field, even over one the page sent itself."""
    client = await make_client()
    ws = await client.ws_connect("/ws", origin=origin_of(client))
    await ws.send_str(json.dumps(CONNECT))
    _, addr = await fake_server.next()
    flux = {"cookie": "first", "command": "game_flux", "timestamp": 3, "game_name": "g1",
            "user_blocks": ["." * 10] * 20, "time_left": 1000}
    fake_server.send(flux, addr)
    received = json.loads(await ws.receive_str(timeout=5))
    assert received == {key: value for key, value in flux.items() if key != "cookie"}
    fake_server.send({"command": "game_flux", "timestamp": 4, "cookie": "second"}, addr)
    assert json.loads(await ws.receive_str(timeout=5)) == {"command": "game_flux",
                                                           "timestamp": 4}
    request = '{"command": "game_flux", "timestamp": 9, "cookie": "from-the-page"}'
    await ws.send_str(request)
    data, _ = await asyncio.wait_for(fake_server.received.get(), 5)
    pairs = json.loads(data, object_pairs_hook=list)
    assert pairs == [("command", "game_flux"), ("timestamp", 9), ("cookie", "second")]
    await ws.close()


async def test_no_leave_after_the_game_ended(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client()
    ended = await client.ws_connect("/ws", origin=origin_of(client))
    await ended.send_str(json.dumps(CONNECT))
    _, addr = await fake_server.next()
    fake_server.send({"command": "game_start", "game_name": "g1", "token": "tok"}, addr)
    fake_server.send({"command": "game_end", "game_name": "g1", "winner": None}, addr)
    for _ in range(2):
        await ended.receive_str(timeout=5)
    await ended.close()
    # A second connection that joins and closes: its leave must be the next datagram.
    other = await client.ws_connect("/ws", origin=origin_of(client))
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
    sockets = [await client.ws_connect("/ws", origin=origin_of(client)) for _ in range(2)]
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


async def test_frames_over_the_rate_are_delayed_with_one_notice(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    # Frames over the rate were dropped once; the relay now stops reading until it may take the
    # next one (backpressure: a flood's sends block, a browser's frames come late, not lost).
    client = await make_client(frames_per_second=4)
    ws = await client.ws_connect("/ws", origin=origin_of(client))
    for n in range(8):
        await ws.send_str(json.dumps({**CONNECT, "timestamp": n}))
    notice = json.loads(await ws.receive_str(timeout=5))
    assert (notice["command"], notice["reason"]) == ("error", "rate_limited")
    assert "delayed" in notice["detail"]
    stamps = [(await fake_server.next())[0]["timestamp"] for _ in range(8)]
    assert stamps == list(range(8))  # every one, in order
    await ws.close()


async def test_bad_frames_get_one_error_per_reason_a_second_and_then_slow_the_socket(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client(frames_per_second=1000)
    ws = await client.ws_connect("/ws", origin=origin_of(client))
    for _ in range(MAX_BAD_FRAMES + 2):  # the last one after the slowing takes its one token
        await ws.send_str("not json")
    await ws.send_str(json.dumps(CONNECT))
    assert json.loads(await ws.receive_str(timeout=5))["reason"] == "bad_json"
    # Not closed with 1008: slowed, the junk sender's good frame still arrives, read late.
    message, _ = await fake_server.next()
    assert message["command"] == "connect"
    assert ws.close_code is None
    await ws.close()


async def test_connections_per_address_are_capped(make_client: ClientFactory) -> None:
    client = await make_client(max_websockets_per_ip=2)
    first = await client.ws_connect("/ws", origin=origin_of(client))
    second = await client.ws_connect("/ws", origin=origin_of(client))
    assert await _handshake_status(client, origin=origin_of(client)) == 429
    await first.close()
    third = await client.ws_connect("/ws", origin=origin_of(client))  # a slot came free
    for ws in (second, third):
        await ws.close()


async def test_a_trusted_proxy_caps_by_forwarded_address(make_client: ClientFactory) -> None:
    client = await make_client(max_websockets_per_ip=1, trust_proxy=True)

    def from_ip(ip: str) -> dict[str, str]:
        return {"X-Forwarded-For": f"10.9.9.9, {ip}"}  # the proxy appends the real peer

    first = await client.ws_connect("/ws", origin=origin_of(client), headers=from_ip("10.0.0.1"))
    second = await client.ws_connect("/ws", origin=origin_of(client), headers=from_ip("10.0.0.2"))
    status = await _handshake_status(client, origin=origin_of(client), headers=from_ip("10.0.0.1"))
    assert status == 429
    for ws in (first, second):
        await ws.close()
