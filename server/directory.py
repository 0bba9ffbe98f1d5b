"""The cluster's directory in Redis: which nodes are alive, which node owns a match, and where a
pair of names meets (docs/operations.md "A cluster").

Keys (only commands Valkey serves too: SET with NX and PX, GET, MGET, DEL, SADD, SMEMBERS, SREM):
- `ba:node:<id>`: JSON {address, load, draining}, set every second with a few seconds' expiry,
  so a node that dies drops out by itself; `ba:nodes` is the set of ids ever seen (an id whose
  key has expired is removed by whoever notices).
- `ba:match:<game_name>`: the owning node's id, set only if absent, expiring after the longest a
  match can live (waiting, playing, lingering). A match never moves.
- `ba:pair:<a>|<b>` (the two names casefolded, sorted): JSON {node, game_name}, set only if
  absent, so two players who name each other meet on one node: a race has one winner.

The server's side is `Directory`: the sync client, with a thread of its own that refreshes the
node's key and the list of live nodes every second, so the datagram path never waits on Redis.
Only creating a match asks Redis while a request waits (one round trip, with a short timeout),
and not at all once the thread has found Redis away: then new matches are refused with
`directory_unavailable` and the log says so once (and once when it is back).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import redis
from redis.exceptions import RedisError

from server.wire import NODE_REFRESH_SECONDS, NODE_TTL_SECONDS

log = logging.getLogger(__name__)

T = TypeVar("T")

PREFIX = "ba:"
NODES_KEY = PREFIX + "nodes"
DIRECTORY_TIMEOUT_SECONDS = 0.25  # a lookup on the match-creation path waits at most this


def node_key(node_id: str) -> str:
    return f"{PREFIX}node:{node_id}"


def match_key(game_name: str) -> str:
    return f"{PREFIX}match:{game_name}"


def pair_key(a: str, b: str) -> str:
    first, second = sorted((a.casefold(), b.casefold()))
    return f"{PREFIX}pair:{first}|{second}"


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` or `[v6]:PORT` as (host, port); ValueError when it is neither."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


@dataclass(frozen=True)
class Node:
    """A live node as its key says: where clients reach it, how many matches it holds, and
    whether it is draining (it takes no new matches)."""

    node_id: str
    address: str  # the public HOST:PORT
    load: int = 0
    draining: bool = False

    def encode(self) -> str:
        return json.dumps({"address": self.address, "load": self.load,
                           "draining": self.draining}, separators=(",", ":"))

    @classmethod
    def decode(cls, node_id: str, raw: str | bytes | None) -> Node | None:
        """The node a key's value describes; None for a missing or malformed one."""
        if raw is None:
            return None
        try:
            value = json.loads(raw)
            parse_address(value["address"])
            return cls(node_id, value["address"], int(value["load"]), bool(value["draining"]))
        except (ValueError, TypeError, KeyError):
            return None


def least_loaded(nodes: dict[str, Node], *, besides: str | None = None) -> Node | None:
    """The node a new match should go to: not draining, fewest matches (ties by id)."""
    candidates = [n for n in nodes.values() if not n.draining and n.node_id != besides]
    return min(candidates, key=lambda n: (n.load, n.node_id), default=None)


def read_nodes(client: redis.Redis) -> dict[str, Node]:
    """Every live node (sync client); removes the ids whose key has expired."""
    ids = sorted(_text(member) for member in client.smembers(NODES_KEY))
    if not ids:
        return {}
    values = client.mget([node_key(node_id) for node_id in ids])
    return live_nodes(ids, values, lambda dead: client.srem(NODES_KEY, *dead))


def live_nodes(
    ids: list[str], values: list[bytes | str | None], forget: Callable[[list[str]], object]
) -> dict[str, Node]:
    nodes = {}
    dead = []
    for node_id, raw in zip(ids, values, strict=True):
        node = Node.decode(node_id, raw)
        if node is None:
            dead.append(node_id)
        else:
            nodes[node_id] = node
    if dead:
        forget(dead)
    return nodes


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class DirectoryUnavailable(Exception):
    """Redis cannot be reached (or did not answer in time)."""


@dataclass(frozen=True)
class Elsewhere:
    """The answer `claim` gives when the pair already meets on another node."""

    node: Node
    game_name: str


class Directory:
    """This node's view of the directory, for the service (server/service.py)."""

    def __init__(
        self,
        url: str,
        node_id: str,
        public_address: str,
        load: Callable[[], int],
        *,
        ttl_seconds: float = NODE_TTL_SECONDS,
        refresh_seconds: float = NODE_REFRESH_SECONDS,
    ) -> None:
        self.node_id = node_id
        self.public_address = public_address
        self._load = load
        self._ttl_ms = round(ttl_seconds * 1000)
        self._refresh = refresh_seconds
        self._client = redis.Redis.from_url(
            url, socket_timeout=DIRECTORY_TIMEOUT_SECONDS,
            socket_connect_timeout=DIRECTORY_TIMEOUT_SECONDS, decode_responses=True)
        kwargs = self._client.connection_pool.connection_kwargs
        self._where = f"{kwargs.get('host', kwargs.get('path'))}:{kwargs.get('port', '')}"
        self._state_lock = threading.Lock()
        self._available: bool | None = None  # None until the first refresh
        self._nodes: dict[str, Node] = {}
        self.draining = False
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="directory", daemon=True)

    # -- the thread ---------------------------------------------------------------------------

    def start(self) -> None:
        self.refresh()  # the node is listed before the shell reports it is ready
        self._thread.start()

    def stop(self) -> None:
        """Stop refreshing and take the node's key away: bridges stop sending it new matches."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        try:
            self._client.delete(node_key(self.node_id))
            self._client.srem(NODES_KEY, self.node_id)
        except RedisError:
            pass  # the key expires by itself
        self._client.close()

    def set_draining(self) -> None:
        """Mark the node draining in its key now, not at the next refresh."""
        self.draining = True
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._refresh)
            self._wake.clear()
            if not self._stopping.is_set():
                self.refresh()

    def refresh(self) -> None:
        """Write this node's key and read every live node's (one round trip each)."""
        me = Node(self.node_id, self.public_address, self._load(), self.draining)
        try:
            pipe = self._client.pipeline(transaction=False)
            pipe.set(node_key(self.node_id), me.encode(), px=self._ttl_ms)
            pipe.sadd(NODES_KEY, self.node_id)
            pipe.execute()
            nodes = read_nodes(self._client)
        except RedisError as exc:
            self._mark(False, exc)
            return
        with self._state_lock:
            self._nodes = nodes
        self._mark(True)

    def _mark(self, available: bool, exc: Exception | None = None) -> None:
        """Log a change of Redis's reachability, once per change (never per datagram)."""
        with self._state_lock:
            was, self._available = self._available, available
        if available and was is False:
            log.warning("directory at %s is reachable again: new matches are accepted",
                        self._where)
        elif not available and was is not False:
            log.warning("directory at %s is unreachable (%s): running matches play on, new "
                        "matches are refused until it returns", self._where, exc)

    # -- what the service asks ----------------------------------------------------------------

    @property
    def available(self) -> bool:
        with self._state_lock:
            return bool(self._available)

    def nodes(self) -> dict[str, Node]:
        """The live nodes as of the last refresh."""
        with self._state_lock:
            return dict(self._nodes)

    def elsewhere(self) -> Node | None:
        """The least-loaded live node other than this one that takes new matches."""
        return least_loaded(self.nodes(), besides=self.node_id)

    def owner(self, game_name: str) -> Node | None:
        """The live node that owns `game_name`, if it is another one (one GET)."""
        node_id = self._ask(lambda: self._client.get(match_key(game_name)))
        if node_id is None or node_id == self.node_id:
            return None
        return self.nodes().get(node_id)

    def claim(
        self, game_name: str, pair: tuple[str, str] | None, lifetime_ms: int, waiting_ms: int
    ) -> Elsewhere | None:
        """Claim `game_name` for this node and, for a challenge, the pair of names. None: the
        match is this node's to create; else where the pair already meets."""
        mine = json.dumps({"node": self.node_id, "game_name": game_name}, separators=(",", ":"))

        def run() -> Elsewhere | None:
            pipe = self._client.pipeline(transaction=False)
            pipe.set(match_key(game_name), self.node_id, nx=True, px=lifetime_ms)
            if pair is not None:
                pipe.set(pair_key(*pair), mine, nx=True, px=waiting_ms)
            results = pipe.execute()
            if pair is None or results[1]:
                return None
            key = pair_key(*pair)
            for _ in range(2):  # a stale claim is taken over once; a fresh one wins
                held = self._client.get(key)
                winner = self._pair_winner(held)
                if winner is not None:
                    return winner
                self._client.delete(key)
                if self._client.set(key, mine, nx=True, px=waiting_ms):
                    return None
            return self._pair_winner(self._client.get(key))

        return self._ask(run)

    def _pair_winner(self, held: str | None) -> Elsewhere | None:
        """The live other node a pair key names; None when it names nobody alive, or us (then
        our lobby has no live match for it: the claim is stale)."""
        try:
            value = json.loads(held) if held is not None else None
            node_id, game_name = value["node"], value["game_name"]
        except (ValueError, TypeError, KeyError):
            return None
        if node_id == self.node_id:
            return None
        node = Node.decode(node_id, self._client.get(node_key(node_id)))
        return None if node is None else Elsewhere(node, game_name)

    def _ask(self, call: Callable[[], T]) -> T:
        if not self.available:
            raise DirectoryUnavailable
        try:
            return call()
        except RedisError as exc:
            self._mark(False, exc)
            raise DirectoryUnavailable from exc
