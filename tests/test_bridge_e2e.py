"""The bridge in front of the real UDP server."""

from __future__ import annotations

import json
from typing import Any

from bridge.app import init_app
from bridge.settings import BridgeSettings
from tests.conftest import CONNECT, SiteDirs, origin_of


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
    alice = await client.ws_connect("/ws", origin=origin_of(client))
    await alice.send_str(json.dumps({**CONNECT, "timestamp": 1, "pad": pad}))
    waiting = json.loads(await alice.receive_str(timeout=5))
    assert (waiting["command"], waiting["self"]) == ("waiting", "alice")
    bob = await client.ws_connect("/ws", origin=origin_of(client))
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


async def test_the_handshake_never_reaches_the_browser(
    aiohttp_client: Any, site_dirs: SiteDirs
) -> None:
    """With loopback untrusted, the real server sends cookies (and `verify`) to the bridge's
    UDP sockets: the bridge answers them, and no frame the browsers get carries either."""
    from server.udp import ServerSettings, start_server

    running = start_server(ServerSettings(host="127.0.0.1", port=0, trusted_networks=()))
    try:
        settings = BridgeSettings(server=running.address, templates_dir=site_dirs.templates_dir,
                                  static_dir=site_dirs.static_dir)
        client = await aiohttp_client(init_app(settings))
        alice = await client.ws_connect("/ws", origin=origin_of(client))
        bob = await client.ws_connect("/ws", origin=origin_of(client))
        # Unpadded: the server's first answer to an unproven address is a bare verify, which
        # the bridge keeps; the page repeats its connect until it is answered, as pages do.
        frames = [await _answer(alice, {**CONNECT}),
                  await _answer(bob, {"command": "connect", "self": "bob", "opponent": "alice"})]
        frames.append(await alice.receive_str(timeout=5))
        commands = [json.loads(frame)["command"] for frame in frames]
        assert commands == ["waiting", "game_start", "game_start"]
        assert not any("cookie" in frame or "verify" in frame for frame in frames)
        await alice.close()
        await bob.close()
    finally:
        running.stop()


async def _answer(ws: Any, connect: dict[str, Any]) -> str:
    for stamp in range(1, 30):
        await ws.send_str(json.dumps({**connect, "timestamp": stamp}))
        try:
            return await ws.receive_str(timeout=0.2)
        except TimeoutError:
            continue
    raise AssertionError(f"no answer to {connect}")
