"""The UDP shell: a threaded `socketserver` around the pure lobby and matches.

It decodes, calls the core under the right lock, encodes and sends; nothing more. Locking: the
registry lock guards the lobby (lookups, pairing, expiry); each match has its own lock around every
call into it. The order is always registry first, then match, and no thread takes the registry lock
while holding a match lock, so there is no deadlock.

Replies are sent after the match lock is released. Two threads may then send to one player out of
order; that is safe because every payload is a whole state stamped with a strictly increasing
timestamp, and the receiver applies only the newest (the seed's `timestamp > now` rule).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import random
import socket
import socketserver
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType

from server.errors import ProtocolError
from server.guard import Guard, GuardSettings
from server.lobby import Lobby, LobbySettings
from server.match import Address, MatchSettings, Outgoing
from server.protocol import (
    MAX_DATAGRAM,
    Connect,
    Flux,
    Leave,
    decode,
    encode,
    encode_reply,
    error_reply,
)
from server.rules.effects import EffectKind

log = logging.getLogger(__name__)

TICK_SECONDS = 0.05  # timers (clock, silence) are checked this often


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 9999
    match_seconds: float = 180.0
    disconnect_seconds: float = 10.0
    linger_seconds: float = 60.0
    effect_grace_seconds: float = 5.0  # an effect not taken at a lock by then is applied anyway
    max_matches: int = 10_000
    require_token: bool = True  # game_flux and leave must carry the seat's token
    datagrams_per_second: float = 100.0  # per source address; the excess is dropped
    match_seed: int | None = None  # fixed pieces and draws for every match (tests only)
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
        return GuardSettings(rate=rate, burst=2 * rate)


class Clock:
    """Milliseconds since the epoch that never run backwards: wall time at start, then the
    monotonic clock, so a clock step cannot reorder our timestamps or cut a match short."""

    def __init__(self) -> None:
        self._epoch_ms = time.time() * 1000
        self._start = time.monotonic()

    def now(self) -> int:
        return int(self._epoch_ms + (time.monotonic() - self._start) * 1000)


@dataclass
class Counters:
    received: int = 0
    sent: int = 0
    errors: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


class GameService:
    """Routes each decoded message to the core under the locks; returns what to send."""

    def __init__(self, settings: ServerSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.registry_lock = threading.Lock()
        self.lobby = Lobby(settings.lobby_settings(), random.SystemRandom(), threading.Lock)
        self.counters = Counters()
        self.guard_lock = threading.Lock()
        self.guard = Guard(settings.guard_settings())
        self._cookie_secret = os.urandom(16)

    def cookie_for(self, address: Address) -> str:
        """A secret only datagrams sent to `address` carry: echoing it proves the sender reads
        them (RFC 9000 §8.1 address validation; stateless, like netcode's challenge token)."""
        mac = hmac.new(self._cookie_secret, repr(tuple(address[:2])).encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")

    def handle(self, data: bytes, address: Address) -> list[tuple[Address, bytes]]:
        now = self.clock.now()
        with self.guard_lock:  # it also guards the counters: handlers run in many threads
            if not self.guard.admit(address, len(data), now / 1000):
                return []  # over its rate: dropped unread, counted by the guard
            self.counters.received += 1
        try:
            message = decode(data)
            if message.cookie is not None and hmac.compare_digest(
                message.cookie, self.cookie_for(address)
            ):
                with self.guard_lock:
                    self.guard.verify(address)
            outgoing = self._dispatch(message, address, now)
        except ProtocolError as exc:
            with self.guard_lock:
                self.counters.errors += 1
                reasons = self.counters.by_reason
                reasons[exc.reason] = reasons.get(exc.reason, 0) + 1
            reply = error_reply(exc, len(data))
            return self._permitted([(address, reply)] if reply is not None else [], False)
        return self._permitted(_encoded(outgoing))

    def _dispatch(self, message: object, address: Address, now: int) -> list[Outgoing]:
        if isinstance(message, Connect):
            # Pairing reads and seats under the registry lock so two connects cannot both take
            # the last seat; the match lock keeps flux handlers of that match out meanwhile.
            with self.registry_lock:
                match = self.lobby.route(message, address, now)
                with match.lock:
                    return match.connect(message.name, address, message.token,
                                         self.lobby.new_token(), now, message.timestamp)
        if isinstance(message, Flux | Leave):
            if message.token is None and self.settings.require_token:
                raise ProtocolError("bad_token", "this server wants the seat's token")
            with self.registry_lock:
                match = self.lobby.find(message.game_name)
            with match.lock:
                seat = match.seat_for(address, message.token)
                if isinstance(message, Flux):
                    return match.handle_flux(seat, message, now, address)
                return match.handle_leave(seat, message, now, address)
        raise ProtocolError("unknown_command")

    def tick(self) -> list[tuple[Address, bytes]]:
        now = self.clock.now()
        with self.registry_lock:
            matches = list(self.lobby.matches.values())
        outgoing: list[Outgoing] = []
        for match in matches:
            with match.lock:
                outgoing.extend(match.tick(now))
        with self.registry_lock:
            self.lobby.expire(now)
        return self._permitted(_encoded(outgoing))

    def _permitted(
        self, replies: list[tuple[Address, bytes]], handshake: bool = True
    ) -> list[tuple[Address, bytes]]:
        """Only what the anti-amplification budget allows (docs/protocol.md "Handshake"). An
        unverified address gets the reply with its cookie added or, when that does not fit
        the budget, a small `verify` carrying just the cookie. Error replies stay as they are:
        never larger than their request."""
        permitted = []
        for to, data in replies:
            with self.guard_lock:
                verified = self.guard.is_verified(to)
            if verified or not handshake:
                candidates = [data]
            else:
                cookie = self.cookie_for(to)
                with_cookie = data[:-1] + f',"cookie":"{cookie}"}}'.encode()
                small = encode({"command": "verify", "cookie": cookie})
                candidates = [c for c in (with_cookie, small) if len(c) <= MAX_DATAGRAM]
            with self.guard_lock:
                sendable = next((c for c in candidates if self.guard.may_send(to, len(c))), None)
            if sendable is not None:
                permitted.append((to, sendable))
        return permitted


def _encoded(outgoing: Iterable[Outgoing]) -> list[tuple[Address, bytes]]:
    encoded = []
    for item in outgoing:
        try:
            encoded.append((item.address, encode_reply(item.payload)))
        except ValueError:  # one reply that cannot fit must not take the others with it
            log.exception("dropped a %s for %s", item.payload.get("command"), item.address)
    return encoded


class _Handler(socketserver.BaseRequestHandler):
    # BaseRequestHandler, not DatagramRequestHandler: that one's finish() always sends a reply,
    # even an empty one.
    server: GameServer

    def handle(self) -> None:
        data, _socket = self.request
        try:
            replies = self.server.service.handle(data, self.client_address)
        except Exception:  # a bug must never take the server down with it
            log.exception("unhandled error for a datagram from %s", self.client_address)
            return
        self.server.send(replies)


class GameServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True  # a handler stuck on a dead peer must not block shutdown
    block_on_close = False

    def __init__(self, settings: ServerSettings) -> None:
        self.address_family = _family(settings.host)
        self.service = GameService(settings)
        super().__init__((settings.host, settings.port), _Handler)

    def send(self, replies: Iterable[tuple[Address, bytes]]) -> None:
        for address, data in replies:
            try:
                self.socket.sendto(data, address)
            except OSError as exc:  # an unreachable peer is its problem, not the match's
                log.debug("send to %s failed: %s", address, exc)
            else:
                with self.service.guard_lock:
                    self.service.counters.sent += 1


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class RunningServer:
    """A GameServer serving in a background thread, with its timer thread."""

    def __init__(self, settings: ServerSettings) -> None:
        self.server = GameServer(settings)
        self.address: tuple[str, int] = self.server.server_address[:2]
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self.server.serve_forever, name="udp-serve", daemon=True),
            threading.Thread(target=self._tick_loop, name="udp-tick", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _tick_loop(self) -> None:
        while not self._stopping.wait(TICK_SECONDS):
            try:
                self.server.send(self.server.service.tick())
            except Exception:
                log.exception("timer tick failed")

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        log.info("stopped: %s", self.summary())

    def summary(self) -> str:
        """What the server saw, for the operator: traffic, refusals by reason, defences."""
        service = self.server.service
        with service.guard_lock:
            counters, guard = service.counters, service.guard.counters
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(counters.by_reason.items()))
            return (f"{counters.received} datagrams in, {counters.sent} out, "
                    f"{counters.errors} refused ({reasons or 'none'}), "
                    f"{guard.rate_limited} over the rate, "
                    f"{guard.amplification_held} held for unproven addresses")

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_server(settings: ServerSettings) -> RunningServer:
    return RunningServer(settings)
