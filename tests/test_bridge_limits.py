"""Per-client limits in the bridge: matches created (a rate) and held (seats), WebSocket upgrades
a minute, the total WebSocket cap (1013 "server busy"); and the book without sockets."""

from __future__ import annotations

import asyncio
import errno
import json
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bridge.app import CONNECTIONS
from bridge.limits import ClientBook, ClientLimits, TokenBucket, client_key
from tests.conftest import CONNECT, ClientFactory, FakeServer, origin_of


async def _ws(
    client: TestClient[Any, Any], ip: str | None = None
) -> aiohttp.ClientWebSocketResponse:
    headers = {} if ip is None else {"X-Forwarded-For": ip}
    return await client.ws_connect("/ws", origin=origin_of(client), headers=headers)


async def _error(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    frame = json.loads(await ws.receive_str(timeout=5))
    assert frame["command"] == "error", frame
    return frame


def _challenge(opponent: str, **extra: Any) -> str:
    return json.dumps({**CONNECT, "opponent": opponent, **extra})


async def test_matches_created_are_limited_per_address_not_per_websocket(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client(matches_per_minute=2)
    first = await _ws(client)
    await first.send_str(_challenge("bob", timestamp=1))
    await first.send_str(_challenge("bob", timestamp=2))  # the page repeats: the same request
    _, addr = await fake_server.next()
    await fake_server.next()
    fake_server.send({"command": "waiting", "game_name": "g1", "self": "alice"}, addr)
    assert json.loads(await first.receive_str(timeout=5))["command"] == "waiting"
    await first.send_str(_challenge("carol"))  # a new match: the second of the minute
    assert (await fake_server.next())[0]["opponent"] == "carol"
    await first.send_str(_challenge("dave"))
    refused = await _error(first)
    assert refused["reason"] == "too_many_matches"
    assert "2 matches in the last minute" in refused["detail"]
    # A new WebSocket of the same address starts no new budget (the server would see a new UDP
    # address); joining a match by its name creates nothing and goes through.
    second = await _ws(client)
    await second.send_str(_challenge("erin"))
    assert (await _error(second))["reason"] == "too_many_matches"
    await second.send_str(json.dumps({**CONNECT, "game_name": "g7"}))
    assert (await fake_server.next())[0]["game_name"] == "g7"
    assert fake_server.received.empty()  # nothing refused reached the server
    for ws in (first, second):
        await ws.close()


async def test_seats_held_are_limited_and_come_free(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client(max_seats_per_ip=2, matches_per_minute=100)
    sockets = [await _ws(client) for _ in range(3)]
    addrs = []
    for n, ws in enumerate(sockets[:2]):
        await ws.send_str(_challenge(f"p{n}"))
        addrs.append((await fake_server.next())[1])
    # Asking counts as holding: the third finds both seats taken before any answer came.
    await sockets[2].send_str(_challenge("p2"))
    refused = await _error(sockets[2])
    assert (refused["reason"], "2 matches" in refused["detail"]) == ("too_many_matches", True)
    # The server refuses the first request: that seat is free again.
    fake_server.send({"command": "error", "reason": "server_full"}, addrs[0])
    await _error(sockets[0])
    await sockets[2].send_str(_challenge("p2", timestamp=5))
    assert (await fake_server.next())[0]["opponent"] == "p2"
    # A match that ends frees its seat; so does a WebSocket that closes.
    fake_server.send({"command": "game_start", "game_name": "g1", "token": "t"}, addrs[1])
    fake_server.send({"command": "game_end", "game_name": "g1", "winner": None}, addrs[1])
    for _ in range(2):
        await sockets[1].receive_str(timeout=5)
    await sockets[0].send_str(_challenge("again", timestamp=6))
    assert (await fake_server.next())[0]["opponent"] == "again"
    await sockets[1].send_str(_challenge("more", timestamp=7))
    assert (await _error(sockets[1]))["reason"] == "too_many_matches"
    await sockets[2].close()
    await sockets[1].send_str(_challenge("more", timestamp=8))
    assert (await fake_server.next())[0]["opponent"] == "more"
    for ws in sockets[:2]:
        await ws.close()


async def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_limits(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client(matches_per_minute=1, trust_proxy=True)
    first = await _ws(client, "10.0.0.1")
    other = await _ws(client, "10.0.0.2")
    for ws in (first, other):
        await ws.send_str(_challenge("bob"))
        await fake_server.next()
    again = await _ws(client, "10.0.0.1")
    await again.send_str(_challenge("carol"))
    assert (await _error(again))["reason"] == "too_many_matches"
    for ws in (first, other, again):
        await ws.close()


async def test_websocket_upgrades_a_minute_are_capped_per_address(
    make_client: ClientFactory,
) -> None:
    client = await make_client(websockets_per_minute=3, trust_proxy=True)
    for _ in range(3):
        await (await _ws(client, "10.0.0.1")).close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
        await _ws(client, "10.0.0.1")
    assert caught.value.status == 429
    await (await _ws(client, "10.0.0.2")).close()  # another address is not held back


async def _closed_busy(ws: aiohttp.ClientWebSocketResponse) -> None:
    message = await ws.receive(timeout=5)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert (message.data, message.extra) == (1013, "server busy")


async def test_at_the_websocket_cap_the_close_says_busy(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = await make_client(max_websockets=2)
    held = [await _ws(client) for _ in range(2)]
    await _closed_busy(await _ws(client))
    await held[0].close()
    assert client.app is not None
    book = client.app[CONNECTIONS].book
    for _ in range(500):  # the handler lets go of its slot once the close handshake is done
        if book.websockets < 2:
            break
        await asyncio.sleep(0.01)
    replacement = await _ws(client)
    await replacement.send_str(json.dumps(CONNECT))
    assert (await fake_server.next())[0] == CONNECT  # a slot came free: relayed again
    for ws in (held[1], replacement):
        await ws.close()


async def test_no_file_descriptor_for_the_udp_socket_is_busy_not_unreachable(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await make_client()
    loop = asyncio.get_running_loop()

    async def out_of_files(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(loop, "create_datagram_endpoint", out_of_files)
    ws = await _ws(client)
    await ws.send_str(json.dumps(CONNECT))  # with the socket opened lazily, this needs it
    await _closed_busy(ws)


# -- the book, without sockets -----------------------------------------------------------------


def _book(**limits: int) -> ClientBook:
    values = {"websockets_per_ip": 2, "websockets_per_minute": 3, "matches_per_minute": 2,
              "seats_per_ip": 2, **limits}
    return ClientBook(ClientLimits(**values))


def test_per_minute_budgets_refill_over_the_minute() -> None:
    book = _book()
    seats = book.seats_for("1.2.3.4")
    assert seats.create(0.0) is None
    seats.stand()
    assert seats.create(0.0) is None
    seats.stand()
    assert seats.create(1.0) is not None  # spent
    assert seats.create(31.0) is None  # half a minute brings back one of two


def test_websockets_per_address_and_in_total() -> None:
    book = _book()
    assert book.open_websocket("a", 0.0) is None
    assert book.open_websocket("a", 0.0) is None
    assert "2 WebSocket connections open" in (book.open_websocket("a", 0.0) or "")
    assert book.open_websocket("b", 0.0) is None
    assert book.websockets == 3
    book.close_websocket("a")
    assert book.holding("a") == (1, 0) and book.websockets == 2
    assert "3 WebSocket connections a minute" in (book.open_websocket("a", 0.0) or "")


def test_an_address_that_holds_something_is_never_forgotten() -> None:
    book = _book()
    book.max_clients = 3
    assert book.open_websocket("held", 0.0) is None
    for n in range(10):
        seats = book.seats_for(f"idle{n}")
        assert seats.create(0.0) is None
        seats.stand()
    assert book.holding("held") == (1, 0)
    assert len(book._clients) <= 3


@pytest.mark.parametrize(
    ("ip", "key"),
    [("192.0.2.7", "192.0.2.7"), ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
     ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"), ("::ffff:192.0.2.7", "192.0.2.7"),
     ("unknown", "unknown")],
)
def test_an_ipv6_client_is_its_slash_64(ip: str, key: str) -> None:
    assert client_key(ip) == key


def test_token_bucket_bursts_then_refills() -> None:
    bucket = TokenBucket(rate=2, burst=2)
    assert [bucket.take(0.0) for _ in range(3)] == [True, True, False]
    assert bucket.take(0.5) and not bucket.take(0.5)
