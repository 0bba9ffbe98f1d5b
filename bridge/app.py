"""The bridge's aiohttp application: pages, static files and the `/ws` relay, all under a base path.

Built the aiohttp-demos way: an app factory, typed state through `web.AppKey`, resources in
`cleanup_ctx`, open WebSockets closed with GOING_AWAY on shutdown, routes in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, hdrs, web

from bridge.proxy import ProxyHeaderError, PublicBase, client_ip, origin_matches, public_base
from bridge.relay import Relay, RelayLimits
from bridge.settings import BridgeSettings
from server.wire import GAME_NAME_PATTERN

try:  # libuv's event loop: measured, the relay's hop costs about a third less CPU on it
    import uvloop
except ImportError:  # not on Windows; asyncio's own loop serves the same
    uvloop = None

__all__ = ["BridgeSettings", "init_app", "run_bridge"]

logger = logging.getLogger(__name__)

MAX_FRAME = 64 * 1024  # bigger frames close the WebSocket with 1009; smaller ones get `too_large`
SHUTDOWN_SECONDS = 5.0  # handlers get this long to finish after their WebSocket was closed

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class Connections:
    """The open WebSockets (closed on shutdown) and how many each client address holds."""

    def __init__(self, max_per_ip: int) -> None:
        self.sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()
        self._per_ip: Counter[str] = Counter()
        self._max_per_ip = max_per_ip

    def admit(self, ip: str) -> bool:
        if self._per_ip[ip] >= self._max_per_ip:
            return False
        self._per_ip[ip] += 1
        return True

    def release(self, ip: str) -> None:
        self._per_ip[ip] -= 1
        if self._per_ip[ip] <= 0:
            del self._per_ip[ip]

    def count(self, ip: str) -> int:
        return self._per_ip[ip]


SETTINGS = web.AppKey("settings", BridgeSettings)
CONNECTIONS = web.AppKey("connections", Connections)


def init_app(settings: BridgeSettings) -> web.Application:
    """The application for `settings`; nothing is opened until it starts."""
    app = web.Application()
    app[SETTINGS] = settings
    aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(str(settings.templates_dir)), autoescape=True
    )
    _add_routes(app, settings)
    app.cleanup_ctx.append(_connections_ctx)
    app.on_shutdown.append(_close_websockets)
    app.on_response_prepare.append(_add_security_headers)
    return app


def _add_routes(app: web.Application, settings: BridgeSettings) -> None:
    base = settings.base_path
    app.router.add_get(base, index_page, name="index")
    app.router.add_get(base + "m/{game_name:" + GAME_NAME_PATTERN + "}", match_page, name="match")
    app.router.add_get(base + "ws", websocket, name="ws")
    app.router.add_get(base + "healthz", healthz, name="healthz")
    app.router.add_static(base + "static/", settings.static_dir, name="static")
    if base != "/":
        app.router.add_get(base.rstrip("/"), to_base_path)


async def _connections_ctx(app: web.Application) -> AsyncIterator[None]:
    connections = Connections(app[SETTINGS].max_connections_per_ip)
    app[CONNECTIONS] = connections
    yield
    if connections.sockets:
        logger.warning("%d WebSockets still open at cleanup", len(connections.sockets))


async def _close_websockets(app: web.Application) -> None:
    sockets = list(app[CONNECTIONS].sockets)
    await asyncio.gather(
        *(ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown") for ws in sockets)
    )


async def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


# -- pages ----------------------------------------------------------------------------------


def _public_base(request: web.Request) -> PublicBase:
    try:
        return public_base(request, request.app[SETTINGS])
    except ProxyHeaderError as exc:
        raise web.HTTPBadRequest(text=f"bad request: {exc}") from None


def _page(request: web.Request, game_name: str | None) -> web.Response:
    base = _public_base(request)
    context: dict[str, Any] = {
        "base_path": base.path,
        "game_name": game_name,
        "share_base": base.url,
        "static_url": base.path + "static/",
        "ws_path": base.path + "ws",
    }
    response = aiohttp_jinja2.render_template("index.html", request, context)
    # The page names the host it was asked for: never let a cache hand it to another.
    response.headers[hdrs.CACHE_CONTROL] = "no-cache"
    return response


async def index_page(request: web.Request) -> web.Response:
    return _page(request, None)


async def match_page(request: web.Request) -> web.Response:
    return _page(request, request.match_info["game_name"])


async def to_base_path(request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect(_public_base(request).path)


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


# -- the relay ------------------------------------------------------------------------------


async def websocket(request: web.Request) -> web.WebSocketResponse:
    settings = request.app[SETTINGS]
    origin = request.headers.get(hdrs.ORIGIN)
    # A page from another site must not drive a player's connection (aiohttp-demos chat).
    if not origin_matches(origin, _public_base(request)):
        logger.info("refused WebSocket from origin %r", origin)
        raise web.HTTPForbidden(text="WebSocket origin does not match this site")
    ip = client_ip(request, settings.trust_proxy)
    connections = request.app[CONNECTIONS]
    if not connections.admit(ip):
        logger.info("refused WebSocket: %s already has %d open", ip, connections.count(ip))
        raise web.HTTPTooManyRequests(text="too many open connections from this address")
    try:
        return await _relay(request, settings, connections)
    finally:
        connections.release(ip)


async def _relay(
    request: web.Request, settings: BridgeSettings, connections: Connections
) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(
        heartbeat=settings.heartbeat_seconds, compress=False, max_msg_size=MAX_FRAME
    )
    await ws.prepare(request)
    connections.sockets.add(ws)
    limits = RelayLimits(settings.frames_per_second, settings.max_queued_frames)
    try:
        await Relay(ws, settings.server, limits).run()
    except OSError as exc:
        logger.error("cannot open a UDP socket to %s: %s", settings.server, exc)
        await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"game server unreachable")
    finally:
        connections.sockets.discard(ws)
    return ws


# -- running --------------------------------------------------------------------------------


def run_bridge(settings: BridgeSettings, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until SIGINT/SIGTERM; `on_ready(url)` once listening (with the real port)."""
    loop_factory = uvloop.new_event_loop if uvloop is not None else None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(_serve(settings, on_ready))


async def _serve(settings: BridgeSettings, on_ready: Callable[[str], None] | None) -> None:
    runner = web.AppRunner(init_app(settings), shutdown_timeout=SHUTDOWN_SECONDS)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        url = _listening_url(runner, settings)
        logger.info("bridge listening on %s, relaying to %s", url, settings.server)
        if on_ready is not None:
            on_ready(url)
        await _wait_for_signal()
    finally:
        await runner.cleanup()


def _listening_url(runner: web.AppRunner, settings: BridgeSettings) -> str:
    bound_host, port = runner.addresses[0][:2]
    host = settings.host or bound_host  # "localhost" stays "localhost", not "::1"
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{port}{settings.base_path}"


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    # Signal handlers can only be installed from the main thread.
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        for signum in signals:
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        if in_main_thread:
            for signum in signals:
                with contextlib.suppress(ValueError, RuntimeError):
                    loop.remove_signal_handler(signum)
