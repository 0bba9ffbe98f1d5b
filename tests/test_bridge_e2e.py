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
