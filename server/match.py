"""One match: two seats, one piece sequence, one clock.

Pure: every call takes `now` (milliseconds since the epoch, from the shell's clock) and returns the
replies to send as `Outgoing` values, typed and unstamped (server/replies.py); the service stamps
and encodes them. The service serialises calls with `match.lock`, an object the core never touches,
and asks `next_deadline` when the match next needs a `tick`.
"""

from __future__ import annotations

import enum
import operator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from server import replies
from server.errors import IllegalLock, InvalidState, ProtocolError
from server.protocol import Flux, Leave, LeaveIntent
from server.rematch import RematchBook
from server.replay import Header, Recorder, build, result_json
from server.replies import PowerOutcome, PowerRejected, Rejected, Reply
from server.rules.bag import PieceSequence
from server.rules.board import Board, LockResult
from server.rules.effects import (
    HELPS_USER,
    MAX_POWERS,
    Effect,
    EffectKind,
    draw_hole,
    draw_power,
    draw_quake_shifts,
    switch_rows,
)
from server.rules.rng import Mulberry32
from server.spectators import Audience, Feed, Watcher
from server.stats import SeatStats
from server.wire import (
    CLOSED_GRACE_SECONDS,
    DISCONNECT_SECONDS,
    EFFECT_GRACE_SECONDS,
    LINGER_SECONDS,
    MATCH_SECONDS,
    MAX_WATCHERS_PER_MATCH,
    PREVIEW,
    REMATCH_SECONDS,
    SPECTATE_INTERVAL_SECONDS,
    WATCH_IDLE_SECONDS,
    Reason,
)

Address = tuple[Any, ...]  # (host, port) for IPv4, (host, port, flow, scope) for IPv6
_LOCK_N = operator.attrgetter("n")  # locks apply in their `n` order


class MatchState(enum.IntEnum):
    WAITING = 0
    PLAYING = 1
    ENDED = 2


class EndReason(enum.StrEnum):
    TIME_UP = "time_up"
    TOP_OUT = "top_out"
    DISCONNECT = "disconnect"
    FORFEIT = "forfeit"
    SERVER_SHUTDOWN = "server_shutdown"  # the server stopped (drained): nobody wins
    SERVER_LOST = "server_lost"  # the bridge's own: the node went silent and its key expired


@dataclass(frozen=True)
class MatchSettings:
    match_ms: int = round(MATCH_SECONDS * 1000)
    disconnect_ms: int = round(DISCONNECT_SECONDS * 1000)  # silence that loses a running match
    away_ms: int = 2_000  # silence after which the opponent is told "away"
    linger_ms: int = round(LINGER_SECONDS * 1000)  # ended, it keeps answering with game_end
    waiting_ms: int = 600_000  # the longest a match waits for its second player
    waiting_idle_ms: int = 60_000  # a waiting host silent this long has gone
    preview: int = PREVIEW
    effect_grace_ms: int = round(EFFECT_GRACE_SECONDS * 1000)  # then an effect is applied anyway
    hit_memory_ms: int = 3_000  # how long power_applied keeps telling of a power that hit
    starting_powers: tuple[EffectKind, ...] = ()  # each player's inventory at the start
    record_history: bool = False  # keep every board's history (tests and replays)
    countdown_ms: int = 0  # from pairing to the first piece: locks before then are refused
    closed_grace_ms: int = round(CLOSED_GRACE_SECONDS * 1000)  # a closed tab's seat, then forfeit
    rematch_ms: int = round(REMATCH_SECONDS * 1000)  # an unanswered rematch want expires
    max_watchers: int = MAX_WATCHERS_PER_MATCH
    watch_idle_ms: int = round(WATCH_IDLE_SECONDS * 1000)  # a silent spectator is dropped
    spectate_interval_ms: int = round(SPECTATE_INTERVAL_SECONDS * 1000)


class Outgoing(NamedTuple):
    """A reply for a seat (or a spectator), at its address as it stood when the reply was made;
    `seat` stamps it. A NamedTuple: two are built per request."""

    address: Address
    seat: Seat | Watcher | Feed
    reply: Reply

    @classmethod
    def to(cls, seat: Seat, reply: Reply) -> Outgoing:
        return cls(seat.address, seat, reply)


@dataclass(frozen=True)
class Heard:
    fresh: bool  # newer than the last request applied: it may change something
    moved: list[Outgoing] = field(default_factory=list)  # the `moved` notice, if it moved


@dataclass(frozen=True)
class Result:
    reason: EndReason
    winner: str | None  # None: a draw
    left: bool = False  # a forfeit by a closed tab that did not come back


@dataclass
class Seat:
    name: str
    token: str
    address: Address
    last_heard: int
    board: Board = field(default_factory=Board)
    last_ts: int = -1  # newest client timestamp applied: the seed's `timestamp > now` rule
    last_sent_ts: int = 0  # our own timestamps to this seat are strictly increasing
    closed: bool = False  # the bridge reported the browser gone
    closed_at: int = 0  # when (with `closed`): the closed-tab grace runs from here
    stats: SeatStats = field(default_factory=SeatStats)  # game_end's `stats`
    token_shown: bool = False  # a request carried the token: from now on it is required
    key: str | None = None  # the seating client's own secret (connect's `key`), if it sent one
    told_opponent_away: bool = False  # what this seat was last told about its opponent
    powers: list[EffectKind] = field(default_factory=list)  # the inventory, oldest first
    power_uses: int = 0  # power uses handled (accepted or refused): the client's power_n
    garbage_sent: int = 0
    effect_times: dict[int, int] = field(default_factory=dict)  # effect id -> when it was made
    hits: list[tuple[int, Effect]] = field(default_factory=list)  # (applied at, power) recent

    def is_away(self, now: int, settings: MatchSettings) -> bool:
        return self.closed or now - self.last_heard >= settings.away_ms

    def stamp(self, now: int) -> int:
        """Our timestamp for the next message to this seat: strictly increasing."""
        self.last_sent_ts = max(now, self.last_sent_ts + 1)
        return self.last_sent_ts


class Match:
    def __init__(
        self,
        game_name: str,
        seed: int,
        invited: str | None,
        settings: MatchSettings,
        now: int,
        lock: Any = None,
    ) -> None:
        self.game_name = game_name
        self.invited = invited
        self.settings = settings
        self.seed = seed
        self.sequence = PieceSequence(seed)
        # Effect parameters and power draws: their own stream, so pieces never depend on them.
        self.rng = Mulberry32(seed ^ 0x5BD1E995)
        self.state = MatchState.WAITING
        self.seats: list[Seat] = []
        self.created_at = now
        self.started_at: int | None = None
        self.ended_at: int | None = None
        self.result: Result | None = None
        self.queue: str | None = None  # "quick": made by the quick-match queue
        self.audience = Audience(limit=settings.max_watchers, idle_ms=settings.watch_idle_ms,
                                 interval_ms=settings.spectate_interval_ms)
        self.rematch = RematchBook()
        self.lock = lock
        # The replay being recorded (server/replay.py): from the start until taken at the end.
        self.recorder: Recorder | None = None

    # -- seats ----------------------------------------------------------------------------

    def find_seat(self, name: str) -> Seat | None:
        key = name.casefold()
        return next((seat for seat in self.seats if seat.name.casefold() == key), None)

    def seat_for(self, address: Address, token: str | None) -> Seat:
        """The sender's seat: by token when one is given, else by source address, as a plain
        seed client is known. (Only a newer request moves a seat; see handle_flux.)"""
        if token is not None:
            for seat in self.seats:
                if seat.token == token:
                    return seat
            raise ProtocolError(Reason.BAD_TOKEN)
        for seat in self.seats:
            if seat.address == address:
                return seat
        raise ProtocolError(Reason.NOT_IN_GAME)

    def opponent_of(self, seat: Seat) -> Seat | None:
        seats = self.seats
        if len(seats) < 2:
            return None
        return seats[1] if seat is seats[0] else seats[0]

    def opponent_away(self, seat: Seat, now: int) -> bool:
        opponent = self.opponent_of(seat)
        return opponent is not None and opponent.is_away(now, self.settings)

    def connect(
        self,
        name: str,
        address: Address,
        token: str | None,
        new_token: str,
        now: int,
        timestamp: int | None = None,
        *,
        key: str | None = None,
    ) -> list[Outgoing]:
        """Seat a player, or answer a repeated connect as the first one was answered, or give a
        seat back to its token (a rejoin from a new address, with a newer timestamp)."""
        seat = self.find_seat(name)
        if seat is not None:
            return self._reconnect(seat, address, token, key, now, timestamp)
        if self._check_clock(now):
            return self._game_ends(now)
        if self.state != MatchState.WAITING or len(self.seats) >= 2:
            raise ProtocolError(Reason.GAME_FULL)
        if token is not None:
            raise ProtocolError(Reason.BAD_TOKEN)
        if self.seats and self.invited is not None and name.casefold() != self.invited.casefold():
            raise ProtocolError(Reason.GAME_FULL, "this match invites another player")
        seat = Seat(name=name, token=new_token, address=address, last_heard=now, key=key,
                    board=Board(record=self.settings.record_history),
                    powers=list(self.settings.starting_powers[:MAX_POWERS]))
        self.seats.append(seat)
        if len(self.seats) < 2:
            return [Outgoing.to(seat, replies.waiting(self, seat, now))]
        self.state = MatchState.PLAYING
        self.started_at = now + self.settings.countdown_ms  # pieces fall from here, for both
        self.audience.changed()
        self.recorder = Recorder(self.started_at)  # event times count from the first fall
        return [Outgoing.to(s, replies.game_start(self, s, now)) for s in self.seats]

    def _reconnect(
        self,
        seat: Seat,
        address: Address,
        token: str | None,
        key: str | None,
        now: int,
        timestamp: int | None,
    ) -> list[Outgoing]:
        """A connect for a taken seat. Its answer carries the seat's token, so only the seat's
        own client gets one: the token itself; before the token was ever shown, the key the seat
        was taken with; and for a client that sent no key (a plain seed client) only before the
        token was shown, its address (which a new socket on a reused port could hold)."""
        if token is not None:
            if token != seat.token:
                raise ProtocolError(Reason.BAD_TOKEN)
            seat.token_shown = True
        elif seat.token_shown:
            # Even from its own (possibly reused) port, and even with its key.
            raise ProtocolError(Reason.BAD_TOKEN, "this seat needs its token")
        elif key is not None or seat.key is not None:
            if key != seat.key:
                raise ProtocolError(Reason.NAME_TAKEN)  # another client took this name here
        elif seat.address != address:
            raise ProtocolError(Reason.NAME_TAKEN)
        moved: list[Outgoing] = []
        if address != seat.address:  # only a newer request may move a seat (timestamp > now)
            if timestamp is None or timestamp <= seat.last_ts:
                return []
            moved = self._move(seat, address)
        if timestamp is not None and timestamp > seat.last_ts:
            seat.last_ts = timestamp
        if self._check_clock(now):
            return moved + self._game_ends(now)
        self._heard(seat, now)
        return [*moved, self._reply_state(seat, now), *self.rematch_state(seat)]

    def hear(self, seat: Seat, timestamp: int, address: Address, now: int) -> Heard | None:
        """A seat's request other than game_flux (a rematch answer): fresh (newer than the last
        applied) it moves the seat and keeps it alive; an old one from elsewhere is None."""
        if timestamp <= seat.last_ts:
            return None if address != seat.address else Heard(fresh=False)
        seat.last_ts = timestamp
        moved = self._move(seat, address) if address != seat.address else []
        seat.token_shown = True
        self._heard(seat, now)
        return Heard(fresh=True, moved=moved)

    def follow(self, seat: Seat, address: Address, now: int) -> list[Outgoing]:
        """The player of `seat` was heard at `address` on the match this one is the rematch of:
        the seat follows them there, and they get its state."""
        moved = self._move(seat, address) if address != seat.address else []
        return [*moved, self._reply_state(seat, now)]

    def _move(self, seat: Seat, address: Address) -> list[Outgoing]:
        """Move `seat` to `address` (by its token, with a newer request): its old address is
        told once, with `moved`, so a second tab does not share the seat silently."""
        old, seat.address = seat.address, address
        return [Outgoing(old, seat, replies.Moved(game_name=self.game_name))]

    # -- play -----------------------------------------------------------------------------

    def handle_flux(self, seat: Seat, flux: Flux, now: int, address: Address) -> list[Outgoing]:
        """A player's request. Only one newer than the last applied changes anything, the seat's
        address and liveness included; an old one from elsewhere (a replay) gets no answer."""
        fresh = flux.timestamp > seat.last_ts
        if not fresh and address != seat.address:
            return []
        moved: list[Outgoing] = []
        if fresh:
            seat.last_ts = flux.timestamp
            if address != seat.address:
                moved = self._move(seat, address)
            seat.token_shown = seat.token_shown or flux.token is not None
            self._heard(seat, now)
        if self._check_clock(now):
            return moved + self._game_ends(now)
        if self.state != MatchState.PLAYING:
            return [*moved, self._reply_state(seat, now), *self.rematch_state(seat)]
        rejected: Rejected | None = None
        power: PowerOutcome | None = None
        changed = False
        if fresh and self.countdown_ms(now) > 0:
            if flux.locks:  # nothing falls before the start: the client reconciles and waits
                first = min(flux.locks, key=lambda lock: lock.n)
                rejected = Rejected(n=first.n, i=first.index, reason=Reason.TOO_EARLY)
        elif fresh:
            rejected, changed = self._apply_locks(seat, flux, now)
            # A refused lock stops the request: its power use waits for the next one.
            if self.state == MatchState.PLAYING and flux.power_used is not None and not rejected:
                power = self._use_power(seat, flux, now)
                changed = changed or power.used is not None
        if self.state == MatchState.ENDED:  # a lock topped the player out
            return moved + self._game_ends(now)
        # echo: the client's own clock, so it measures the round trip
        out = [*moved, Outgoing.to(seat, replies.game_flux(self, seat, now, rejected=rejected,
                                                           power=power, echo=flux.timestamp))]
        opponent = self.opponent_of(seat)
        if changed and opponent is not None:
            out.append(Outgoing.to(opponent, replies.game_flux(self, opponent, now)))
        if changed:
            self.audience.changed()
        return out

    def _apply_locks(self, seat: Seat, flux: Flux, now: int) -> tuple[Rejected | None, bool]:
        """Apply the request's locks in `n` order; repeats are skipped, a gap or a refusal stops."""
        board = seat.board
        changed = False
        for lock in sorted(flux.locks, key=_LOCK_N):
            if lock.n < board.locks_applied:
                continue
            if lock.n > board.locks_applied:
                break
            try:
                result = board.apply_lock(lock, self.sequence)
            except IllegalLock as exc:
                return Rejected(n=lock.n, i=lock.index, reason=exc.reason), changed
            changed = True
            if self.recorder is not None:  # before what it sets off, as the replay orders it
                self.recorder.lock(now, self._p(seat), lock, board.field, result.applied)
            self._after_lock(seat, result, now)
            if result.topped_out:
                self._end(EndReason.TOP_OUT, loser=seat, now=now)
                break
        return None, changed

    def _after_lock(self, seat: Seat, result: LockResult, now: int) -> None:
        """What a lock sets off: powers earned by its lines, garbage sent to the opponent."""
        self._remember_hits(seat, result.applied, now)
        if result.outcome is None:
            return
        seat.stats.locked(result.outcome)
        for _ in range(result.outcome.lines):
            power = draw_power(self.rng)  # drawn even when full, so draws never depend on it
            if len(seat.powers) < MAX_POWERS:
                seat.powers.append(power)
        if result.sent and (opponent := self.opponent_of(seat)) is not None:
            seat.garbage_sent += result.sent
            self._send_effect(opponent, EffectKind.GARBAGE, seat, now,
                              lines=result.sent, hole=draw_hole(self.rng))
            self.audience.battle({"from": seat.name, "to": opponent.name,
                                  "garbage": result.sent})

    def _use_power(self, seat: Seat, flux: Flux, now: int) -> PowerOutcome:
        """Honour `power_used` once per use number, and only if the inventory holds it."""
        assert flux.power_used is not None
        n = seat.power_uses if flux.power_n is None else flux.power_n
        if n != seat.power_uses:  # a repeat of a use already handled, or one from the future
            return PowerOutcome()
        seat.power_uses += 1
        power = flux.power_used
        if power not in seat.powers:
            return PowerOutcome(rejected=PowerRejected(n=n, power=str(power), reason="not_held"))
        seat.powers.remove(power)
        if self.recorder is not None:
            self.recorder.power(now, self._p(seat), power)
        seat.stats.powers += 1
        opponent = self.opponent_of(seat)
        assert opponent is not None  # a match is PLAYING only with two seats
        target = seat if power in HELPS_USER else opponent
        self.audience.battle({"from": seat.name, "to": target.name, "power": str(power)})
        if power in HELPS_USER:
            self._send_effect(seat, power, seat, now)
        elif power is EffectKind.ADD_LINE:
            self._send_effect(opponent, power, seat, now, hole=draw_hole(self.rng))
        elif power is EffectKind.QUAKE:
            self._send_effect(opponent, power, seat, now, shifts=draw_quake_shifts(self.rng))
        else:  # switch: each gets the other's field as both stand now, at its next boundary
            mine, theirs = switch_rows(seat.board.field), switch_rows(opponent.board.field)
            self._send_effect(seat, power, seat, now, rows=theirs)
            self._send_effect(opponent, power, seat, now, rows=mine)
        return PowerOutcome(used=power)

    def _send_effect(
        self, target: Seat, kind: EffectKind, source: Seat, now: int, **params: Any
    ) -> None:
        effect = Effect(id=target.board.last_effect_id + 1, kind=kind, source=source.name, **params)
        target.board.receive(effect)
        if self.recorder is not None:
            self.recorder.effect(now, self._p(target), effect)
        target.effect_times[effect.id] = now

    def _remember_hits(self, seat: Seat, applied: tuple[Effect, ...], now: int) -> None:
        if applied:  # most locks apply no effect
            seat.stats.landed(applied)
            for effect in applied:
                seat.effect_times.pop(effect.id, None)
                if effect.kind is not EffectKind.GARBAGE:
                    seat.hits.append((now, effect))
        if seat.hits:
            seat.hits = [(t, e) for t, e in seat.hits if now - t < self.settings.hit_memory_ms]

    def _force_overdue_effects(self, now: int) -> list[Outgoing]:
        """Apply effects a client has not taken within the grace period (docs/rules.md)."""
        grace = self.settings.effect_grace_ms
        forced = False
        for seat in self.seats:
            overdue = [e.id for e in seat.board.incoming
                       if now - seat.effect_times.get(e.id, now) >= grace]
            if not overdue:
                continue
            applied, topped = seat.board.apply_effects(max(overdue), self.sequence)
            if self.recorder is not None:
                self.recorder.force(now, self._p(seat), max(overdue), applied)
            self._remember_hits(seat, applied, now)
            forced = True
            if topped:
                self._end(EndReason.TOP_OUT, loser=seat, now=now)
                return self._game_ends(now)
        if not forced:
            return []
        self.audience.changed()
        return [Outgoing.to(s, replies.game_flux(self, s, now)) for s in self.seats]

    def handle_leave(self, seat: Seat, leave: Leave, now: int, address: Address) -> list[Outgoing]:
        if self._check_clock(now):
            return self._game_ends(now)
        if leave.intent == LeaveIntent.CLOSED:
            # The bridge's notice for the socket the seat is on; no timestamp of the player's:
            # the bridge's clock is not theirs, and "away" undoes itself with the next request.
            if address != seat.address or self.state == MatchState.ENDED:
                return []
            if not seat.closed:
                seat.closed, seat.closed_at = True, now  # the closed-tab grace starts
            return self._away_notices(now)
        if leave.timestamp <= seat.last_ts or self.state == MatchState.ENDED:
            return [self._reply_state(seat, now)] if address == seat.address else []
        seat.last_ts = leave.timestamp
        if self.state == MatchState.WAITING:
            self._cancel(now)
            return []
        self._end(EndReason.FORFEIT, loser=seat, now=now)
        return self._game_ends(now)

    def tick(self, now: int) -> list[Outgoing]:
        """Timers: the clock running out, silent players, the opponent-away notices."""
        if self.state == MatchState.WAITING:
            host = self.seats[0] if self.seats else None
            idle = host is None or now - host.last_heard >= self.settings.waiting_idle_ms
            if idle or now - self.created_at >= self.settings.waiting_ms:
                self._cancel(now)
            return []
        if self.state != MatchState.PLAYING:
            if self.rematch.expire(now, self.settings.rematch_ms):
                return self._rematch_notices()
            return []
        if self._check_clock(now):
            return self._game_ends(now)
        silent = [s for s in self.seats if now - s.last_heard >= self.settings.disconnect_ms]
        if silent:
            loser = min(silent, key=lambda s: s.last_heard)
            self._end(EndReason.DISCONNECT, loser=loser, now=now)
            return self._game_ends(now)
        gone = [s for s in self.seats
                if s.closed and now - s.closed_at >= self.settings.closed_grace_ms]
        if gone:  # a closed tab not reloaded within the grace: it left
            self._end(EndReason.FORFEIT, loser=min(gone, key=lambda s: s.closed_at), now=now,
                      left=True)
            return self._game_ends(now)
        return self._force_overdue_effects(now) or self._away_notices(now)

    def next_deadline(self, now: int) -> int | None:
        """When `tick` next has something to do (a time at or before `now`: at once), or None
        when only a datagram can change anything. Early is harmless: `tick` checks again."""
        settings = self.settings
        if self.state == MatchState.WAITING:
            if not self.seats:
                return now
            return min(self.seats[0].last_heard + settings.waiting_idle_ms,
                       self.created_at + settings.waiting_ms,
                       self.audience.next_deadline() or self.created_at + settings.waiting_ms)
        if self.state == MatchState.ENDED:
            if self.ended_at is None:
                return None
            expiry = self.rematch.expiry(settings.rematch_ms)
            linger = self.ended_at + settings.linger_ms
            return linger if expiry is None else min(linger, expiry)
        assert self.started_at is not None
        due = [self.started_at + settings.match_ms]
        spectators = self.spectators_due()
        if spectators is not None:
            due.append(spectators)
        for seat in self.seats:
            due.append(seat.last_heard + settings.disconnect_ms)
            if seat.closed:
                due.append(seat.closed_at + settings.closed_grace_ms)
            if seat.board.incoming:
                made = [seat.effect_times[e.id] for e in seat.board.incoming
                        if e.id in seat.effect_times]
                if made:
                    due.append(min(made) + settings.effect_grace_ms)
            opponent = self.opponent_of(seat)
            if opponent is None:
                continue
            if opponent.is_away(now, settings) != seat.told_opponent_away:
                due.append(now)  # a notice to send
            elif not seat.told_opponent_away:
                due.append(opponent.last_heard + settings.away_ms)  # when it would go away
        return min(due)

    def shut_down(self, now: int) -> list[Outgoing]:
        """The server is going away: a running (or waiting) match ends with no winner, and its
        players get `game_end` reason `server_shutdown`."""
        if self.state == MatchState.ENDED:
            return []
        if not self.seats:
            self._cancel(now)
            return []
        self.state = MatchState.ENDED
        self.ended_at = now
        self.result = Result(reason=EndReason.SERVER_SHUTDOWN, winner=None)
        return self._game_ends(now)

    def take_replay(self) -> bytes | None:
        """The replay file of a match that has ended with a result, once (docs/replays.md);
        None before the end, after it was taken, or for a match that never started."""
        if self.state != MatchState.ENDED or self.result is None or self.recorder is None:
            return None
        recorder, self.recorder = self.recorder, None
        assert self.ended_at is not None
        first, second = self.seats
        header = Header(self.game_name, self.seed, (first.name, second.name), recorder.started,
                        self.settings.match_ms, self.settings.effect_grace_ms,
                        self.settings.starting_powers)
        result = result_json(recorder, str(self.result.reason), self.result.winner,
                             self.ended_at - recorder.started,
                             [(s.name, s.board, s.garbage_sent) for s in self.seats])
        return build(header, recorder.events_json(), result)

    def _p(self, seat: Seat) -> int:
        """The seat's player number in the replay: 0 for the first seated, 1 for the other."""
        return 0 if seat is self.seats[0] else 1

    def expired(self, now: int) -> bool:
        """Ended long enough ago that late datagrams no longer need a game_end."""
        return (
            self.state == MatchState.ENDED
            and self.ended_at is not None
            and now - self.ended_at >= self.settings.linger_ms
        )

    # -- transitions ----------------------------------------------------------------------

    def _heard(self, seat: Seat, now: int) -> None:
        seat.last_heard = now
        seat.closed = False

    def _check_clock(self, now: int) -> bool:
        """End a running match whose time is up; True if this call ended it."""
        if self.state == MatchState.PLAYING and self.time_left(now) <= 0:
            self._end(EndReason.TIME_UP, loser=None, now=now)
            return True
        return False

    def _end(
        self, reason: EndReason, loser: Seat | None, now: int, *, left: bool = False
    ) -> None:
        if self.state != MatchState.PLAYING:
            raise InvalidState(f"cannot end a match that is {self.state.name}")
        if loser is not None:
            winner = self.opponent_of(loser)
            winner_name = winner.name if winner else None
        else:
            first, second = self.seats
            if first.board.score == second.board.score:
                winner_name = None
            else:
                winner_name = max(self.seats, key=lambda s: s.board.score).name
        self.state = MatchState.ENDED
        self.ended_at = now
        self.result = Result(reason=reason, winner=winner_name, left=left)

    def _cancel(self, now: int) -> None:
        self.state = MatchState.ENDED
        self.ended_at = now - self.settings.linger_ms  # nothing to linger for: no game_end
        self.result = None

    # -- messages -------------------------------------------------------------------------

    def time_left(self, now: int) -> int:
        """The match's full length until the start (the countdown), then what is left."""
        state, match_ms = self.state, self.settings.match_ms
        if state == MatchState.PLAYING and self.started_at is not None:  # the usual case first
            return max(0, min(match_ms, self.started_at + match_ms - now))
        if state == MatchState.WAITING or self.started_at is None:
            return match_ms
        return 0  # ended

    def countdown_ms(self, now: int) -> int:
        """Milliseconds until pieces fall: 0 once they do (and before pairing)."""
        if self.state != MatchState.PLAYING or self.started_at is None:
            return 0
        return max(0, self.started_at - now)

    def played_ms(self) -> int:
        """How long pieces fell: from the start to the end (0 if it ended in the countdown)."""
        if self.started_at is None or self.ended_at is None:
            return 0
        return max(0, self.ended_at - self.started_at)

    def seat_away(self, seat: Seat, now: int) -> bool:
        return seat.is_away(now, self.settings)

    def opponent_away_ms(self, seat: Seat, now: int) -> int | None:
        """While the opponent is away: how long until they lose (the closed-tab grace or the
        disconnect silence, whichever comes first); None when they are not away."""
        opponent = self.opponent_of(seat)
        if opponent is None or not opponent.is_away(now, self.settings):
            return None
        left = opponent.last_heard + self.settings.disconnect_ms - now
        if opponent.closed:
            left = min(left, opponent.closed_at + self.settings.closed_grace_ms - now)
        return max(0, left)

    @property
    def watchers(self) -> int:
        return len(self.audience)

    @property
    def rematch_next(self) -> str | None:
        return self.rematch.next

    # -- spectators (server/spectators.py): nothing here touches a seat ---------------------

    def watch(self, address: Address, now: int) -> list[Outgoing]:
        """A spectator's `watch`: its view (the end, once ended). ProtocolError when the match
        has no room for another watcher."""
        if self._check_clock(now):
            return self._game_ends(now)
        if self.state == MatchState.ENDED:
            if self.result is None:
                raise ProtocolError(Reason.UNKNOWN_GAME, "the match was cancelled")
            self.audience.watchers.pop(address, None)
            return [Outgoing(address, self.audience.feed, replies.game_end(self, None))]
        watcher = self.audience.hear(address, now)
        if watcher is None:
            raise ProtocolError(Reason.TOO_MANY_WATCHERS,
                                f"this match has {self.settings.max_watchers} watchers")
        return [Outgoing(address, watcher, self.spectate(now))]

    def spectate(self, now: int) -> replies.Spectate:
        return replies.spectate(self, tuple(self.audience.log), now)

    def spectator_push(self, now: int) -> tuple[replies.Spectate, list[Watcher]] | None:
        """The spectate the feed owes its watchers now, if one is due (the timers ask)."""
        self.audience.drop_idle(now)
        if self.state != MatchState.PLAYING or not self.audience.due(now):
            return None
        self.audience.pushed(now)
        return self.spectate(now), list(self.audience.watchers.values())

    def spectators_due(self) -> int | None:
        return self.audience.next_deadline() if self.state == MatchState.PLAYING else None

    # -- rematch (server/rematch.py) -------------------------------------------------------

    def want_rematch(self, seat: Seat, answer: Any, now: int) -> tuple[bool, list[Outgoing]]:
        """A player's `rematch` answer on this ended match: (start it now?, what to send). Both
        players must still be here: heard within --disconnect-seconds, their tab not closed."""
        if self.state != MatchState.ENDED or self.result is None:
            raise ProtocolError(Reason.NO_REMATCH, "the match has not ended")
        if self.rematch.next is not None:
            return False, self.rematch_state(seat)
        if any(s.closed or now - s.last_heard >= self.settings.disconnect_ms
               for s in self.seats):
            raise ProtocolError(Reason.NO_REMATCH, "the other player has left")
        before = (self.rematch.state, self.rematch.last_from)
        if self.rematch.answer(seat.name, answer, now, len(self.seats)):
            return True, []
        if (self.rematch.state, self.rematch.last_from) == before:
            return False, self.rematch_state(seat)  # a repeat: only its sender hears
        return False, self._rematch_notices()

    def rematch_started(self, seat: Seat, new: Match) -> list[Outgoing]:
        self.rematch.started(seat.name, new.game_name, new)
        return self._rematch_notices()

    def _rematch_notices(self) -> list[Outgoing]:
        return [out for s in self.seats for out in self.rematch_state(s)]

    def rematch_state(self, seat: Seat) -> list[Outgoing]:
        """What the rematch book has to tell `seat` (nothing when no one asked)."""
        book = self.rematch
        if book.state is None or self.state != MatchState.ENDED:
            return []
        return [Outgoing.to(seat, replies.RematchNotice(
            game_name=self.game_name, state=str(book.state), from_name=book.last_from,
            next=book.next))]

    def _reply_state(self, seat: Seat, now: int) -> Outgoing:
        if self.state == MatchState.WAITING:
            return Outgoing.to(seat, replies.waiting(self, seat, now))
        if self.state == MatchState.PLAYING:
            return Outgoing.to(seat, replies.game_start(self, seat, now))
        if self.result is None:
            raise ProtocolError(Reason.UNKNOWN_GAME, "the match was cancelled")
        return Outgoing.to(seat, replies.game_end(self, seat))

    def _game_ends(self, now: int) -> list[Outgoing]:
        """The end, to both players, then (after them) to every spectator, who are let go."""
        out = [Outgoing.to(seat, replies.game_end(self, seat)) for seat in self.seats]
        if self.audience.watchers:
            end = replies.game_end(self, None)
            out += [Outgoing(w.address, w, end) for w in self.audience.watchers.values()]
            self.audience.clear()
        return out

    def _away_notices(self, now: int) -> list[Outgoing]:
        """Tell each player when their opponent goes quiet or comes back, once per change."""
        out = []
        for seat in self.seats:
            away = self.opponent_away(seat, now)
            if away != seat.told_opponent_away and self.state == MatchState.PLAYING:
                seat.told_opponent_away = away
                out.append(Outgoing.to(seat, replies.game_flux(self, seat, now)))
        return out
