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
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol, TypeVar

from server.bot import BotSeats, BotSettings, is_bot_address
from server.directory import DirectoryUnavailable, Elsewhere, Node
from server.errors import ProtocolError
from server.guard import Guard, GuardSettings, Network, parse_networks
from server.lobby import Lobby, LobbySettings
from server.match import Address, Match, MatchSettings, MatchState, Outgoing
from server.protocol import (
    ChallengesQuery,
    Connect,
    Flux,
    Leave,
    Message,
    Probe,
    Rematch,
    ReplayRequest,
    Watch,
    decode,
    encode,
    encode_reply,
    error_reply,
)
from server.replay_store import ReplayStore, part_reply
from server.replies import Reply
from server.rules.effects import EffectKind
from server.social import SocialRequests
from server.wire import (
    BOT_SEARCH_MS,
    CLOSED_GRACE_SECONDS,
    DATAGRAMS_PER_SECOND,
    DISCONNECT_SECONDS,
    DRAIN_SECONDS,
    EFFECT_GRACE_SECONDS,
    LINGER_SECONDS,
    MATCH_SECONDS,
    MAX_BOT_MATCHES,
    MAX_MATCHES,
    MAX_MATCHES_PER_ADDRESS,
    MAX_WATCHERS,
    MAX_WATCHERS_PER_MATCH,
    QUEUED_DATAGRAMS,
    REMATCH_SECONDS,
    REPLAY_MEGABYTES,
    REPLAY_SECONDS,
    SERVER_HOST,
    SERVER_PORT,
    TRUSTED_NETWORKS,
    WORKERS,
    Reason,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

Datagram = tuple[bytes, Address]  # what to send, and where


@dataclass(frozen=True)
class ServerSettings:
    host: str = SERVER_HOST  # host to workers: the shell's (server/udp.py)
    port: int = SERVER_PORT
    workers: int = WORKERS  # threads serving datagrams from a bounded queue
    thread_per_datagram: bool = False  # socketserver's stock ThreadingMixIn instead (benches)
    queued_datagrams: int = QUEUED_DATAGRAMS
    # The shell runs the garbage collector's full collection from its timer (server/udp.py
    # _Collector): process-wide, so for a server that owns its process (the command line's).
    paced_gc: bool = False
    # The shell's operator endpoints (server/metrics.py): /metrics, /readyz, /livez; None is off.
    metrics_host: str = SERVER_HOST
    metrics_port: int | None = None
    match_seconds: float = MATCH_SECONDS
    disconnect_seconds: float = DISCONNECT_SECONDS
    linger_seconds: float = LINGER_SECONDS
    effect_grace_seconds: float = EFFECT_GRACE_SECONDS
    # From pairing to the first piece. 0 here, so embedders and tests play at once; the CLI's
    # default is COUNTDOWN_SECONDS (3).
    countdown_seconds: float = 0.0
    closed_grace_seconds: float = CLOSED_GRACE_SECONDS  # a closed tab's seat, then forfeit
    rematch_seconds: float = REMATCH_SECONDS  # an unanswered rematch expires
    max_watchers_per_match: int = MAX_WATCHERS_PER_MATCH
    max_watchers: int = MAX_WATCHERS  # spectators of all matches together
    max_matches: int = MAX_MATCHES
    # per untrusted IP (an IPv6 /64), in any state; the trusted networks (the bridge) are exempt
    max_matches_per_address: int = MAX_MATCHES_PER_ADDRESS
    require_token: bool = True  # game_flux and leave must carry the seat's token
    datagrams_per_second: float = DATAGRAMS_PER_SECOND  # per source address; excess dropped
    # Source networks that count as proven (no 3x limit, no cookie); () trusts nothing.
    trusted_networks: tuple[Network, ...] = parse_networks(TRUSTED_NETWORKS)
    match_seed: int | None = None  # --seed: every match the same pieces and draws
    # A cluster node (docs/operations.md): the directory's redis:// URL, this node's id and the
    # HOST:PORT clients reach it at. Without a URL the server is the whole world.
    directory_url: str | None = None
    node_id: str = "node"
    public_address: str | None = None  # default: the bound address
    drain_seconds: float = DRAIN_SECONDS  # on SIGTERM, for running matches to end
    starting_powers: tuple[EffectKind, ...] = ()  # practice and tests: powers held from the start
    record_history: bool = False  # keep every lock and effect of every board (tests, replays)
    # Ended matches' replays (docs/replays.md): kept this long, this much in all, and copied to
    # replay_dir (by the shell's writer thread) when it is set.
    replay_seconds: float = REPLAY_SECONDS
    replay_megabytes: int = REPLAY_MEGABYTES
    replay_dir: str | None = None
    max_bot_matches: int = MAX_BOT_MATCHES  # running matches against the computer at once
    bot_search_ms: float = BOT_SEARCH_MS  # all bots' placement search per timer tick

    def bot_settings(self) -> BotSettings:
        return BotSettings(max_matches=self.max_bot_matches, search_ms=self.bot_search_ms)

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
            countdown_ms=round(self.countdown_seconds * 1000),
            closed_grace_ms=round(self.closed_grace_seconds * 1000),
            rematch_ms=round(self.rematch_seconds * 1000),
            max_watchers=self.max_watchers_per_match,
        )
        return LobbySettings(match=match, max_matches=self.max_matches,
                             max_matches_per_address=self.max_matches_per_address,
                             uncapped=self.trusted_networks, match_seed=self.match_seed)

    def guard_settings(self) -> GuardSettings:
        rate = self.datagrams_per_second
        return GuardSettings(rate=rate, burst=2 * rate, trusted=self.trusted_networks)


class Lock(Protocol):
    def __enter__(self) -> object: ...
    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> object: ...
    def locked(self) -> bool: ...


class Placement(Protocol):
    """What the service asks a cluster's directory (server/directory.py's `Directory`)."""

    node_id: str

    def elsewhere(self) -> Node | None: ...
    def owner(self, game_name: str) -> Node | None: ...
    def claim(
        self, game_name: str, pair: tuple[str, str] | None, lifetime_ms: int, waiting_ms: int
    ) -> Elsewhere | None: ...


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
    challenged: int = 0  # connects from unproven addresses, answered with `verify` alone
    overflowed: int = 0  # admitted, but dropped by the shell: its ordinary queue was full
    overflowed_seated: int = 0  # the same, from a seat of a running match: its own queue full
    redirected: int = 0  # connects sent to another node of the cluster
    by_reason: dict[str, int] = field(default_factory=dict)


class GameService(SocialRequests):
    """Routes each datagram to the lobby or its match under the locks; returns what to send.
    Probe, watch, rematch and challenges are handled in server/social.py."""

    def __init__(
        self,
        settings: ServerSettings,
        *,
        secret: bytes,
        rng: random.Random,
        lock_factory: Callable[[], Lock],
        directory: Placement | None = None,
        replay_sink: Callable[[str, bytes], None] | None = None,
        bot_clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.settings = settings
        # Ended matches' replays; `replay_sink` (the shell's disk writer) gets a copy of each.
        self.replays = ReplayStore(round(settings.replay_seconds * 1000),
                                   settings.replay_megabytes * 2**20, lock_factory(), replay_sink)
        self.directory = directory  # a cluster node's (server/directory.py); None: alone
        # Set on SIGTERM: no new match is made here, running ones and rejoins are served.
        # Read by the readiness check, which then answers 503.
        self.draining = False
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
        # The current address of every seat of a running match (how many seats it is), for the
        # shell's priority queue; and what each match last put there. Under the guard lock.
        self._playing: dict[Address, int] = {}
        self._seated: dict[str, tuple[Address, ...]] = {}
        self._social_init()
        # The computer's seats (server/bot.py); `bot_clock` times their search budget.
        self.bots = BotSeats(settings.bot_settings(), lock_factory(), bot_clock)

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

    def is_playing(self, address: Address) -> bool:
        """Whether `address` is where a seat of a running match is now: the shell serves those
        first when it is over capacity. One dict lookup and no lock, for the read loop: it is
        atomic under the GIL, and a stale answer only picks the other queue for one datagram."""
        return address in self._playing

    def overflowed(self, playing: bool = False) -> None:
        """The shell dropped an admitted datagram: its queue (`playing`: the seats') was full."""
        with self.guard_lock:
            if playing:
                self.counters.overflowed_seated += 1
            else:
                self.counters.overflowed += 1

    def _dispatch(self, message: Message, address: Address, now: int) -> list[Datagram]:
        if isinstance(message, ReplayRequest):
            return self._replay_part(message, address, now)
        if isinstance(message, Probe | Watch | Rematch | ChallengesQuery):
            return self._social(message, address, now)
        if isinstance(message, Connect):
            with self.guard_lock:
                proven = self.guard.is_verified(address)
            if not proven:
                # No state for an address that may be forged: no match, no seat, no move; only
                # the small `verify`, so a client that reads it can repeat with the cookie.
                return self._challenge(address)
            game_name, redirect = self._place(message, address)
            if redirect is not None:
                return redirect
            # Pairing reads and seats under the registry lock so two connects cannot both take
            # the last seat; the match lock keeps flux handlers of that match out meanwhile.
            with self.registry_lock:
                if (message.bot is not None and message.game_name is None
                        and self.lobby.existing(message, address) is None):
                    self.bots.check_room()  # a new match against the computer: is there room?
                match = self.lobby.route(message, address, now, game_name)
                with match.lock:
                    try:
                        outgoing = match.connect(
                            message.name, address, message.token, self.lobby.new_token(), now,
                            message.timestamp, key=message.key)
                        self.lobby.seated(match, address)
                        if message.bot is not None:  # the computer takes the other seat
                            outgoing = (self.bots.seat(match, message, self.lobby.new_token(),
                                                       now) or outgoing)
                        datagrams = self._leave(match, outgoing, now)
                        if match.rematch.next_match is not None:  # its rematch too
                            datagrams += self._follow_rematch(match, message.name, address, now)
                        return datagrams
                    finally:
                        self._schedule(match, now)  # a new match times out even if refused
        self._check_token(message.token)
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
            datagrams = self._leave(match, outgoing, now)
            if match.rematch.next_match is not None:  # its rematch too
                datagrams += self._follow_rematch(match, seat.name, address, now)
            return datagrams

    def _refuse(self, error: ProtocolError, size: int, address: Address) -> list[Datagram]:
        with self.guard_lock:
            self.counters.errors += 1
            reason = str(error.reason)
            self.counters.by_reason[reason] = self.counters.by_reason.get(reason, 0) + 1
        reply = error_reply(error, size)  # never larger than the request, and no cookie
        sendable = None if reply is None else self._budgeted(address, (reply,))
        return [] if sendable is None else [(sendable, address)]

    # -- placement: draining, and a cluster's directory ----------------------------------------

    def _place(
        self, message: Connect, address: Address
    ) -> tuple[str | None, list[Datagram] | None]:
        """Where a `connect` is served: here (with the game_name a cluster node claimed for the
        match it makes), or on another node (then the `redirect` to send). Only a connect that
        would make a match, or names one this node does not hold, asks the directory."""
        directory = self.directory
        if directory is None and not self.draining:
            return None, None
        if message.game_name is not None:
            with self.registry_lock:
                if directory is None or message.game_name in self.lobby.matches:
                    return None, None
            owner = self._ask(lambda: directory.owner(message.game_name))
            return None, None if owner is None else self._redirect(owner, address)
        with self.registry_lock:
            if self.lobby.existing(message, address) is not None:
                return None, None
            game_name = self.lobby.new_token()
        if self.draining:
            other = directory.elsewhere() if directory is not None else None
            if other is None:
                raise ProtocolError(Reason.SERVER_SHUTDOWN,
                                    "this server is shutting down; try again shortly")
            return None, self._redirect(other, address)
        if directory is None:
            return None, None
        pair = None if message.opponent is None else (message.name, message.opponent)
        match = self.lobby.settings.match
        lifetime = match.waiting_ms + match.match_ms + match.linger_ms  # the longest it lives
        claim = self._ask(lambda: directory.claim(game_name, pair, lifetime, match.waiting_ms))
        return (game_name, None) if claim is None else (None, self._redirect(claim.node, address))

    @staticmethod
    def _ask(call: Callable[[], T]) -> T:
        try:
            return call()
        except DirectoryUnavailable:
            raise ProtocolError(Reason.DIRECTORY_UNAVAILABLE, "the cluster's directory is "
                                "unreachable: no new match until it returns") from None

    def _redirect(self, node: Node, address: Address) -> list[Datagram]:
        """Send the client to the node that serves its connect (docs/protocol.md "redirect")."""
        with self.guard_lock:
            self.counters.redirected += 1
        data = encode({"command": "redirect", "node": node.node_id, "address": node.address})
        sendable = self._budgeted(address, (data,))
        return [] if sendable is None else [(sendable, address)]

    # -- drain and shutdown ------------------------------------------------------------------

    def drain(self) -> None:
        """Make no new match here from now on (see `_place`)."""
        self.draining = True

    def playing(self) -> int:
        """How many matches are running (a drain waits for them to end)."""
        with self.registry_lock:
            matches = list(self.lobby.matches.values())
        return sum(1 for match in matches if match.state == MatchState.PLAYING)

    def load(self) -> int:
        """Matches held (waiting, running, lingering): what a cluster's placement balances.
        Read without a lock: a dict's length is one atomic read, and a stale one is harmless."""
        return len(self.lobby.matches)

    def shut_down(self, now: int) -> list[Datagram]:
        """End every match with `game_end` reason `server_shutdown`: the datagrams to send."""
        with self.registry_lock:
            matches = list(self.lobby.matches.values())
        datagrams: list[Datagram] = []
        for match in matches:
            with match.lock:
                datagrams += self._leave(match, match.shut_down(now), now)
        return datagrams

    # -- address cookies (RFC 9000 §8.1 address validation) ------------------------------------

    def cookie_for(self, address: Address) -> str:
        """A secret only datagrams sent to `address` carry: echoing it proves the sender reads
        them (stateless, like netcode's challenge token)."""
        mac = hmac.new(self._secret, repr(tuple(address[:2])).encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")

    def _challenge(self, address: Address) -> list[Datagram]:
        with self.guard_lock:
            self.counters.challenged += 1
        sendable = self._budgeted(address, (_verify(self.cookie_for(address)),))
        return [] if sendable is None else [(sendable, address)]

    def _check_token(self, token: str | None) -> None:
        """A seat's request (flux, leave, rematch) without its token, where one is required."""
        if token is None and self.settings.require_token:
            raise ProtocolError(Reason.BAD_TOKEN, "this server wants the seat's token")

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
        self._track_seats(match)
        if match.state == MatchState.ENDED and match.recorder is not None:
            replay = match.take_replay()  # once, as the match ends
            if replay is not None:
                self.replays.keep(match.game_name, replay, now)
        self._track_audience(match)
        datagrams = []
        for item in outgoing:
            if is_bot_address(item.address):
                continue  # the bot reads its seat, not datagrams (server/bot.py)
            sent = self._send(item.reply, item.address, item.seat.stamp(now))
            if sent is not None:
                datagrams.append(sent)
        return datagrams

    def _send(self, reply: Reply, address: Address, timestamp: int) -> Datagram | None:
        """One reply, encoded with the address cookie for an unproven address, and budgeted."""
        return self._cookied(address, reply.COMMAND,
                             lambda cookie: encode_reply(reply, timestamp, cookie))

    def _cookied(self, address: Address, command: str,
                 encoded: Callable[[str | None], bytes]) -> Datagram | None:
        """`encoded(cookie)`, with the address cookie for an unproven address (None for a
        proven one), under the anti-amplification budget; the small `verify` instead when that
        does not fit it."""
        with self.guard_lock:
            proven = self.guard.is_verified(address)
        cookie = None if proven else self.cookie_for(address)
        try:
            candidates = [encoded(cookie)]
        except ValueError:  # one reply that cannot fit must not take the others with it
            log.exception("dropped a %s for %s", command, address)
            candidates = []
        if cookie is not None:  # the small fallback when the reply exceeds the budget
            candidates.append(_verify(cookie))
        sendable = self._budgeted(address, candidates)
        return None if sendable is None else (sendable, address)

    def _track_seats(self, match: Match) -> None:
        """Keep `_playing` up to date with where the match's seats are while it runs; every call
        into a match leaves through `_leave`, so this sees every move and every state change."""
        assert match.lock.locked()
        now_at = (tuple(seat.address for seat in match.seats)
                  if match.state == MatchState.PLAYING else ())
        before = self._seated.get(match.game_name, ())
        if now_at == before:
            return
        with self.guard_lock:
            for address in before:
                left = self._playing[address] - 1
                if left:
                    self._playing[address] = left
                else:
                    del self._playing[address]
            for address in now_at:
                self._playing[address] = self._playing.get(address, 0) + 1
            if now_at:
                self._seated[match.game_name] = now_at
            else:
                self._seated.pop(match.game_name, None)

    def _replay_part(self, request: ReplayRequest, address: Address, now: int) -> list[Datagram]:
        """One `replay_part`, under the anti-amplification rule like every reply: an unproven
        address gets the small `verify` instead when the part does not fit its allowance."""
        kept = self.replays.get(request.game_name, now)
        if kept is None:
            raise ProtocolError(Reason.UNKNOWN_GAME,
                                "no replay of that match here (unknown, expired or not over)")
        if request.part >= kept.parts:
            raise ProtocolError(Reason.BAD_FIELD, f"replay.part: there are {kept.parts} parts")
        data = kept.part(request.part)
        sent = self._cookied(address, "replay_part", lambda cookie: part_reply(
            request.game_name, request.part, kept.parts, data, now, cookie))
        return [] if sent is None else [sent]

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
        self.replays.expire(now)
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
                datagrams += self._feed(match, now)  # after the players' own
                if match.expired(now):
                    gone.append(match.game_name)
                else:
                    self._schedule(match, now)
        if gone:
            with self.registry_lock:
                self.lobby.forget(gone)
            self._forget_audiences(gone)
        datagrams += self.bots.turns(now, self._dispatch)  # the bots play as seats: no lock held
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
                    f"{counters.overflowed} dropped unread with the queue full "
                    f"(and {counters.overflowed_seated} from seats of running matches), "
                    f"{counters.challenged} connects from unproven addresses answered with "
                    "verify alone, "
                    f"{guard.amplification_held} held for unproven addresses")


def _verify(cookie: str) -> bytes:
    """The handshake's own small reply; the cookie first, as in every datagram that carries one
    (docs/protocol.md "Handshake")."""
    return encode({"cookie": cookie, "command": "verify"})
