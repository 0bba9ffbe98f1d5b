"""One player's authoritative field in a match, and the judging of the locks they send."""

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any, Final

from server.rules.bag import PieceSequence
from server.rules.effects import Effect, apply_effect, cancel_garbage
from server.rules.errors import IllegalLock, InvalidState
from server.rules.field import Field
from server.rules.movement import (
    LastTurn,
    can_spawn,
    reach_map,
    reaches_by_drop,
    verify_last,
)
from server.rules.pieces import CELLS, Piece, PieceState
from server.rules.scoring import LockOutcome, Spin, detect_spin, score_lock

# _LOWEST[piece][r]: the lowest dy of the piece's cells in rotation state r.
_LOWEST: Final = {piece: tuple(max(dy for _, dy in cells) for cells in CELLS[piece])
                  for piece in Piece}


class TopOut(enum.StrEnum):
    """How a player topped out (docs/rules.md "Top-out")."""

    LOCK_OUT = "lock_out"  # a piece locked wholly above the visible field
    BLOCK_OUT = "block_out"  # the piece in hand overlaps a block at its spawn
    GARBAGE = "garbage"  # an effect pushed a block past the top of the 40-row buffer


@dataclass(frozen=True, slots=True)
class Lock:
    """A lock as the client reports it (docs/rules.md "Locks")."""

    n: int  # the player's lock number, 0, 1, 2, …
    index: int  # sequence index of the piece locked
    piece: Piece
    r: int
    x: int
    y: int
    last: LastTurn | None = None  # the claim that the last action was this turn (and kick)
    fx: int = 0  # id of the last effect the client applied before this lock

    @property
    def state(self) -> PieceState:
        return PieceState(self.piece, self.r, self.x, self.y)


@dataclass(frozen=True, slots=True)
class LockResult:
    outcome: LockOutcome | None  # None: effects due before the lock topped the player out
    topped_out: bool  # by this lock or the effects before it; the board's top_out says how
    held: bool  # this lock implied a hold
    sent: int = 0  # garbage lines the attack sends after cancelling incoming garbage
    applied: tuple[Effect, ...] = ()  # effects applied just before the lock


@dataclass(frozen=True, slots=True)
class Placement:
    """A piece written into a field: the new field, what it earned, and whether it locked out
    (a block out needs the sequence: Board.apply_lock judges it)."""

    field: Field
    outcome: LockOutcome
    topped_out: bool  # a lock out


def place_piece(
    field: Field, state: PieceState, last: LastTurn | None, combo: int, b2b: bool, lines: int
) -> Placement:
    """Judge and apply one piece at ``state``: the part of a lock that needs no sequence.
    ``last`` is the lock's claim about its last turn (None: its last action was a move).

    Raises IllegalLock (collision, floating, unreachable) before computing anything else.
    """
    piece, r, x, y = state.piece, state.r, state.x, state.y
    if not field.fits_at(piece, r, x, y):
        raise IllegalLock("collision", f"{piece} r={r} at ({x}, {y})")
    if field.fits_at(piece, r, x, y + 1):  # it fits, so it rests unless it fits one row down
        raise IllegalLock("floating", f"{piece} at ({x}, {y}) can move down")
    # The expensive check goes last, and only when the cheap proof (a plain drop) fails or a
    # spin claim needs the whole map.
    wants_spin = last is not None and piece is Piece.T
    reach = None
    if wants_spin or not reaches_by_drop(field, state):
        reach = reach_map(field, piece)
        if state not in reach:
            raise IllegalLock("unreachable", f"{piece} r={r} at ({x}, {y})")
    # An unverifiable claim is ignored, never an error (docs/rules.md "Spins").
    honoured = last is not None and wants_spin and reach is not None and verify_last(
        field, state, last, reach)
    spin = detect_spin(field, state, last) if honoured else Spin.NONE
    placed, cleared = field.place(state)
    outcome = score_lock(cleared, spin, combo, b2b, lines, placed.is_empty())
    # docs/rules.md "Top-out": a lock out is every cell above the visible field, before clears.
    return Placement(placed, outcome, y + _LOWEST[piece][r] < 0)


@dataclass
class Board:
    """The state of one player's field; apply_lock is the only way it changes in a match."""

    field: Field = dataclasses.field(default_factory=Field.empty)
    next_index: int = 0  # the next unconsumed sequence index
    hold: tuple[int, Piece] | None = None  # (sequence index, piece) of the held piece
    combo: int = -1
    b2b: bool = False
    lines: int = 0
    score: int = 0
    locks_applied: int = 0
    top_out: TopOut | None = None  # how this board topped out; None while it plays
    fx: int = 0  # id of the last effect applied to the field
    incoming: tuple[Effect, ...] = ()  # effects received, not applied yet: ids fx+1, fx+2, …
    # With `record`, everything that changed this board, in order: ("receive", Effect),
    # ("lock", Lock), ("force", last id); replay() rebuilds the board from it exactly. Off by
    # default: it grows with the match.
    record: bool = dataclasses.field(default=False, repr=False, compare=False)
    history: list[tuple[str, Any]] = dataclasses.field(
        default_factory=list, repr=False, compare=False
    )

    def _note(self, kind: str, item: Any) -> None:
        if self.record:
            self.history.append((kind, item))

    @property
    def topped_out(self) -> bool:
        return self.top_out is not None

    @property
    def last_effect_id(self) -> int:
        return self.fx + len(self.incoming)

    def receive(self, effect: Effect) -> None:
        """Queue an effect; it waits for a lock boundary (or the server's grace period)."""
        if effect.id != self.last_effect_id + 1:
            raise InvalidState(f"effect {effect.id}, expected {self.last_effect_id + 1}")
        self.incoming += (effect,)
        self._note("receive", effect)

    def apply_effects(
        self, through: int, sequence: PieceSequence
    ) -> tuple[tuple[Effect, ...], bool]:
        """Apply the incoming effects up to id ``through`` now; returns (applied, topped out).
        The sequence names the piece in hand, which must still fit at its spawn."""
        field, applied, top_out = self._with_effects(through, sequence)
        self._commit_effects(field, applied, top_out)
        if applied:
            self._note("force", through)
        return applied, top_out is not None

    def _with_effects(
        self, through: int, sequence: PieceSequence
    ) -> tuple[Field, tuple[Effect, ...], TopOut | None]:
        if not self.incoming:  # most locks: nothing waits
            return self.field, (), None
        field, applied = self.field, []
        for effect in self.incoming:
            if effect.id > through:
                break
            result = apply_effect(field, effect)
            field = result.field
            applied.append(effect)
            if result.topped_out:
                return field, tuple(applied), TopOut.GARBAGE
        if applied and not can_spawn(field, self.current_piece(sequence)):
            return field, tuple(applied), TopOut.BLOCK_OUT
        return field, tuple(applied), None

    def _commit_effects(
        self, field: Field, applied: tuple[Effect, ...], top_out: TopOut | None
    ) -> None:
        self.field = field
        self.fx += len(applied)
        self.incoming = self.incoming[len(applied) :]
        self.top_out = self.top_out or top_out

    def current_piece(self, sequence: PieceSequence) -> Piece:
        """The piece in hand: the next unconsumed one of the sequence."""
        return sequence[self.next_index]

    def apply_lock(self, lock: Lock, sequence: PieceSequence) -> LockResult:
        """Check ``lock`` against every rule, then apply it; on IllegalLock nothing changes."""
        if self.topped_out:
            raise InvalidState("this board has topped out; it takes no more locks")
        if lock.n != self.locks_applied:
            raise IllegalLock("out_of_order", f"lock {lock.n}, expected {self.locks_applied}")
        if lock.fx > self.last_effect_id:
            raise IllegalLock("unknown_effect", f"fx {lock.fx}, newest {self.last_effect_id}")
        next_index, held_index, held = self._deduce_hold(lock)
        piece = sequence[lock.index]
        if piece is not lock.piece:
            raise IllegalLock("wrong_piece", f"piece {lock.index} is {piece}, not {lock.piece}")
        # docs/rules.md "Effects and when they apply": the effects the client applied first.
        field, applied, top_out = self._with_effects(lock.fx, sequence)
        if top_out:  # they were due; the lock is moot
            self._commit_effects(field, applied, top_out)
            self._note("lock", lock)
            return LockResult(None, True, held=False, applied=applied)
        placement = place_piece(field, lock.state, lock.last, self.combo, self.b2b, self.lines)
        # Every check passed: only now does the board change.
        outcome = placement.outcome
        if applied:  # the effects before it
            self._commit_effects(field, applied, None)
        self.incoming, sent = cancel_garbage(self.incoming, outcome.attack)
        self.field = placement.field
        self.next_index = next_index
        self.hold = None if held_index is None else (held_index, sequence[held_index])
        self.combo = outcome.combo
        self.b2b = outcome.b2b
        self.lines += outcome.lines
        self.score += outcome.score
        self.locks_applied += 1
        # docs/rules.md "Top-out": a lock out, else a block out of the next piece in hand.
        if placement.topped_out:
            self.top_out = TopOut.LOCK_OUT
        elif not can_spawn(placement.field, sequence[next_index]):
            self.top_out = TopOut.BLOCK_OUT
        self._note("lock", lock)
        return LockResult(outcome, self.topped_out, held, sent, applied)

    def _deduce_hold(self, lock: Lock) -> tuple[int, int | None, bool]:
        """(next index, held index, held?) after ``lock``, per the three cases of the rules."""
        i, nxt = lock.index, self.next_index
        if i == nxt:  # 1. the piece in hand, no hold
            return i + 1, None if self.hold is None else self.hold[0], False
        if self.hold is None and i == nxt + 1:  # 2. `next` held, its successor locked
            return i + 1, nxt, True
        if self.hold is not None and i == self.hold[0]:  # 3. the held piece swapped in
            return nxt + 1, nxt, True
        expected = f"{nxt}" if self.hold is None else f"{nxt} or held {self.hold[0]}"
        if self.hold is None:
            expected += f" or {nxt + 1} (hold)"
        raise IllegalLock("out_of_order", f"piece index {i}, expected {expected}")


def replay(history: list[tuple[str, Any]], sequence: PieceSequence) -> Board:
    """A fresh board with ``history`` played on it: the same events give the same board."""
    board = Board(record=True)
    for kind, item in history:
        if kind == "receive":
            board.receive(item)
        elif kind == "lock":
            board.apply_lock(item, sequence)
        else:
            board.apply_effects(item, sequence)
    return board
