"""The whole datagram path, without sockets: `GameService.handle` takes a datagram, its source
address and `now`, and returns the datagrams to send; `tick(now)` returns those the timers make.

Sans-I/O, as python-websockets keeps its protocol: no clock, no socket, no thread of its own. The
shell (server/udp.py) reads the clock and the socket and calls in from several threads at once,
so every lock here comes from the factory it gives. The order is always registry (the lobby),
then one match's lock, then the guard lock (per-address books and counters) or the timers lock
(the deadline heap); those last two are leaves, held only around their own bookkeeping. No thread
takes the registry lock while holding a match lock, so there is no deadlock.

Replies leave through `_leave`, under their match's lock: stamped there (strictly increasing per
seat), encoded once, with the address cookie as a field for an unproven address, and held back
where the anti-amplification budget says so. The shell sends them after the lock is released, so
two threads may send to one player out of order; that is safe because every payload is a whole
state with a strictly increasing timestamp, and the receiver applies only the newest (the seed's
`timestamp > now` rule).
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol

from server.errors import ProtocolError
from server.guard import Guard, GuardSettings, Network, parse_networks
from server.lobby import Lobby, LobbySettings
from server.match import Address, Match, MatchSettings, Outgoing
from server.protocol import Connect, Flux, Leave, Message, decode, encode, encode_reply, error_reply
from server.rules.effects import EffectKind
from server.wire import (
    DATAGRAMS_PER_SECOND,
    DISCONNECT_SECONDS,
    EFFECT_GRACE_SECONDS,
    LINGER_SECONDS,
    MATCH_SECONDS,
    MAX_MATCHES,
    QUEUED_DATAGRAMS,
    SERVER_HOST,
    SERVER_PORT,
    TRUSTED_NETWORKS,
    WORKERS,
    Reason,
)

log = logging.getLogger(__name__)

Datagram = tuple[bytes, Address]  # what to send, and where


@dataclass(frozen=True)
class ServerSettings:
    host: str = SERVER_HOST  # host to workers: the shell's (server/udp.py)
    port: int = SERVER_PORT
    workers: int = WORKERS  # threads serving datagrams from a bounded queue
    thread_per_datagram: bool = False  # socketserver's stock ThreadingMixIn instead (benches)
    queued_datagrams: int = QUEUED_DATAGRAMS
    # The shell's operator endpoints (server/metrics.py): /metrics, /readyz, /livez; None is off.
    metrics_host: str = SERVER_HOST
    metrics_port: int | None = None
    match_seconds: float = MATCH_SECONDS
    disconnect_seconds: float = DISCONNECT_SECONDS
    linger_seconds: float = LINGER_SECONDS
    effect_grace_seconds: float = EFFECT_GRACE_SECONDS
    max_matches: int = MAX_MATCHES
    require_token: bool = True  # game_flux and leave must carry the seat's token
    datagrams_per_second: float = DATAGRAMS_PER_SECOND  # per source address; excess dropped
    # Source networks that count as proven (no 3x limit, no cookie); () trusts nothing.
    trusted_networks: tuple[Network, ...] = parse_networks(TRUSTED_NETWORKS)
    match_seed: int | None = None  # --seed: every match the same pieces and draws
    starting_powers: tuple[EffectKind, ...] = ()  # practice and tests: powers held from the start
    record_history: bool = False  # keep every lock and effect of every board (tests, replays)

    def lobby_settings(self) -> LobbySettings:
        disconnect_ms = round(self.disconnect_seconds * 1000)
        match = MatchSettings(
            match_ms=round(self.match_seconds * 1000),
            disconnect_ms=disconnect_ms,
            away_ms=min(MatchSettings.away_ms, disconnect_ms // 2),  # "away" before "gone"
            linger_ms=round(self.linger_seconds * 1000),
            starting_powers=self.starting_powers,
            effect_grace_ms=round(self.effect_grace_seconds * 1000),
            record_history=self.record_history,
        )
        return LobbySettings(match=match, max_matches=self.max_matches,
                             match_seed=self.match_seed)

    def guard_settings(self) -> GuardSettings:
        rate = self.datagrams_per_second
        return GuardSettings(rate=rate, burst=2 * rate, trusted=self.trusted_networks)


class Lock(Protocol):
    def __enter__(self) -> object: ...
    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> object: ...
    def locked(self) -> bool: ...


class SingleThreadLock:
    """A lock for a service driven from one thread (tests): it only checks it is not taken
    twice, so the helpers' `assert lock.locked()` still mean something."""

    def __init__(self) -> None:
        self._held = False

    def __enter__(self) -> SingleThreadLock:
        assert not self._held, "taken twice"
        self._held = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._held = False

    def locked(self) -> bool:
        return self._held


@dataclass
class Counters:
    received: int = 0  # datagrams admitted
    sent: int = 0  # datagrams handed to the shell to send
    errors: int = 0
    overflowed: int = 0  # admitted, but dropped by the shell: its queue was full
    by_reason: dict[str, int] = field(default_factory=dict)


class GameService:
    """Routes each datagram to the lobby or its match under the locks; returns what to send."""

    def __init__(
        self,
        settings: ServerSettings,
        *,
        secret: bytes,
        rng: random.Random,
        lock_factory: Callable[[], Lock],
    ) -> None:
        self.settings = settings
        self._secret = secret
        self.registry_lock = lock_factory()
        self.lobby = Lobby(settings.lobby_settings(), rng, lock_factory)
        self.guard_lock = lock_factory()  # the guard's books and the counters
        self.guard = Guard(settings.guard_settings())
        self.counters = Counters()
        # The deadline heap, lazy: (when, order, match), and each match's earliest entry.
        self._timers_lock = lock_factory()
        self._timers: list[tuple[int, int, Match]] = []
        self._scheduled: dict[str, int] = {}
        self._order = itertools.count()

    # -- in ------------------------------------------------------------------------------------

    def admit(self, address: Address, size: int, now: int) -> bool:
        """The per-address rate check, cheap enough for the shell's read loop: False means drop
        the datagram unread (counted). Every datagram given to `handle` has passed it."""
        with self.guard_lock:
            if not self.guard.admit(address, size, now / 1000):
                return False
            self.counters.received += 1
            return True

    def handle(self, data: bytes, address: Address, now: int) -> list[Datagram]:
        """One admitted datagram from `address` at `now` (ms): the datagrams to send."""
        try:
            message = decode(data)
            if message.cookie is not None:
                self._check_cookie(message.cookie, address)
            return self._dispatch(message, address, now)
        except ProtocolError as exc:
            return self._refuse(exc, len(data), address)

    def overflowed(self) -> None:
        """The shell dropped an admitted datagram: no worker was free for it."""
        with self.guard_lock:
            self.counters.overflowed += 1

    def _dispatch(self, message: Message, address: Address, now: int) -> list[Datagram]:
        if isinstance(message, Connect):
            # Pairing reads and seats under the registry lock so two connects cannot both take
            # the last seat; the match lock keeps flux handlers of that match out meanwhile.
            with self.registry_lock:
                match = self.lobby.route(message, address, now)
                with match.lock:
                    try:
                        return self._leave(match, match.connect(
                            message.name, address, message.token, self.lobby.new_token(), now,
                            message.timestamp), now)
                    finally:
                        self._schedule(match, now)  # a new match times out even if refused
        if message.token is None and self.settings.require_token:
            raise ProtocolError(Reason.BAD_TOKEN, "this server wants the seat's token")
        with self.registry_lock:
            match = self.lobby.find(message.game_name)
        with match.lock:
            seat = match.seat_for(address, message.token)
            if isinstance(message, Flux):
                outgoing = match.handle_flux(seat, message, now, address)
            else:
                assert isinstance(message, Leave)
                outgoing = match.handle_leave(seat, message, now, address)
            self._schedule(match, now)
            return self._leave(match, outgoing, now)

    def _refuse(self, error: ProtocolError, size: int, address: Address) -> list[Datagram]:
        with self.guard_lock:
            self.counters.errors += 1
            reason = str(error.reason)
            self.counters.by_reason[reason] = self.counters.by_reason.get(reason, 0) + 1
        reply = error_reply(error, size)  # never larger than the request, and no cookie
        sendable = None if reply is None else self._budgeted(address, (reply,))
        return [] if sendable is None else [(sendable, address)]

    # -- address cookies (RFC 9000 §8.1 address validation) ------------------------------------

    def cookie_for(self, address: Address) -> str:
        """A secret only datagrams sent to `address` carry: echoing it proves the sender reads
        them (stateless, like netcode's challenge token)."""
        mac = hmac.new(self._secret, repr(tuple(address[:2])).encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")

    def _check_cookie(self, cookie: str, address: Address) -> None:
        with self.guard_lock:
            if self.guard.is_verified(address):
                return  # proven already: no hash to compute
        if hmac.compare_digest(cookie, self.cookie_for(address)):
            with self.guard_lock:
                self.guard.verify(address)

    # -- out -----------------------------------------------------------------------------------

    def _leave(self, match: Match, outgoing: Iterable[Outgoing], now: int) -> list[Datagram]:
        """Where replies leave the service: each stamped, encoded once, and budgeted."""
        assert match.lock.locked()
        datagrams = []
        for item in outgoing:
            timestamp = item.seat.stamp(now)
            with self.guard_lock:
                proven = self.guard.is_verified(item.address)
            cookie = None if proven else self.cookie_for(item.address)
            try:
                candidates = [encode_reply(item.reply, timestamp, cookie)]
            except ValueError:  # one reply that cannot fit must not take the others with it
                log.exception("dropped a %s for %s", item.reply.COMMAND, item.address)
                candidates = []
            if cookie is not None:  # the small fallback when the reply exceeds the budget
                candidates.append(encode({"command": "verify", "cookie": cookie}))
            sendable = self._budgeted(item.address, candidates)
            if sendable is not None:
                datagrams.append((sendable, item.address))
        return datagrams

    def _budgeted(self, address: Address, candidates: Iterable[bytes]) -> bytes | None:
        """The first candidate the address's anti-amplification budget allows (docs/protocol.md
        "Handshake"), counted as sent; None when none fits."""
        with self.guard_lock:
            for data in candidates:
                if self.guard.may_send(address, len(data)):
                    self.counters.sent += 1
                    return data
        return None

    # -- timers --------------------------------------------------------------------------------

    def tick(self, now: int) -> list[Datagram]:
        """What the timers send at `now`: only matches whose deadline has come are looked at."""
        with self._timers_lock:
            due = []
            while self._timers and self._timers[0][0] <= now:
                deadline, _, match = heapq.heappop(self._timers)
                if self._scheduled.get(match.game_name) == deadline:  # else a stale entry
                    del self._scheduled[match.game_name]
                    due.append(match)
        datagrams: list[Datagram] = []
        gone = []
        for match in due:
            with match.lock:
                datagrams += self._leave(match, match.tick(now), now)
                if match.expired(now):
                    gone.append(match.game_name)
                else:
                    self._schedule(match, now)
        if gone:
            with self.registry_lock:
                self.lobby.forget(gone)
        return datagrams

    def _schedule(self, match: Match, now: int) -> None:
        """Make sure the heap holds the match's next deadline (an earlier entry will do: when
        it comes, the match is asked again)."""
        assert match.lock.locked()
        deadline = match.next_deadline(now)
        if deadline is None:
            return
        with self._timers_lock:
            known = self._scheduled.get(match.game_name)
            if known is not None and known <= deadline:
                return
            self._scheduled[match.game_name] = deadline
            heapq.heappush(self._timers, (deadline, next(self._order), match))

    # -- for the operator ----------------------------------------------------------------------

    def summary(self) -> str:
        """What the service saw: traffic, refusals by reason, defences."""
        with self.guard_lock:
            counters, guard = self.counters, self.guard.counters
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(counters.by_reason.items()))
            return (f"{counters.received} datagrams in, {counters.sent} out, "
                    f"{counters.errors} refused ({reasons or 'none'}), "
                    f"{guard.rate_limited} over the rate, "
                    f"{counters.overflowed} dropped with every worker busy, "
                    f"{guard.amplification_held} held for unproven addresses")
