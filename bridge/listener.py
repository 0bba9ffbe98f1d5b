"""The bridge's listening socket, guarded below HTTP: caps on TCP connections (in total and per
peer address) and a deadline for the first request header.

aiohttp has no header timeout of its own, and a half-sent header costs a file descriptor for as
long as the peer likes: enough of them take the process to its open-file limit, after which no one
gets in. So every connection passes through `_Guarded`, a thin asyncio.Protocol around aiohttp's
own: it counts the connection, refuses one over a cap at once (a canned 503 or 429 written before
anything is read, then closed), and closes one whose first header has not arrived in time.

At the total cap, a newcomer may evict a connection still waiting for its first header (that is
where a slow-header flood sits; a real browser's header arrives in its first packet): the oldest
one of the address holding the most such connections, if that address holds more of them than the
newcomer's own. So a flood from many addresses makes room for a newcomer at its own expense, but a
flooding address never evicts anyone else to make room for itself, and a browser's one connection
is never the first to go.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from bridge.limits import client_key

logger = logging.getLogger(__name__)

REFUSAL_LINGER_SECONDS = 1.0  # a refusal waits this long for the request before closing
MAX_LINGERING = 64  # refusals waiting at once; past that a refusal is closed unanswered
BACKLOG = 128  # aiohttp's own; measured, 1,024 let a reconnect flood queue ahead of players
BUSY_TEXT = "The server is busy; try again in a minute."
CROWDED_TEXT = "Too many connections from your address; try again in a minute."


def _canned(status: str, text: str) -> bytes:
    body = (
        "<!doctype html><meta charset=utf-8><title>Block Attack: busy</title>"
        f"<h1>Block Attack</h1><p>{text}</p>\n"
    ).encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: 60\r\nCache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
    ).encode()
    return head + body


BUSY_RESPONSE = _canned("503 Service Unavailable", BUSY_TEXT)
CROWDED_RESPONSE = _canned("429 Too Many Requests", CROWDED_TEXT)


@dataclass
class GuardStats:
    refused_busy: int = 0  # over the total cap, with nothing to evict
    refused_per_ip: int = 0
    evicted: int = 0  # waiting for a first header when a newcomer needed the room
    header_timeouts: int = 0


class ConnectionGuard:
    """Counts connections; `protocol_factory(inner)` wraps aiohttp's factory for create_server."""

    def __init__(
        self, *, max_connections: int, max_per_ip: int | None, header_seconds: float
    ) -> None:
        self.max_connections = max_connections
        self.max_per_ip = max_per_ip  # None: not counted per address (all come from the proxy)
        self.header_seconds = header_seconds
        self.stats = GuardStats()
        self.open = 0
        self._per_ip: Counter[str] = Counter()
        # Connections still waiting for their first header, per address, oldest first; and the
        # addresses by how many of those they hold (each bucket in the order they reached it).
        self._unheard: dict[str, OrderedDict[_Guarded, None]] = {}
        self._by_unheard: dict[int, OrderedDict[str, None]] = {}
        self._most_unheard = 0
        self._lingering = 0

    def protocol_factory(self, inner: Callable[[], asyncio.Protocol]) -> Callable[[], _Guarded]:
        return lambda: _Guarded(self, inner)

    def count(self, key: str) -> int:
        return self._per_ip[key]

    def _admit(self, key: str) -> bytes | None:
        """None when a connection from `key` may be served (it is then counted), else the
        canned refusal it gets."""
        if self.max_per_ip is not None and self._per_ip[key] >= self.max_per_ip:
            self.stats.refused_per_ip += 1
            logger.warning("refused a connection: %s already has %d open", key, self._per_ip[key])
            return CROWDED_RESPONSE
        if self.open >= self.max_connections:
            most = self._most_unheard
            if most <= len(self._unheard.get(key, ())):
                self.stats.refused_busy += 1
                logger.warning("refused a connection: %d open, the most allowed", self.open)
                return BUSY_RESPONSE
            hog = next(iter(self._by_unheard[most]))
            self.stats.evicted += 1
            logger.warning("closed a connection that sent no request header, to make room")
            next(iter(self._unheard[hog])).drop()
        self.open += 1
        self._per_ip[key] += 1
        return None

    def _wait_for_header(self, connection: _Guarded) -> None:
        waiting = self._unheard.setdefault(connection.key, OrderedDict())
        waiting[connection] = None
        self._rebucket(connection.key, len(waiting) - 1, len(waiting))

    def _header_seen(self, connection: _Guarded) -> None:
        waiting = self._unheard.get(connection.key)
        if waiting is None or waiting.pop(connection, False) is False:
            return
        if not waiting:
            del self._unheard[connection.key]
        self._rebucket(connection.key, len(waiting) + 1, len(waiting))

    def _rebucket(self, key: str, before: int, after: int) -> None:
        if before:
            bucket = self._by_unheard[before]
            del bucket[key]
            if not bucket:
                del self._by_unheard[before]
        if after:
            self._by_unheard.setdefault(after, OrderedDict())[key] = None
        self._most_unheard = max(self._most_unheard, after)
        while self._most_unheard and self._most_unheard not in self._by_unheard:
            self._most_unheard -= 1

    def _release(self, key: str) -> None:
        self.open -= 1
        self._per_ip[key] -= 1
        if self._per_ip[key] <= 0:
            del self._per_ip[key]


class _Guarded(asyncio.Protocol):
    """One connection: counted, watched until its first header is in, then aiohttp's alone."""

    def __init__(self, guard: ConnectionGuard, inner: Callable[[], asyncio.Protocol]) -> None:
        self._guard = guard
        self._make_inner = inner
        self._inner: asyncio.Protocol | None = None
        self._transport: asyncio.Transport | None = None
        self.key = ""
        self._counted = False
        self._lingering = False
        self._deadline: asyncio.TimerHandle | None = None
        self._tail = b""  # the last bytes seen while looking for the header's blank line

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self._transport = cast(asyncio.Transport, transport)
        self.key = client_key(_peer_ip(transport))
        guard = self._guard
        refusal = guard._admit(self.key)
        if refusal is not None:
            self._refuse(refusal)
            return
        self._counted = True
        guard._wait_for_header(self)
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(guard.header_seconds, self._header_timeout)
        self._inner = self._make_inner()
        self._inner.connection_made(transport)

    def _refuse(self, response: bytes) -> None:
        """Answer at once and close; wait a moment for the request first (closing a socket with
        unread data resets it, and the reset can overtake the answer), but only a few at once."""
        assert self._transport is not None
        guard = self._guard
        if guard._lingering >= MAX_LINGERING:
            self._transport.abort()
            return
        self._transport.write(response)
        guard._lingering += 1
        self._lingering = True
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(REFUSAL_LINGER_SECONDS, self._transport.close)

    def _heard(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._guard._header_seen(self)
        self._tail = b""

    def _header_timeout(self) -> None:
        self._deadline = None
        self._guard.stats.header_timeouts += 1
        logger.info("closed a connection whose request header took over %g s",
                    self._guard.header_seconds)
        self.drop()

    def drop(self) -> None:
        """Close now, and stop counting it now: its descriptor is free within a loop turn."""
        self._heard()
        self._uncount()
        if self._transport is not None:
            self._transport.abort()

    def _uncount(self) -> None:
        if self._counted:
            self._counted = False
            self._guard._release(self.key)

    def data_received(self, data: bytes) -> None:
        if self._inner is None:
            if self._lingering and self._transport is not None:
                self._transport.close()  # the request is read: the answer can go in peace
            return
        if self._deadline is not None:
            # The header ends at a blank line; "\n\n" covers peers that end lines with LF only.
            seen = self._tail + data
            if b"\n\r\n" in seen or b"\n\n" in seen:
                self._heard()
            else:
                self._tail = seen[-2:]
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._heard()
        self._uncount()
        if self._lingering:
            self._lingering = False
            self._guard._lingering -= 1
        if self._inner is not None:
            self._inner.connection_lost(exc)


def _peer_ip(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return "unknown"  # a Unix socket: one peer, the proxy in front


async def listen(
    protocol_factory: Callable[[], asyncio.Protocol], host: str, port: int
) -> asyncio.Server:
    """A listening TCP server for `protocol_factory` on host:port (port 0 picks a free one)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(protocol_factory, host or None, port, backlog=BACKLOG)
