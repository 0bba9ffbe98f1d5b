"""`GET <base>/replays/<game_name>.json`: an ended match's replay, fetched from the game server
over UDP in parts (server/replay_fetch.py's PartsFetch) from a socket of its own per request,
lost parts asked for again until a deadline. 404 when the server has no such replay (unknown,
expired or not over), 504 when it does not answer in time. At most FETCHES at once.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import hdrs, web

from server.replay_fetch import PartsFetch
from server.wire import GAME_NAME_PATTERN

FETCH_SECONDS = 5.0  # the whole fetch; then 504
FETCHES = 16  # replay fetches in flight at once, per bridge

_LIMIT = web.AppKey("replay_fetches", asyncio.Semaphore)


class _Socket(asyncio.DatagramProtocol):
    def __init__(self, fetch: PartsFetch, changed: asyncio.Event) -> None:
        self.fetch, self.changed = fetch, changed

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.fetch.receive(data)
        self.changed.set()


async def fetch(server: tuple[str, int], game_name: str,
                timeout: float | None = None) -> PartsFetch:
    """Fetch until done, refused or `timeout` (FETCH_SECONDS); the fetch says which."""
    timeout = FETCH_SECONDS if timeout is None else timeout
    loop = asyncio.get_running_loop()
    parts, changed = PartsFetch(game_name), asyncio.Event()
    transport, _ = await loop.create_datagram_endpoint(lambda: _Socket(parts, changed),
                                                       remote_addr=server)
    deadline = loop.time() + timeout
    try:
        while not parts.done and parts.missing is None and loop.time() < deadline:
            for request in parts.requests(int(loop.time() * 1000)):
                transport.sendto(request)
            changed.clear()
            wait = min(parts.retry_ms / 1000, max(0.0, deadline - loop.time()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), wait)
    finally:
        transport.close()
    return parts


def add_routes(app: web.Application, base: str, server: tuple[str, int]) -> None:
    app[_LIMIT] = asyncio.Semaphore(FETCHES)

    async def replay(request: web.Request) -> web.Response:
        game_name = request.match_info["game_name"]
        async with request.app[_LIMIT]:
            try:
                parts = await fetch(server, game_name)
            except OSError as exc:
                raise web.HTTPBadGateway(text=f"cannot reach the game server: {exc}") from None
        if parts.missing is not None:
            raise web.HTTPNotFound(text=f"no replay of {game_name}: {parts.missing}")
        if not parts.done:
            raise web.HTTPGatewayTimeout(text="the game server did not send the whole replay")
        # An ended match's replay never changes.
        return web.Response(text=parts.text(), content_type="application/json",
                            headers={hdrs.CACHE_CONTROL: "public, max-age=86400, immutable"})

    app.router.add_get(base + "replays/{game_name:" + GAME_NAME_PATTERN + "}.json", replay,
                       name="replay")
