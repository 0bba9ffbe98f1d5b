"""The messages a match sends, as typed values built from a read-only view of it
(docs/protocol.md).

A leaf: it imports only the rules, and sees the match through the `MatchView` and `SeatView`
protocols, so match.py imports it and never the other way round. A reply is complete when built:
nothing patches it afterwards. It carries no timestamp; the service stamps each reply where it
leaves, and `protocol.encode_reply` writes it. Every field comes from the server's own books;
nothing a client claimed is echoed back (but `echo`, the request's own clock, for the round trip).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Protocol

from server.rules import RULES_VERSION
from server.rules.bag import PieceSequence
from server.rules.board import Board
from server.rules.effects import Effect, EffectKind
from server.rules.field import Field
from server.stats import SeatStats, to_wire
from server.wire import SPECTATE_PREVIEW

Payload = dict[str, Any]


class SettingsView(Protocol):
    @property
    def preview(self) -> int: ...
    @property
    def hit_memory_ms(self) -> int: ...


class SeatView(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def token(self) -> str: ...
    @property
    def board(self) -> Board: ...
    @property
    def powers(self) -> Sequence[EffectKind]: ...
    @property
    def power_uses(self) -> int: ...
    @property
    def garbage_sent(self) -> int: ...
    @property
    def hits(self) -> Sequence[tuple[int, Effect]]: ...
    @property
    def stats(self) -> SeatStats: ...


class ResultView(Protocol):
    @property
    def reason(self) -> str: ...
    @property
    def winner(self) -> str | None: ...
    @property
    def left(self) -> bool: ...


class MatchView(Protocol):
    @property
    def game_name(self) -> str: ...
    @property
    def invited(self) -> str | None: ...
    @property
    def sequence(self) -> PieceSequence: ...
    @property
    def settings(self) -> SettingsView: ...
    @property
    def result(self) -> ResultView | None: ...
    @property
    def seats(self) -> Sequence[SeatView]: ...
    def opponent_of(self, seat: Any) -> SeatView | None: ...
    def time_left(self, now: int) -> int: ...
    def countdown_ms(self, now: int) -> int: ...
    # None exactly when the opponent is not away: state() reads `opponent_away` from it.
    def opponent_away_ms(self, seat: Any, now: int) -> int | None: ...
    @property
    def watchers(self) -> int: ...
    @property
    def queue(self) -> str | None: ...
    @property
    def created_at(self) -> int: ...
    def played_ms(self) -> int: ...
    @property
    def rematch_next(self) -> str | None: ...
    def seat_away(self, seat: Any, now: int) -> bool: ...


# -- parts of replies ---------------------------------------------------------------------------


class Shown(NamedTuple):
    """A field as a reply shows it: its 20 visible rows under `rows_key`, and its occupied hidden
    rows under `hidden_key`, left out when there are none (docs/protocol.md "Hidden rows").
    protocol.encode_reply writes both from one cached encoding of the field."""

    rows_key: str
    hidden_key: str
    field: Field


@dataclass(frozen=True)
class Rejected:
    """The first lock of a request that the rules refused (docs/protocol.md `rejected`)."""

    n: int
    i: int
    reason: str

    def to_wire(self) -> Payload:
        return {"n": self.n, "i": self.i, "reason": self.reason}


@dataclass(frozen=True)
class PowerRejected:
    n: int
    power: str
    reason: str

    def to_wire(self) -> Payload:
        return {"n": self.n, "power": self.power, "reason": self.reason}


@dataclass(frozen=True)
class PowerOutcome:
    """What a request's `power_used` came to: used, refused, or (a repeat) neither."""

    used: EffectKind | None = None
    rejected: PowerRejected | None = None


class State(NamedTuple):
    """The fields game_start and game_flux share: one player's view of the match. A NamedTuple,
    not a frozen dataclass: two are built per request, and a frozen dataclass's __init__ sets
    its 25 fields one object.__setattr__ at a time."""

    user_field: Field
    opponent_field: Field
    next_block: tuple[str, ...]
    time_left: int
    user_score: int
    opponent_score: int
    powers_available: tuple[str, ...]
    ack: int
    piece_index: int
    hold: str | None
    hold_index: int | None
    combo: int
    b2b: bool
    lines: int
    opponent_lines: int
    opponent_pieces: int
    opponent_away: bool
    fx: int
    effects: tuple[Payload, ...]
    power_ack: int
    power_applied: tuple[Payload, ...]
    garbage_sent: int
    opponent_away_ms: int | None = None  # while the opponent is away: ms until they lose
    watchers: int = 0  # spectators of the match
    countdown_ms: int = 0  # ms until pieces fall; 0 once they do

    def fields(self) -> Payload:
        """Every field but the boards. Extensions the client reads as null/false when missing
        are left out when they are."""
        fields: Payload = {
            "next_block": list(self.next_block),
            "time_left": self.time_left,
            "user_score": self.user_score,
            "opponent_score": self.opponent_score,
            "powers_available": list(self.powers_available),
            "ack": self.ack,
            "piece_index": self.piece_index,
        }
        if self.hold is not None:
            fields["hold"] = self.hold
            fields["hold_index"] = self.hold_index
        fields.update(combo=self.combo, b2b=self.b2b, lines=self.lines,
                      opponent_lines=self.opponent_lines, opponent_pieces=self.opponent_pieces)
        if self.opponent_away:
            fields["opponent_away"] = True
            if self.opponent_away_ms is not None:
                fields["opponent_away_ms"] = self.opponent_away_ms
        fields.update(fx=self.fx, effects=list(self.effects), power_ack=self.power_ack,
                      power_applied=list(self.power_applied), garbage_sent=self.garbage_sent)
        if self.watchers:  # read a missing one as 0
            fields["watchers"] = self.watchers
        if self.countdown_ms:
            fields["countdown_ms"] = self.countdown_ms
        return fields

    def boards(self) -> tuple[Shown, ...]:
        return (Shown("user_blocks", "user_hidden", self.user_field),
                Shown("opponent_blocks", "opponent_hidden", self.opponent_field))


# -- the replies --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    COMMAND: ClassVar[str] = "waiting"
    game_name: str
    self_name: str
    opponent: str | None
    token: str
    queue: str | None = None  # "quick": waiting in the quick-match queue
    queued_ms: int | None = None  # how long, with `queue`

    def fields(self) -> Payload:
        fields: Payload = {"game_name": self.game_name, "self": self.self_name,
                           "opponent": self.opponent, "token": self.token}
        if self.queue is not None:
            fields.update(queue=self.queue, queued_ms=self.queued_ms)
        return fields

    def boards(self) -> tuple[Shown, ...]:
        return ()


@dataclass(frozen=True)
class GameStart:
    COMMAND: ClassVar[str] = "game_start"
    game_name: str
    self_name: str
    opponent: str | None
    state: State
    token: str
    rules: int = RULES_VERSION  # the page's rules must be these (docs/rules.md "Rules version")
    zero_countdown: bool = True  # write countdown_ms even at 0 (shrink leaves a 0 out)

    def fields(self) -> Payload:
        # countdown_ms (0 once pieces fall): the page starts gravity from it
        countdown = self.state.countdown_ms
        shown = {"countdown_ms": countdown} if countdown or self.zero_countdown else {}
        return {"game_name": self.game_name, "self": self.self_name, "opponent": self.opponent,
                **self.state.fields(), **shown, "token": self.token, "rules": self.rules}

    def shrink(self) -> GameStart | None:
        """At the size limit a countdown of 0 goes first: a missing one reads as 0."""
        if self.zero_countdown and not self.state.countdown_ms:
            return dataclasses.replace(self, zero_countdown=False)
        return None

    def boards(self) -> tuple[Shown, ...]:
        return self.state.boards()


class GameFlux(NamedTuple):
    """A NamedTuple like State, for the same reason: two are built per request."""

    game_name: str
    state: State
    power_used: str | None = None  # a seed field: always present, null unless used just now
    power_rejected: PowerRejected | None = None
    rejected: Rejected | None = None
    echo: int | None = None  # in a direct answer: the request's timestamp
    COMMAND = "game_flux"  # not annotated: a NamedTuple makes every annotation a field

    def fields(self) -> Payload:
        fields = {"game_name": self.game_name, **self.state.fields(),
                  "power_used": self.power_used}
        if self.power_rejected is not None:
            fields["power_rejected"] = self.power_rejected.to_wire()
        if self.rejected is not None:
            fields["rejected"] = self.rejected.to_wire()
        if self.echo is not None:
            fields["echo"] = self.echo
        return fields

    def boards(self) -> tuple[Shown, ...]:
        return self.state.boards()


@dataclass(frozen=True)
class GameEnd:
    COMMAND: ClassVar[str] = "game_end"
    game_name: str
    winner: str | None
    score: tuple[tuple[str, int], ...]
    reason: str
    user_score: int
    opponent_score: int
    top_out: str | None = None  # with reason top_out: lock_out, block_out or garbage
    left: bool = False  # forfeit: the loser's tab closed and did not come back
    stats: tuple[tuple[str, Payload], ...] = ()  # (name, figures), seat order
    final: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (name, 20 rows): `fields`

    def fields(self) -> Payload:
        fields: Payload = {"game_name": self.game_name, "winner": self.winner,
                           "score": dict(self.score), "reason": self.reason}
        if self.top_out is not None:
            fields["top_out"] = self.top_out
        if self.left:
            fields["left"] = True
        fields.update(user_score=self.user_score, opponent_score=self.opponent_score)
        if self.stats:
            fields["stats"] = dict(self.stats)
        if self.final:
            fields["fields"] = {name: list(rows) for name, rows in self.final}
        return fields

    def boards(self) -> tuple[Shown, ...]:
        return ()

    def shrink(self) -> GameEnd | None:
        """A smaller one when this does not fit: the final fields go first (then nothing)."""
        return dataclasses.replace(self, final=()) if self.final else None


@dataclass(frozen=True)
class MatchInfo:
    """What a link leads to (`probe`'s answer): enough for the page to pick its screen."""

    COMMAND: ClassVar[str] = "match_info"
    game_name: str
    state: str  # waiting, running, ended or unknown
    players: tuple[str, ...] = ()
    invited: str | None = None
    winner: str | None = None
    score: tuple[tuple[str, int], ...] = ()
    reason: str | None = None
    rematch: str | None = None  # the game_name its rematch went to
    watchers: int = 0

    def fields(self) -> Payload:
        return {"game_name": self.game_name, "state": self.state, "players": list(self.players),
                "invited": self.invited, "winner": self.winner, "score": dict(self.score),
                "reason": self.reason, "rematch": self.rematch, "watchers": self.watchers}

    def boards(self) -> tuple[Shown, ...]:
        return ()


@dataclass(frozen=True)
class RematchNotice:
    COMMAND: ClassVar[str] = "rematch"
    game_name: str  # the ended match
    state: str  # asked, declined, expired or started
    from_name: str  # who asked, declined or (started) answered last
    next: str | None = None  # with started: the new match's game_name

    def fields(self) -> Payload:
        return {"game_name": self.game_name, "state": self.state, "from": self.from_name,
                "next": self.next}

    def boards(self) -> tuple[Shown, ...]:
        return ()


@dataclass(frozen=True)
class Challenges:
    COMMAND: ClassVar[str] = "challenges"
    self_name: str
    from_names: tuple[str, ...]

    def fields(self) -> Payload:
        return {"self": self.self_name, "from": list(self.from_names)}

    def boards(self) -> tuple[Shown, ...]:
        return ()


@dataclass(frozen=True)
class Moved:
    """The one `error` a seat's old address gets when the seat goes on from another."""

    COMMAND: ClassVar[str] = "error"
    game_name: str

    def fields(self) -> Payload:
        return {"reason": "moved", "game_name": self.game_name,
                "detail": "this match is open in another tab"}

    def boards(self) -> tuple[Shown, ...]:
        return ()


@dataclass(frozen=True)
class Spectate:
    """A spectator's view: both fields and what the HUD shows of each player."""

    COMMAND: ClassVar[str] = "spectate"
    game_name: str
    players: tuple[Payload, ...]
    time_left: int
    countdown_ms: int
    log: tuple[Payload, ...]

    def fields(self) -> Payload:
        return {"game_name": self.game_name, "players": list(self.players),
                "time_left": self.time_left, "countdown_ms": self.countdown_ms,
                "log": list(self.log)}

    def boards(self) -> tuple[Shown, ...]:
        return ()

    def shrink(self) -> Spectate | None:
        """Smaller: the oldest log entries go first, then the hidden rows, then the held and
        coming pieces (drawn only)."""
        if self.log:
            return dataclasses.replace(self, log=self.log[1:])
        for drawn in ("hidden", "next", "hold"):
            if any(drawn in p for p in self.players):
                return dataclasses.replace(self, players=tuple(
                    {k: v for k, v in p.items() if k != drawn} for p in self.players))
        return None


Reply = (Waiting | GameStart | GameFlux | GameEnd | MatchInfo | RematchNotice | Challenges | Moved
         | Spectate)


# -- building them ------------------------------------------------------------------------------


def state(match: MatchView, seat: SeatView, now: int) -> State:
    board = seat.board
    opponent = match.opponent_of(seat)
    other = opponent.board if opponent else Board()
    preview = match.sequence.preview(board.next_index, match.settings.preview)
    hold = board.hold
    away_ms = match.opponent_away_ms(seat, now)  # None exactly when the opponent is not away
    return State(
        user_field=board.field,
        opponent_field=other.field,
        next_block=tuple(preview),  # pieces are str enums: JSON writes their letters
        time_left=match.time_left(now),
        user_score=board.score,
        opponent_score=other.score,
        powers_available=tuple(map(str, seat.powers)),
        ack=board.locks_applied,
        piece_index=board.next_index,
        hold=_held(board),
        hold_index=None if hold is None else hold[0],
        combo=board.combo,
        b2b=board.b2b,
        lines=board.lines,
        opponent_lines=other.lines,
        opponent_pieces=other.locks_applied,
        opponent_away=away_ms is not None,
        fx=board.fx,
        effects=tuple(effect.to_wire() for effect in board.incoming) if board.incoming else (),
        power_ack=seat.power_uses,
        power_applied=power_applied(match, seat, now),
        garbage_sent=seat.garbage_sent,
        opponent_away_ms=away_ms,
        watchers=match.watchers,
        countdown_ms=match.countdown_ms(now),
    )


def _held(board: Board) -> str | None:
    """The held piece's letter, as both the player's and a spectator's HOLD panel show it."""
    return None if board.hold is None else str(board.hold[1])


def power_applied(match: MatchView, seat: SeatView, now: int) -> tuple[Payload, ...]:
    """Powers that hit this seat: pending ones, and those applied in the last seconds."""
    if not seat.hits and not seat.board.incoming:
        return ()
    recent = [e for t, e in seat.hits if now - t < match.settings.hit_memory_ms]
    pending = [e for e in seat.board.incoming if e.kind is not EffectKind.GARBAGE]
    return tuple({"id": e.id, "power": str(e.kind), "from": e.source} for e in recent + pending)


def waiting(match: MatchView, seat: SeatView, now: int) -> Waiting:
    queue = match.queue
    return Waiting(game_name=match.game_name, self_name=seat.name, opponent=match.invited,
                   token=seat.token, queue=queue,
                   queued_ms=None if queue is None else max(0, now - match.created_at))


def game_start(match: MatchView, seat: SeatView, now: int) -> GameStart:
    opponent = match.opponent_of(seat)
    return GameStart(game_name=match.game_name, self_name=seat.name,
                     opponent=opponent.name if opponent else None,
                     state=state(match, seat, now), token=seat.token)


def game_flux(
    match: MatchView,
    seat: SeatView,
    now: int,
    *,
    rejected: Rejected | None = None,
    power: PowerOutcome | None = None,
    echo: int | None = None,
) -> GameFlux:
    power = power or PowerOutcome()
    return GameFlux(game_name=match.game_name, state=state(match, seat, now),
                    power_used=None if power.used is None else str(power.used),
                    power_rejected=power.rejected, rejected=rejected, echo=echo)


def game_end(match: MatchView, seat: SeatView | None) -> GameEnd:
    """The end as `seat` sees it; None: as a spectator does (the first player's side)."""
    result = match.result
    assert result is not None
    if seat is None:
        seat = match.seats[0]
    opponent = match.opponent_of(seat)
    # The seat that topped out is the one whose board says how (docs/rules.md "Top-out").
    top_out = next((s.board.top_out for s in match.seats if s.board.top_out is not None), None)
    return GameEnd(
        game_name=match.game_name,
        winner=result.winner,
        score=tuple((s.name, s.board.score) for s in match.seats),
        reason=str(result.reason),
        user_score=seat.board.score,
        opponent_score=opponent.board.score if opponent else 0,
        top_out=str(top_out) if top_out is not None and result.reason == "top_out" else None,
        left=result.left,
        stats=tuple((s.name, to_wire(s.stats, s.board.locks_applied, s.board.lines,
                                     s.garbage_sent, match.played_ms())) for s in match.seats),
        final=tuple((s.name, tuple(s.board.field.to_rows())) for s in match.seats),
    )


def match_info(match: MatchView | None, game_name: str, state: str) -> MatchInfo:
    """`probe`'s answer; `state` is the match's as the wire names it (unknown: no match)."""
    if match is None or state == "unknown":
        return MatchInfo(game_name=game_name, state="unknown")
    result = match.result if state == "ended" else None
    return MatchInfo(
        game_name=game_name, state=state, players=tuple(s.name for s in match.seats),
        invited=match.invited, winner=result.winner if result else None,
        score=tuple((s.name, s.board.score) for s in match.seats) if result else (),
        reason=str(result.reason) if result else None,
        rematch=match.rematch_next, watchers=match.watchers)


def spectate(match: MatchView, log: Sequence[Payload], now: int) -> Spectate:
    players = []
    for seat in match.seats:
        board = seat.board
        player: Payload = {"name": seat.name, "blocks": board.field.to_rows()}
        hidden = board.field.hidden_hex()
        if hidden:
            player["hidden"] = hidden
        player.update(score=board.score, lines=board.lines, pieces=board.locks_applied,
                      garbage=sum(e.lines for e in board.incoming
                                  if e.kind is EffectKind.GARBAGE),
                      away=match.seat_away(seat, now))
        # What the player's own panels show: the held piece and the pieces after the one in
        # hand (the server never knows the falling piece, only the locks).
        if board.hold is not None:
            player["hold"] = _held(board)
        player["next"] = list(map(str, match.sequence.preview(board.next_index,
                                                              SPECTATE_PREVIEW + 1)[1:]))
        players.append(player)
    return Spectate(game_name=match.game_name, players=tuple(players),
                    time_left=match.time_left(now), countdown_ms=match.countdown_ms(now),
                    log=tuple(log))
