"""Per-client limits: what each browser address holds and has used, checked before the bridge
opens a WebSocket or forwards a `connect` that would create a match.

The server sees every WebSocket as a new UDP address (each has its own socket), so only the bridge
can count per browser: one address must not create matches without end by cycling WebSockets.
"""

from __future__ import annotations

import functools
import ipaddress
from collections import OrderedDict
from dataclasses import dataclass, field

MINUTE = 60.0
MAX_CLIENTS = 65_536  # addresses remembered; the oldest idle one is forgotten beyond that


class TokenBucket:
    """`rate` tokens a second, holding at most `burst`; `now` is any monotonic clock in seconds."""

    def __init__(self, rate: float, burst: float) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._updated: float | None = None

    def _refill(self, now: float) -> None:
        if self._updated is not None:
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
        self._updated = now

    def wait(self, now: float) -> float:
        """Seconds from `now` until `take` would succeed: 0.0 when it would now."""
        self._refill(now)
        return max(0.0, (1.0 - self._tokens) / self._rate)

    def take(self, now: float) -> bool:
        self._refill(now)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


def per_minute(count: int) -> TokenBucket:
    """`count` a minute, all of them at once if need be."""
    return TokenBucket(count / MINUTE, burst=count)


@functools.lru_cache(maxsize=4096)  # asked once per connection: keep parsing off that path
def client_key(ip: str) -> str:
    """Whose limits an address counts against: the address itself, or for IPv6 its /64 (one
    household or host holds a whole /64, and picks addresses in it at will)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass(frozen=True)
class ClientLimits:
    websockets_per_ip: int
    websockets_per_minute: int
    matches_per_minute: int
    seats_per_ip: int
    frames_per_ip: int = 120  # a second, shared by all the address's WebSockets


@dataclass
class _Client:
    upgrades: TokenBucket
    matches: TokenBucket
    frames: TokenBucket
    websockets: int = 0
    seats: int = 0

    @property
    def idle(self) -> bool:
        return self.websockets == 0 and self.seats == 0


@dataclass
class ClientBook:
    """Every client address's WebSockets and seats (held now) and its budgets of WebSocket
    upgrades and new matches (a minute's worth each) and of frames (a second's worth), all
    refilled continuously."""

    limits: ClientLimits
    max_clients: int = MAX_CLIENTS
    websockets: int = 0  # open, in total
    _clients: OrderedDict[str, _Client] = field(default_factory=OrderedDict)

    def _client(self, key: str) -> _Client:
        client = self._clients.get(key)
        if client is None:
            self._forget_one_idle()
            limits = self.limits
            client = _Client(per_minute(limits.websockets_per_minute),
                             per_minute(limits.matches_per_minute),
                             TokenBucket(limits.frames_per_ip, burst=limits.frames_per_ip))
            self._clients[key] = client
        self._clients.move_to_end(key)
        return client

    def _forget_one_idle(self) -> None:
        # Forgetting a budget only ever lets its address do more, never less; an address that
        # holds something is never forgotten (there are at most max_websockets of those).
        if len(self._clients) < self.max_clients:
            return
        for key, client in self._clients.items():
            if client.idle:
                del self._clients[key]
                return

    def open_websocket(self, key: str, now: float) -> str | None:
        """None when `key` may open one more WebSocket (counted until close_websocket), else why
        not. Every attempt spends from the upgrade budget, refused or not."""
        client = self._client(key)
        if not client.upgrades.take(now):
            per = self.limits.websockets_per_minute
            return f"more than {per} WebSocket connections a minute from this address"
        if client.websockets >= self.limits.websockets_per_ip:
            return f"this address already has {client.websockets} WebSocket connections open"
        client.websockets += 1
        self.websockets += 1
        return None

    def close_websocket(self, key: str) -> None:
        client = self._clients[key]
        client.websockets -= 1
        self.websockets -= 1

    def holding(self, key: str) -> tuple[int, int]:
        """(WebSockets, seats) that `key` holds now."""
        client = self._clients.get(key)
        return (0, 0) if client is None else (client.websockets, client.seats)

    def frames_for(self, key: str) -> TokenBucket:
        """The frame budget all of `key`'s WebSockets share (a relay keeps it while it runs):
        however many WebSockets a flood opens, its address costs at most this many frames a
        second."""
        return self._client(key).frames

    def seats_for(self, key: str) -> ClientSeats:
        return ClientSeats(self, key)


@dataclass
class ClientSeats:
    """One WebSocket's view of its address's match limits: a relay asks `create` before it
    forwards a `connect` that would open a match, and says `seated`/`unseated` as its connection
    comes to be in a match (or asking for one) and leaves it."""

    book: ClientBook
    key: str
    seated: bool = False

    def create(self, now: float) -> str | None:
        """None when this connection may ask for a new match (it is then seated), else why not.
        A connection already in a match moves its seat, so only the rate counts for it."""
        client = self.book._client(self.key)
        limits = self.book.limits
        if not self.seated and client.seats >= limits.seats_per_ip:
            return (f"this address already plays or waits in {client.seats} matches "
                    f"(at most {limits.seats_per_ip})")
        if not client.matches.take(now):
            return (f"this address opened {limits.matches_per_minute} matches in the last "
                    "minute; try again shortly")
        self.sit()
        return None

    def sit(self) -> None:
        if not self.seated:
            self.seated = True
            self.book._client(self.key).seats += 1

    def stand(self) -> None:
        if self.seated:
            self.seated = False
            self.book._client(self.key).seats -= 1
