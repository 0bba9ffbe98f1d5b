"""One match: two seats, one piece sequence, one clock.

Pure: every call takes `now` (milliseconds since the epoch, from the shell's clock) and returns the
replies to send as `Outgoing` values, typed and unstamped (server/replies.py); the service stamps
and encodes them. The service serialises calls with `match.lock`, an object the core never touches,
and asks `next_deadline` when the match next needs a `tick`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from server import replies
from server.errors import IllegalLock, InvalidState, ProtocolError
from server.protocol import Flux, Leave, LeaveIntent
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
from server.wire import (
    DISCONNECT_SECONDS,
    EFFECT_GRACE_SECONDS,
    LINGER_SECONDS,
    MATCH_SECONDS,
    PREVIEW,
    Reason,
)

Address = tuple[Any, ...]  # (host, port) for IPv4, (host, port, flow, scope) for IPv6


class MatchState(enum.IntEnum):
    WAITING = 0
    PLAYING = 1
    ENDED = 2


class EndReason(enum.StrEnum):
    TIME_UP = "time_up"
    TOP_OUT = "top_out"
    DISCONNECT = "disconnect"
    FORFEIT = "forfeit"


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


@dataclass(frozen=True)
class Outgoing:
    """A reply for a seat, at the seat's address as it stood when the reply was made."""

    address: Address
    seat: Seat
    reply: Reply

    @classmethod
    def to(cls, seat: Seat, reply: Reply) -> Outgoing:
        return cls(seat.address, seat, reply)


@dataclass(frozen=True)
class Result:
    reason: EndReason
    winner: str | None  # None: a draw


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
    token_echoed: bool = False  # a request carried the token: from now on it is required
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
        self.sequence = PieceSequence(seed)
        # Effect parameters and power draws: their own stream, so pieces never depend on them.
        self.rng = Mulberry32(seed ^ 0x5BD1E995)
        self.state = MatchState.WAITING
        self.seats: list[Seat] = []
        self.created_at = now
        self.started_at: int | None = None
        self.ended_at: int | None = None
        self.result: Result | None = None
        self.lock = lock

    # -- seats ----------------------------------------------------------------------------

    def find_seat(self, name: str) -> Seat | None:
        key = name.casefold()
        return next((seat for seat in self.seats if seat.name.casefold() == key), None)

    def seat_for(self, address: Address, token: str | None) -> Seat:
        """The sender's seat: by token when one is given, else by source address, as a plain
        seed client is known. (Only a newer request moves a seat; see handle_flux.)"""
        if token is not None:
            seat = next((seat for seat in self.seats if seat.token == token), None)
            if seat is None:
                raise ProtocolError(Reason.BAD_TOKEN)
            return seat
        seat = next((seat for seat in self.seats if seat.address == address), None)
        if seat is None:
            raise ProtocolError(Reason.NOT_IN_GAME)
        return seat

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
    ) -> list[Outgoing]:
        """Seat a player, or answer a repeated connect as the first one was answered, or give a
        seat back to its token (a rejoin from a new address, with a newer timestamp)."""
        seat = self.find_seat(name)
        if seat is not None:
            return self._reconnect(seat, address, token, now, timestamp)
        if self._check_clock(now):
            return self._game_ends(now)
        if self.state != MatchState.WAITING or len(self.seats) >= 2:
            raise ProtocolError(Reason.GAME_FULL)
        if token is not None:
            raise ProtocolError(Reason.BAD_TOKEN)
        if self.seats and self.invited is not None and name.casefold() != self.invited.casefold():
            raise ProtocolError(Reason.GAME_FULL, "this match invites another player")
        seat = Seat(name=name, token=new_token, address=address, last_heard=now,
                    board=Board(record=self.settings.record_history),
                    powers=list(self.settings.starting_powers[:MAX_POWERS]))
        self.seats.append(seat)
        if len(self.seats) < 2:
            return [Outgoing.to(seat, replies.waiting(self, seat))]
        self.state = MatchState.PLAYING
        self.started_at = now
        return [Outgoing.to(s, replies.game_start(self, s, now)) for s in self.seats]

    def _reconnect(
        self, seat: Seat, address: Address, token: str | None, now: int, timestamp: int | None
    ) -> list[Outgoing]:
        if token is not None and token != seat.token:
            raise ProtocolError(Reason.BAD_TOKEN)
        if token is None and seat.token_echoed:
            # This seat has shown its token: a bare name (even from its own, possibly reused,
            # port) no longer opens it.
            raise ProtocolError(Reason.BAD_TOKEN, "this seat needs its token")
        if token is None and seat.address != address:
            raise ProtocolError(Reason.NAME_TAKEN)
        if address != seat.address:  # only a newer request may move a seat (timestamp > now)
            if timestamp is None or timestamp <= seat.last_ts:
                return []
            seat.address = address
        if timestamp is not None and timestamp > seat.last_ts:
            seat.last_ts = timestamp
        if self._check_clock(now):
            return self._game_ends(now)
        self._heard(seat, now)
        return [self._reply_state(seat, now)]

    # -- play -----------------------------------------------------------------------------

    def handle_flux(self, seat: Seat, flux: Flux, now: int, address: Address) -> list[Outgoing]:
        """A player's request. Only one newer than the last applied changes anything, the seat's
        address and liveness included; an old one from elsewhere (a replay) gets no answer."""
        fresh = flux.timestamp > seat.last_ts
        if not fresh and address != seat.address:
            return []
        if fresh:
            seat.last_ts = flux.timestamp
            seat.address = address
            seat.token_echoed = seat.token_echoed or flux.token is not None
            self._heard(seat, now)
        if self._check_clock(now):
            return self._game_ends(now)
        if self.state != MatchState.PLAYING:
            return [self._reply_state(seat, now)]
        rejected: Rejected | None = None
        power: PowerOutcome | None = None
        changed = False
        if fresh:
            rejected, changed = self._apply_locks(seat, flux, now)
            # A refused lock stops the request: its power use waits for the next one.
            if self.state == MatchState.PLAYING and flux.power_used is not None and not rejected:
                power = self._use_power(seat, flux, now)
                changed = changed or power.used is not None
        if self.state == MatchState.ENDED:  # a lock topped the player out
            return self._game_ends(now)
        # echo: the client's own clock, so it measures the round trip
        out = [Outgoing.to(seat, replies.game_flux(self, seat, now, rejected=rejected,
                                                   power=power, echo=flux.timestamp))]
        opponent = self.opponent_of(seat)
        if changed and opponent is not None:
            out.append(Outgoing.to(opponent, replies.game_flux(self, opponent, now)))
        return out

    def _apply_locks(self, seat: Seat, flux: Flux, now: int) -> tuple[Rejected | None, bool]:
        """Apply the request's locks in `n` order; repeats are skipped, a gap or a refusal stops."""
        board = seat.board
        changed = False
        for lock in sorted(flux.locks, key=lambda lock: lock.n):
            if lock.n < board.locks_applied:
                continue
            if lock.n > board.locks_applied:
                break
            try:
                result = board.apply_lock(lock, self.sequence)
            except IllegalLock as exc:
                return Rejected(n=lock.n, i=lock.index, reason=exc.reason), changed
            changed = True
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
        for _ in range(result.outcome.lines):
            power = draw_power(self.rng)  # drawn even when full, so draws never depend on it
            if len(seat.powers) < MAX_POWERS:
                seat.powers.append(power)
        opponent = self.opponent_of(seat)
        if result.sent and opponent is not None:
            seat.garbage_sent += result.sent
            self._send_effect(opponent, EffectKind.GARBAGE, seat, now,
                              lines=result.sent, hole=draw_hole(self.rng))

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
        opponent = self.opponent_of(seat)
        assert opponent is not None  # a match is PLAYING only with two seats
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
        target.effect_times[effect.id] = now

    def _remember_hits(self, seat: Seat, applied: tuple[Effect, ...], now: int) -> None:
        for effect in applied:
            seat.effect_times.pop(effect.id, None)
            if effect.kind is not EffectKind.GARBAGE:
                seat.hits.append((now, effect))
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
            self._remember_hits(seat, applied, now)
            forced = True
            if topped:
                self._end(EndReason.TOP_OUT, loser=seat, now=now)
                return self._game_ends(now)
        if not forced:
            return []
        return [Outgoing.to(s, replies.game_flux(self, s, now)) for s in self.seats]

    def handle_leave(self, seat: Seat, leave: Leave, now: int, address: Address) -> list[Outgoing]:
        if self._check_clock(now):
            return self._game_ends(now)
        if leave.intent == LeaveIntent.CLOSED:
            # The bridge's notice for the socket the seat is on; no timestamp of the player's:
            # the bridge's clock is not theirs, and "away" undoes itself with the next request.
            if address != seat.address or self.state == MatchState.ENDED:
                return []
            seat.closed = True
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
            return []
        if self._check_clock(now):
            return self._game_ends(now)
        silent = [s for s in self.seats if now - s.last_heard >= self.settings.disconnect_ms]
        if silent:
            loser = min(silent, key=lambda s: s.last_heard)
            self._end(EndReason.DISCONNECT, loser=loser, now=now)
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
                       self.created_at + settings.waiting_ms)
        if self.state == MatchState.ENDED:
            return None if self.ended_at is None else self.ended_at + settings.linger_ms
        assert self.started_at is not None
        due = [self.started_at + settings.match_ms,
               min(seat.last_heard for seat in self.seats) + settings.disconnect_ms]
        for seat in self.seats:
            made = [seat.effect_times[e.id] for e in seat.board.incoming
                    if e.id in seat.effect_times]
            if made:
                due.append(min(made) + settings.effect_grace_ms)
            opponent = self.opponent_of(seat)
            if opponent is None:
                continue
            if self.opponent_away(seat, now) != seat.told_opponent_away:
                due.append(now)  # a notice to send
            elif not seat.told_opponent_away:
                due.append(opponent.last_heard + settings.away_ms)  # when it would go away
        return min(due)

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

    def _end(self, reason: EndReason, loser: Seat | None, now: int) -> None:
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
        self.result = Result(reason=reason, winner=winner_name)

    def _cancel(self, now: int) -> None:
        self.state = MatchState.ENDED
        self.ended_at = now - self.settings.linger_ms  # nothing to linger for: no game_end
        self.result = None

    # -- messages -------------------------------------------------------------------------

    def time_left(self, now: int) -> int:
        if self.state == MatchState.WAITING or self.started_at is None:
            return self.settings.match_ms
        if self.state == MatchState.ENDED:
            return 0
        return max(0, self.started_at + self.settings.match_ms - now)

    def _reply_state(self, seat: Seat, now: int) -> Outgoing:
        if self.state == MatchState.WAITING:
            return Outgoing.to(seat, replies.waiting(self, seat))
        if self.state == MatchState.PLAYING:
            return Outgoing.to(seat, replies.game_start(self, seat, now))
        if self.result is None:
            raise ProtocolError(Reason.UNKNOWN_GAME, "the match was cancelled")
        return Outgoing.to(seat, replies.game_end(self, seat))

    def _game_ends(self, now: int) -> list[Outgoing]:
        return [Outgoing.to(seat, replies.game_end(self, seat)) for seat in self.seats]

    def _away_notices(self, now: int) -> list[Outgoing]:
        """Tell each player when their opponent goes quiet or comes back, once per change."""
        out = []
        for seat in self.seats:
            away = self.opponent_away(seat, now)
            if away != seat.told_opponent_away and self.state == MatchState.PLAYING:
                seat.told_opponent_away = away
                out.append(Outgoing.to(seat, replies.game_flux(self, seat, now)))
        return out
