"""Per-address defences of the UDP server: a rate limit, and no reflection amplification.

Pure bookkeeping (the service gives it `now` in seconds and serialises calls with its own lock).
Memory is bounded: at most `max_peers` addresses are remembered, the least recently heard
forgotten first. Addresses in `trusted` networks count as proven from the first datagram.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from server.wire import AMPLIFICATION, DATAGRAMS_PER_SECOND, MAX_PEERS

Address = tuple[Any, ...]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """`CIDR[,CIDR...]`, or `none` for no network; ValueError naming the bad part."""
    if text.strip().lower() == "none":
        return ()
    networks = []
    for part in (part.strip() for part in text.split(",")):
        try:
            networks.append(ipaddress.ip_network(part))
        except ValueError:
            raise ValueError(f"{part!r} is not a network like 127.0.0.0/8 or ::1/128 "
                             "(host bits must be zero)") from None
    return tuple(networks)


def in_networks(address: Address, networks: tuple[Network, ...]) -> bool:
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 on a dual-stack socket is 127.0.0.1
    return any(ip in network for network in networks)


@dataclass(frozen=True)
class GuardSettings:
    rate: float = DATAGRAMS_PER_SECOND  # datagrams a second one address may send, sustained
    burst: float = 2 * DATAGRAMS_PER_SECOND  # and in a burst
    amplification: int = AMPLIFICATION
    max_peers: int = MAX_PEERS
    trusted: tuple[Network, ...] = ()  # source networks nobody outside could spoof


@dataclass
class _Peer:
    tokens: float
    refilled: float  # when `tokens` was last topped up
    received: int = 0  # bytes received from the address
    sent: int = 0  # bytes sent to it
    verified: bool = False  # it echoed a secret only our datagrams told it, or is trusted


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
            peer = self._peers[address] = _Peer(
                tokens=self.settings.burst, refilled=now,
                verified=in_networks(address, self.settings.trusted))
            if len(self._peers) > self.settings.max_peers:
                self._peers.popitem(last=False)
        else:
            self._peers.move_to_end(address)
        return peer
