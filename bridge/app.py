"""The bridge's aiohttp application: pages, static files and the `/ws` relay, all under a base path.

Built the aiohttp-demos way: an app factory, typed state through `web.AppKey`, resources in
`cleanup_ctx`, open WebSockets closed with GOING_AWAY on shutdown, routes in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import threading
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, hdrs, web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from bridge import replays
from bridge.health import Readiness, ServerProbe
from bridge.limits import ClientBook, ClientLimits, client_key
from bridge.listener import ConnectionGuard, listen
from bridge.log_limit import RateLimitFilter
from bridge.metrics import add_stats, bridge_registry, sum_stats
from bridge.proxy import (
    FORWARDED_VARY,
    MisdirectedError,
    ProxyHeaderError,
    PublicBase,
    check_host,
    client_ip,
    origin_matches,
    public_base,
)
from bridge.relay import Relay, RelayLimits, RelayStats
from bridge.routing import DirectoryRoute, FixedRoute, Route
from bridge.settings import BridgeSettings
from server.wire import GAME_NAME_PATTERN

try:  # libuv's event loop: measured, the relay's hop costs about a third less CPU on it
    import uvloop
except ImportError:  # not on Windows; asyncio's own loop serves the same
    uvloop = None

__all__ = ["BridgeSettings", "init_app", "run_bridge", "serving"]

logger = logging.getLogger(__name__)

MAX_FRAME = 64 * 1024  # bigger frames close the WebSocket with 1009; smaller ones get `too_large`
SHUTDOWN_SECONDS = 5.0  # handlers get this long to finish after their WebSocket was closed
# How long a close waits for the peer's close frame: a flood's WebSocket never sends one, and
# every frame it sends meanwhile is still read (aiohttp's default waits 10 s).
CLOSE_SECONDS = 1.0
BUSY = b"server busy"  # the close reason at capacity (code 1013, Try Again Later)
# A UDP socket that cannot be opened for want of these is the bridge's capacity, not the server.
OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# Answer for any Host: load balancers and probes name the bridge by whatever address they use.
ANY_HOST_ROUTES = frozenset({"healthz", "livez", "readyz"})

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class Connections:
    """The open WebSockets (closed on shutdown), what each client address holds and has used
    (bridge/limits.py), and the relays' stats (the live ones', and the sum of the closed ones')
    for the metrics."""

    def __init__(self, settings: BridgeSettings) -> None:
        self.sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()
        self.relays: set[Relay] = set()
        self.closed_stats = RelayStats()
        self.book = ClientBook(ClientLimits(
            websockets_per_ip=settings.max_websockets_per_ip,
            websockets_per_minute=settings.websockets_per_minute,
            matches_per_minute=settings.matches_per_minute,
            seats_per_ip=settings.max_seats_per_ip,
            frames_per_ip=settings.frames_per_ip,
        ))

    def stats(self) -> tuple[int, RelayStats]:
        """The open WebSockets, and every relay's stats added up."""
        return len(self.sockets), sum_stats(self.closed_stats,
                                            (relay.stats for relay in self.relays))


SETTINGS = web.AppKey("settings", BridgeSettings)
CONNECTIONS = web.AppKey("connections", Connections)
ROUTE = web.AppKey("route", Route)
METRICS = web.AppKey("metrics", CollectorRegistry)
READINESS = web.AppKey("readiness", Readiness)


def init_app(settings: BridgeSettings) -> web.Application:
    """The application for `settings`; nothing is opened until it starts."""
    app = web.Application(middlewares=[_allowed_hosts_only, _styled_not_found])
    app[SETTINGS] = settings
    app[READINESS] = Readiness(ServerProbe(settings.server))
    aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(str(settings.templates_dir)), autoescape=True
    )
    _add_routes(app, settings)
    app.cleanup_ctx.append(_connections_ctx)
    app.cleanup_ctx.append(_route_ctx)
    app.on_shutdown.insert(0, _mark_shutting_down)
    app.on_shutdown.append(_close_websockets)
    app.on_response_prepare.append(_add_security_headers)
    return app


def _add_routes(app: web.Application, settings: BridgeSettings) -> None:
    base = settings.base_path
    app.router.add_get(base, index_page, name="index")
    app.router.add_get(base + "m/{game_name:" + GAME_NAME_PATTERN + "}", match_page, name="match")
    # A link pasted into a sentence keeps its full stop, bracket or slash: it still works.
    app.router.add_get(base + "m/{game_name:" + GAME_NAME_PATTERN + "}{tail:[./)]+}",
                       to_match_page, name="match_tail")
    app.router.add_get(base + "ws", websocket, name="ws")
    app.router.add_get(base + "replay", replay_page, name="replay_page")
    replays.add_routes(app, base, settings.server)  # GET replays/<game_name>.json
    app.router.add_get(base + "healthz", healthz, name="healthz")
    app.router.add_get(base + "livez", healthz, name="livez")
    app.router.add_get(base + "readyz", readyz, name="readyz")
    if settings.metrics:
        app.router.add_get(base + "metrics", metrics, name="metrics")
    app.router.add_static(base + "static/", settings.static_dir, name="static")
    if base != "/":
        app.router.add_get(base.rstrip("/"), to_base_path)


async def _connections_ctx(app: web.Application) -> AsyncIterator[None]:
    connections = Connections(app[SETTINGS])
    app[CONNECTIONS] = connections
    if app[SETTINGS].metrics:
        app[METRICS] = bridge_registry(connections.stats)
    yield
    if connections.sockets:
        logger.warning("%d WebSockets still open at cleanup", len(connections.sockets))


async def _route_ctx(app: web.Application) -> AsyncIterator[None]:
    """Where relays send datagrams: the one server, or a cluster's directory (bridge/routing.py)
    with its live-node cache refreshed by a task owned here."""
    settings = app[SETTINGS]
    if settings.directory is None:
        app[ROUTE] = FixedRoute(settings.server)
        yield
        return
    route = DirectoryRoute(settings.directory)
    await route.refresh()  # the nodes are known before the first WebSocket
    app[ROUTE] = route
    app[READINESS].check = route  # ready when the directory lists a node, whatever --server is
    refresher = asyncio.create_task(route.run(), name="bridge-directory")
    try:
        yield
    finally:
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
        await route.aclose()


async def _mark_shutting_down(app: web.Application) -> None:
    app[READINESS].shutting_down = True


async def _close_websockets(app: web.Application) -> None:
    sockets = list(app[CONNECTIONS].sockets)
    await asyncio.gather(
        *(ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown") for ws in sockets)
    )


@web.middleware
async def _allowed_hosts_only(request: web.Request, handler: Any) -> web.StreamResponse:
    """421 for a Host outside --allowed-hosts: a DNS-rebinding page reaches the bridge under the
    attacker's name, and must get nothing of the site's."""
    route = request.match_info.route.name
    if route not in ANY_HOST_ROUTES:
        try:
            check_host(request, request.app[SETTINGS])
        except MisdirectedError as exc:
            logger.info("refused a request for another host: %s", exc)
            return web.Response(status=421, text=f"misdirected request: {exc}")
        except ProxyHeaderError as exc:
            return web.Response(status=400, text=f"bad request: {exc}")
    return await handler(request)


# Routes whose 404 is a page for people: none matched (an unknown path). The others' 404s (a
# missing static file, a replay) answer scripts and stay plain.
STYLED_NOT_FOUND = frozenset({None})


@web.middleware
async def _styled_not_found(request: web.Request, handler: Any) -> web.StreamResponse:
    """Any unknown path gets the styled 404 page (web/404.html) with a way home."""
    try:
        return await handler(request)
    except web.HTTPNotFound as not_found:
        if request.match_info.route.name not in STYLED_NOT_FOUND:
            raise
        base = _public_base(request)
        context = {"base_path": base.path, "static_url": base.path + "static/"}
        try:
            aiohttp_jinja2.get_env(request.app).get_template("404.html")
        except jinja2.TemplateNotFound:  # a templates dir without one: the plain 404
            raise not_found from None
        response = aiohttp_jinja2.render_template("404.html", request, context, status=404)
        response.headers[hdrs.CACHE_CONTROL] = "no-cache"
        return response


def _vary(request: web.Request) -> dict[str, str]:
    """The Vary a page needs: behind a trusted proxy it is built from the forwarded headers."""
    settings = request.app[SETTINGS]
    return {hdrs.VARY: FORWARDED_VARY} if settings.trust_proxy and not settings.public_url else {}


async def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


# -- pages ----------------------------------------------------------------------------------


def _public_base(request: web.Request) -> PublicBase:
    try:
        return public_base(request, request.app[SETTINGS])
    except ProxyHeaderError as exc:
        raise web.HTTPBadRequest(text=f"bad request: {exc}") from None


def _page(request: web.Request, game_name: str | None,
          template: str = "index.html") -> web.Response:
    base = _public_base(request)
    context: dict[str, Any] = {
        "base_path": base.path,
        "game_name": game_name,
        "share_base": base.url,
        "static_url": base.path + "static/",
        "ws_path": base.path + "ws",
    }
    response = aiohttp_jinja2.render_template(template, request, context)
    # The page names the host it was asked for: never let a cache hand it to another.
    response.headers[hdrs.CACHE_CONTROL] = "no-cache"
    response.headers.update(_vary(request))
    return response


async def index_page(request: web.Request) -> web.Response:
    return _page(request, None)


async def match_page(request: web.Request) -> web.Response:
    return _page(request, request.match_info["game_name"])


async def replay_page(request: web.Request) -> web.Response:
    """The replay player and this browser's history (web/replay.html); which replay it opens
    (`?game=`, a file) is the page's business."""
    return _page(request, None, "replay.html")


async def to_match_page(request: web.Request) -> web.Response:
    path = _public_base(request).path + "m/" + request.match_info["game_name"]
    raise web.HTTPPermanentRedirect(path, headers=_vary(request))


async def to_base_path(request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect(_public_base(request).path, headers=_vary(request))


async def healthz(request: web.Request) -> web.Response:
    """Liveness (`healthz`, `livez`): the event loop answers."""
    return web.Response(text="ok")


async def readyz(request: web.Request) -> web.Response:
    """Readiness: not shutting down, and the game server answers (bridge/health.py)."""
    reason = await request.app[READINESS].unready()
    if reason is None:
        return web.Response(text="ready", headers={hdrs.CACHE_CONTROL: "no-store"})
    return web.Response(status=503, text=f"not ready: {reason}",
                        headers={hdrs.CACHE_CONTROL: "no-store"})


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS])
    return web.Response(body=body, headers={hdrs.CONTENT_TYPE: CONTENT_TYPE_LATEST,
                                            hdrs.CACHE_CONTROL: "no-store"})


# -- the relay ------------------------------------------------------------------------------


async def websocket(request: web.Request) -> web.WebSocketResponse:
    settings = request.app[SETTINGS]
    origin = request.headers.get(hdrs.ORIGIN)
    # A page from another site must not drive a player's connection (aiohttp-demos chat).
    if not origin_matches(origin, _public_base(request), settings):
        logger.info("refused WebSocket from origin %r", origin)
        raise web.HTTPForbidden(text="WebSocket origin does not match this site")
    key = client_key(client_ip(request, settings.trust_proxy))
    connections = request.app[CONNECTIONS]
    book = connections.book
    if book.websockets >= settings.max_websockets:
        logger.warning("refused a WebSocket: %d open, the most allowed", book.websockets)
        return await _close_busy(request)
    refusal = book.open_websocket(key, asyncio.get_running_loop().time())
    if refusal is not None:
        logger.info("refused WebSocket from %s: %s", key, refusal)
        raise web.HTTPTooManyRequests(text=refusal)
    try:
        return await _relay(request, settings, connections, key)
    finally:
        book.close_websocket(key)


async def _close_busy(request: web.Request) -> web.WebSocketResponse:
    """Open the WebSocket only to close it with 1013 "server busy": a browser sees a refused
    handshake as a bare 1006, while a close reason tells the page to say so and wait."""
    ws = web.WebSocketResponse(compress=False, max_msg_size=MAX_FRAME)
    await ws.prepare(request)
    await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=BUSY)
    return ws


async def _relay(
    request: web.Request, settings: BridgeSettings, connections: Connections, key: str
) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(
        heartbeat=settings.heartbeat_seconds, compress=False, max_msg_size=MAX_FRAME,
        timeout=CLOSE_SECONDS,
    )
    await ws.prepare(request)
    connections.sockets.add(ws)
    limits = RelayLimits(settings.frames_per_second, settings.max_queued_frames,
                         server_lost_seconds=settings.server_lost_seconds)
    book = connections.book
    relay = Relay(ws, settings.server, limits, book.seats_for(key), route=request.app[ROUTE],
                  address_frames=book.frames_for(key), browser=request.transport)
    connections.relays.add(relay)
    try:
        await relay.run()
    except OSError as exc:
        logger.error("cannot open a UDP socket to %s: %s", settings.server, exc)
        if exc.errno in OUT_OF_RESOURCES:
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=BUSY)
        else:
            await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"game server unreachable")
    finally:
        connections.sockets.discard(ws)
        connections.relays.discard(relay)
        add_stats(connections.closed_stats, relay.stats)
    return ws


# -- running --------------------------------------------------------------------------------


def run_bridge(settings: BridgeSettings, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until SIGINT/SIGTERM; `on_ready(url)` once listening (with the real port)."""
    loop_factory = uvloop.new_event_loop if uvloop is not None else None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(_serve(settings, on_ready))


async def _serve(settings: BridgeSettings, on_ready: Callable[[str], None] | None) -> None:
    log_limit = RateLimitFilter(settings.log_interval_seconds)
    log_limit.install()
    flusher = asyncio.create_task(_flush_every(log_limit), name="bridge-log-flush")
    try:
        async with serving(settings) as bridge:
            logger.info("bridge listening on %s, relaying to %s", bridge.url,
                        "the directory's nodes" if settings.directory else settings.server)
            if on_ready is not None:
                on_ready(bridge.url)
            await _wait_for_signal()
    finally:
        flusher.cancel()
        log_limit.flush()
        log_limit.uninstall()


async def _flush_every(log_limit: RateLimitFilter) -> None:
    while True:
        await asyncio.sleep(log_limit.interval)
        log_limit.flush()


@dataclass(frozen=True)
class Serving:
    """A listening bridge: its app, its connection guard and where it listens."""

    app: web.Application
    guard: ConnectionGuard
    port: int
    url: str


@contextlib.asynccontextmanager
async def serving(settings: BridgeSettings) -> AsyncIterator[Serving]:
    """The bridge listening on settings.host:port, its connections guarded (bridge/listener.py),
    until the block ends; then it stops accepting, closes every WebSocket and cleans up."""
    runner = web.AppRunner(
        init_app(settings),
        shutdown_timeout=SHUTDOWN_SECONDS,
        keepalive_timeout=settings.keepalive_seconds,
    )
    await runner.setup()
    try:
        assert runner.server is not None
        guard = ConnectionGuard(
            max_connections=settings.max_connections or 1,
            # Behind a trusted proxy every connection comes from the proxy: it caps per client.
            max_per_ip=None if settings.trust_proxy else settings.max_connections_per_ip,
            header_seconds=settings.header_seconds,
        )
        server = await listen(guard.protocol_factory(runner.server), settings.host, settings.port)
        try:
            port = server.sockets[0].getsockname()[1]
            yield Serving(runner.app, guard, port, _listening_url(settings, server, port))
        finally:
            server.close()
    finally:
        await runner.cleanup()


def _listening_url(settings: BridgeSettings, server: asyncio.Server, port: int) -> str:
    host = settings.host or server.sockets[0].getsockname()[0]  # "localhost" stays "localhost"
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
