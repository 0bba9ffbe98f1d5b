"""Where a WebSocket's datagrams go: the one `--server`, or, with `--directory`, the cluster node
that owns the match, meets the pair, or has the fewest matches (docs/operations.md "A cluster").

The bridge keeps no state of its own beyond a cache of the live nodes, refreshed every second:
match ownership and pairs are asked of Redis (`redis.asyncio`) on each `connect`, so a tab that
comes back through any bridge finds its match. The keys are server/directory.py's.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bridge.frames import CONNECT, ClientFrame
from server.directory import (
    DIRECTORY_TIMEOUT_SECONDS,
    NODES_KEY,
    Node,
    least_loaded,
    live_nodes,
    match_key,
    node_key,
    pair_key,
    parse_address,
)
from server.wire import NODE_REFRESH_SECONDS

logger = logging.getLogger(__name__)

Address = tuple[str, int]


class Route(Protocol):
    def initial(self) -> Address | None:
        """Where a new WebSocket's socket points before its first frame (None: nowhere yet)."""

    async def target(self, frame: ClientFrame, current: Address | None) -> Address | None:
        """Where `frame` goes (None: no node to send it to)."""

    async def follow(self, node_id: str, address: str) -> Address | None:
        """The node a `redirect` names, if it is a live node of the directory."""

    def gone(self, server: Address) -> bool:
        """Whether the directory says `server` is no longer alive (its key expired)."""


class FixedRoute:
    """Everything to the one server (`--server`): no redirects to follow, no directory to ask."""

    def __init__(self, server: Address) -> None:
        self.server = server

    def initial(self) -> Address:
        return self.server

    async def target(self, frame: ClientFrame, current: Address | None) -> Address:
        return self.server

    async def follow(self, node_id: str, address: str) -> Address | None:
        return None  # a lone server has nowhere to send anyone

    def gone(self, server: Address) -> bool:
        return False  # only silence can tell


class DirectoryRoute:
    """Routes by the directory in Redis. `run()` keeps the live-node cache fresh; own it as a
    task and cancel it, then `aclose()`."""

    def __init__(self, url: str) -> None:
        self._client = aioredis.Redis.from_url(
            url, socket_timeout=DIRECTORY_TIMEOUT_SECONDS,
            socket_connect_timeout=DIRECTORY_TIMEOUT_SECONDS, decode_responses=True)
        self._nodes: dict[str, Node] = {}
        self._addresses: set[Address] = set()
        self._available: bool | None = None

    def initial(self) -> None:
        return None  # the first connect says where

    async def run(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(NODE_REFRESH_SECONDS)

    async def refresh(self) -> None:
        try:
            ids = sorted(await self._client.smembers(NODES_KEY))
            values = await self._client.mget([node_key(i) for i in ids]) if ids else []
            dead: list[str] = []
            nodes = live_nodes(ids, values, dead.extend)
            if dead:
                await self._client.srem(NODES_KEY, *dead)
        except (RedisError, OSError) as exc:
            self._mark(False, exc)
            return
        self._nodes = nodes
        self._addresses = {parse_address(node.address) for node in nodes.values()}
        self._mark(True)

    def _mark(self, available: bool, exc: Exception | None = None) -> None:
        """Log a change of Redis's reachability once, not per frame."""
        was, self._available = self._available, available
        if available and was is False:
            logger.warning("the directory is reachable again")
        elif not available and was is not False:
            logger.warning("the directory is unreachable (%s): players in a match stay with its "
                           "node; new ones go to the nodes last known", exc)

    async def target(self, frame: ClientFrame, current: Address | None) -> Address | None:
        message = frame.message
        # A connect asks for its match's (or its pair's) node; so does anything else that names
        # a match (a link page's probe, a watch), else another node answers "unknown".
        if frame.command != CONNECT and not isinstance(message.get("game_name"), str):
            return current or self._least_loaded()
        try:
            node = await self._owner(message)
        except (RedisError, OSError) as exc:
            self._mark(False, exc)
            return current or self._least_loaded()
        if node is not None:
            return parse_address(node.address)
        return self._least_loaded() if frame.command == CONNECT else current or self._least_loaded()

    async def _owner(self, message: dict[str, object]) -> Node | None:
        """The live node that holds the match this connect names, or meets its pair."""
        game_name, name, opponent = (message.get(k) for k in ("game_name", "self", "opponent"))
        if isinstance(game_name, str):
            node_id = await self._client.get(match_key(game_name))
            return None if node_id is None else await self._live(node_id)
        if isinstance(name, str) and isinstance(opponent, str):
            held = await self._client.get(pair_key(name, opponent))
            try:
                node_id = json.loads(held)["node"] if held is not None else None
            except (ValueError, TypeError, KeyError):
                node_id = None
            return None if not isinstance(node_id, str) else await self._live(node_id)
        return None

    async def _live(self, node_id: str) -> Node | None:
        node = self._nodes.get(node_id)
        if node is None:  # newer than the cache
            node = Node.decode(node_id, await self._client.get(node_key(node_id)))
        return node

    def _least_loaded(self) -> Address | None:
        node = least_loaded(self._nodes)
        return None if node is None else parse_address(node.address)

    async def follow(self, node_id: str, address: str) -> Address | None:
        try:
            node = await self._live(node_id)
        except (RedisError, OSError) as exc:
            self._mark(False, exc)
            node = self._nodes.get(node_id)
        if node is None or node.address != address:
            logger.warning("ignored a redirect to %s at %s: not a live node", node_id, address)
            return None
        return parse_address(address)

    def gone(self, server: Address) -> bool:
        return bool(self._available) and server not in self._addresses

    async def unready(self) -> str | None:
        """Readiness with a directory (bridge/health.py's Check): the nodes it lists, not
        --server, which a bridge that routes does not use."""
        if not self._available:
            return "the directory is unreachable"
        if least_loaded(self._nodes) is None:
            return "no live game server node takes new matches"
        return None

    async def aclose(self) -> None:
        await self._client.aclose()
