"""A running bridge: GOING_AWAY on shutdown, signals, a taken port."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys

import aiohttp
import pytest
import websockets
from aiohttp import web

from bridge.app import init_app, run_bridge
from bridge.settings import BridgeSettings
from tests.conftest import CONNECT, REPO_DIR, FakeServer, SiteDirs


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


def test_run_bridge_runs_on_uvloop() -> None:
    """The bench showed libuv's loop pays for the relay; run_bridge uses it where installed."""
    loops: list[str] = []

    def ready(url: str) -> None:
        loop = asyncio.get_running_loop()
        loops.append(type(loop).__module__)
        # run_bridge installs its signal handlers before the loop runs this.
        loop.call_soon(os.kill, os.getpid(), signal.SIGTERM)

    run_bridge(BridgeSettings(port=0, server=("127.0.0.1", 9)), on_ready=ready)
    assert loops == ["uvloop"]


def test_run_bridge_on_a_taken_port_raises_and_never_reports_ready() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = BridgeSettings(port=taken.getsockname()[1], server=("127.0.0.1", 9))
        ready: list[str] = []
        with pytest.raises(OSError):
            run_bridge(settings, on_ready=ready.append)
    assert ready == []
