"""deploy/nginx.conf in front of a real bridge and a real UDP server, all on loopback.

nginx runs unprivileged-style: in the foreground, one process, everything under a temp prefix.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets

from bridge.app import serving
from bridge.settings import BridgeSettings
from tests.conftest import STATIC_TEXT, SiteDirs, page_context

REPO_DIR = Path(__file__).resolve().parent.parent
NGINX_CONF = REPO_DIR / "deploy" / "nginx.conf"
PUBLIC_PLACEHOLDER = "127.0.0.1:8088"  # the `listen` address in deploy/nginx.conf
BRIDGE_PLACEHOLDER = "127.0.0.1:8080"  # the `upstream` address
PREFIX = "/blockattack/"
# Debian puts nginx in /usr/sbin, which an ordinary user's PATH may lack.
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _render_conf(public_port: int, bridge_port: int) -> str:
    conf = NGINX_CONF.read_text()
    for placeholder in (PUBLIC_PLACEHOLDER, BRIDGE_PLACEHOLDER):
        assert conf.count(placeholder) == 1, f"deploy/nginx.conf must name {placeholder} once"
    return conf.replace(PUBLIC_PLACEHOLDER, f"127.0.0.1:{public_port}").replace(
        BRIDGE_PLACEHOLDER, f"127.0.0.1:{bridge_port}"
    )


async def _start_nginx(prefix: Path, bridge_port: int) -> tuple[asyncio.subprocess.Process, int]:
    """nginx on a free port; a port taken between probing and binding gets another try."""
    (prefix / "logs").mkdir(exist_ok=True)
    (prefix / "temp").mkdir(exist_ok=True)
    error_log = prefix / "logs" / "error.log"
    for _ in range(3):
        port = _free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(_render_conf(port, bridge_port))
        assert NGINX is not None, "nginx is missing: `make test` installs it (Debian's nginx)"
        process = await asyncio.create_subprocess_exec(
            NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(error_log),
            # One foreground process: nothing to daemonise, no workers to switch users for.
            "-g", f"daemon off; master_process off; pid {prefix / 'nginx.pid'};",
        )
        if await _listening(process, port):
            return process, port
        await _stop(process)
    raise AssertionError(f"nginx did not start: {error_log.read_text()}")


async def _listening(process: asyncio.subprocess.Process, port: int) -> bool:
    for _ in range(200):  # up to about 10 s
        if process.returncode is not None:
            return False
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return True
    return False


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


@dataclass(frozen=True)
class Stack:
    public_port: int  # nginx
    bridge_port: int

    @property
    def public_origin(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"


@pytest.fixture
def bridge_overrides() -> dict[str, Any]:
    """BridgeSettings for the stack's bridge besides its defaults (a test may override this)."""
    return {}


@pytest.fixture
async def stack(
    tmp_path: Path, site_dirs: SiteDirs, udp_server: tuple[str, int],
    bridge_overrides: dict[str, Any],
) -> AsyncIterator[Stack]:
    """UDP server → bridge (base path /blockattack/, trusting the proxy) → nginx."""
    settings = BridgeSettings(
        host="127.0.0.1",
        port=0,
        server=udp_server,
        base_path=PREFIX,
        trust_proxy=True,
        templates_dir=site_dirs.templates_dir,
        static_dir=site_dirs.static_dir,
        **bridge_overrides,
    )
    async with serving(settings) as bridge:
        nginx_prefix = tmp_path / "nginx"
        nginx_prefix.mkdir()
        process, public_port = await _start_nginx(nginx_prefix, bridge.port)
        try:
            yield Stack(public_port, bridge.port)
        finally:
            await _stop(process)


async def test_pages_under_the_prefix_show_the_public_address(stack: Stack) -> None:
    async with aiohttp.ClientSession(stack.public_origin) as session:
        async with session.get(PREFIX) as page:
            assert page.status == 200
            assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
            assert page_context(await page.text()) == {
                "base_path": PREFIX,
                "game_name": None,
                "share_base": f"{stack.public_origin}{PREFIX}",
                "static_url": f"{PREFIX}static/",
                "ws_path": f"{PREFIX}ws",
            }
        async with session.get(f"{PREFIX}m/Xk3_game") as page:
            assert page_context(await page.text())["game_name"] == "Xk3_game"
        async with session.get(f"{PREFIX}m/bad.name") as page:
            assert page.status == 404
        async with session.get(f"{PREFIX}static/test.txt") as static:
            assert static.status == 200 and await static.text() == STATIC_TEXT
            assert static.headers["X-Content-Type-Options"] == "nosniff"
        async with session.get("/blockattack", allow_redirects=False) as redirect:
            assert redirect.status == 308
            assert redirect.headers["Location"].endswith(PREFIX)


async def test_a_websocket_through_nginx_reaches_the_server(stack: Stack) -> None:
    url = f"ws://127.0.0.1:{stack.public_port}{PREFIX}ws"
    async with websockets.connect(url, origin=websockets.Origin(stack.public_origin)) as ws:
        await ws.send(json.dumps({"command": "connect", "self": "alice", "opponent": "bob",
                                  "pad": "." * 400}))  # protocol.md "Handshake"
        waiting = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert (waiting["command"], waiting["self"]) == ("waiting", "alice")
        await ws.send("not json")  # the bridge answers through nginx, and stays open
        error = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert (error["command"], error["reason"]) == ("error", "bad_json")


async def test_the_origin_check_uses_the_public_address(stack: Stack) -> None:
    # The bridge's own address is not the site's origin once nginx is in front.
    url = f"ws://127.0.0.1:{stack.public_port}{PREFIX}ws"
    bridge_origin = websockets.Origin(f"http://127.0.0.1:{stack.bridge_port}")
    with pytest.raises(websockets.InvalidStatus) as caught:
        async with websockets.connect(url, origin=bridge_origin):
            pass
    assert caught.value.response.status_code == 403


async def test_a_client_sent_forwarded_prefix_never_reaches_the_bridge(stack: Stack) -> None:
    """nginx sets X-Forwarded-Prefix itself: a client's own would otherwise rewrite every path
    in the page, for anyone a cache hands it to."""
    lies = {"X-Forwarded-Prefix": "/evil/", "X-Forwarded-Proto": "javascript"}
    async with (aiohttp.ClientSession(stack.public_origin) as session,
                session.get(PREFIX, headers=lies) as page):
        assert page.status == 200
        context = page_context(await page.text())
        assert (context["base_path"], context["ws_path"]) == (PREFIX, f"{PREFIX}ws")
        assert "X-Forwarded-Prefix" in page.headers["Vary"]


async def test_the_host_a_browser_names_must_be_allowed_through_nginx(stack: Stack) -> None:
    async with (aiohttp.ClientSession(stack.public_origin) as session,
                session.get(PREFIX, headers={"Host": "evil.example"}) as page):
        assert page.status == 421


# nginx's limit_conn and one more (within limit_req's burst of 20 + 1, so only limit_conn bites)
FLOOD_WEBSOCKETS = 20 + 1


@pytest.mark.parametrize(
    "bridge_overrides", [{"max_websockets_per_ip": 64, "websockets_per_minute": 64}]
)
async def test_nginx_caps_connections_per_client(stack: Stack) -> None:
    """One client's flood of connections meets nginx's limit_conn (20): a 503 from nginx, before
    the bridge's own per-address caps (raised here, so only nginx's shows)."""
    url = f"ws://127.0.0.1:{stack.public_port}{PREFIX}ws"
    origin = websockets.Origin(stack.public_origin)
    opened: list[websockets.ClientConnection] = []
    refused: list[int] = []
    try:
        for _ in range(FLOOD_WEBSOCKETS):
            try:
                opened.append(await websockets.connect(url, origin=origin, open_timeout=10))
            except websockets.InvalidStatus as exc:
                refused.append(exc.response.status_code)
        assert (len(opened), refused) == (20, [503])
    finally:
        for ws in opened:
            await ws.close()


async def test_nginx_limits_the_websocket_handshake_rate(stack: Stack) -> None:
    """limit_req on the WebSocket location: 10 a second with bursts of 20, then 429. The requests
    go one after another on one connection, so limit_conn never counts more than one."""
    statuses = []
    async with aiohttp.ClientSession(stack.public_origin) as session:
        for _ in range(40):
            async with session.get(f"{PREFIX}ws") as response:  # no Origin: the bridge says 403
                statuses.append(response.status)
    assert statuses[:21] == [403] * 21  # the burst, and the one token of the moment
    assert 429 in statuses
    assert set(statuses) == {403, 429}
