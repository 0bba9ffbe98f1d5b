"""Per-address defences of the UDP server: a rate limit, and no reflection amplification.

Pure bookkeeping (the shell gives it `now` in seconds and serialises calls with its own lock).
Memory is bounded: at most `max_peers` addresses are remembered, the least recently heard
forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

Address = tuple[Any, ...]


@dataclass(frozen=True)
class GuardSettings:
    rate: float = 100.0  # datagrams a second one address may send, sustained
    burst: float = 200.0  # and in a burst
    amplification: int = 3  # RFC 9000 §8.1: at most 3x the bytes received until validated
    max_peers: int = 65_536


@dataclass
class _Peer:
    tokens: float
    refilled: float  # when `tokens` was last topped up
    received: int = 0  # bytes received from the address
    sent: int = 0  # bytes sent to it
    verified: bool = False  # it echoed a secret only our datagrams told it


@dataclass
class GuardCounters:
    rate_limited: int = 0  # datagrams dropped unread
    amplification_held: int = 0  # replies not sent to an unverified address
    verified: int = 0


class Guard:
    def __init__(self, settings: GuardSettings) -> None:
        self.settings = settings
        self._peers: OrderedDict[Address, _Peer] = OrderedDict()
        self.counters = GuardCounters()

    def admit(self, address: Address, size: int, now: float) -> bool:
        """Count an incoming datagram; False when the address is over its rate (drop it)."""
        peer = self._peer(address, now)
        peer.tokens = min(self.settings.burst,
                          peer.tokens + (now - peer.refilled) * self.settings.rate)
        peer.refilled = now
        if peer.tokens < 1:
            self.counters.rate_limited += 1
            return False
        peer.tokens -= 1
        peer.received += size
        return True

    def may_send(self, address: Address, size: int) -> bool:
        """Whether a reply of `size` bytes may go out now; counts it if so."""
        peer = self._peers.get(address)
        if peer is None:  # never heard from: an unsolicited datagram would be pure reflection
            self.counters.amplification_held += 1
            return False
        if not peer.verified and peer.sent + size > self.settings.amplification * peer.received:
            self.counters.amplification_held += 1
            return False
        peer.sent += size
        return True

    def verify(self, address: Address) -> None:
        """The address sent back a token it could only have read in our datagrams."""
        peer = self._peers.get(address)
        if peer is not None and not peer.verified:
            peer.verified = True
            self.counters.verified += 1

    def is_verified(self, address: Address) -> bool:
        peer = self._peers.get(address)
        return peer is not None and peer.verified

    def __len__(self) -> int:
        return len(self._peers)

    def _peer(self, address: Address, now: float) -> _Peer:
        peer = self._peers.get(address)
        if peer is None:
            peer = self._peers[address] = _Peer(tokens=self.settings.burst, refilled=now)
            if len(self._peers) > self.settings.max_peers:
                self._peers.popitem(last=False)
        else:
            self._peers.move_to_end(address)
        return peer
