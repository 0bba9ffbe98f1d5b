"""One player's authoritative field in a match, and the judging of the locks they send."""

import dataclasses
from dataclasses import dataclass
from typing import Any

from server.rules.bag import PieceSequence
from server.rules.effects import Effect, apply_effect, cancel_garbage
from server.rules.errors import IllegalLock, InvalidState
from server.rules.field import Field
from server.rules.movement import is_resting, reach_map, reachable_by_rotation, reaches_by_drop
from server.rules.pieces import Piece, PieceState
from server.rules.scoring import LockOutcome, detect_spin, score_lock


@dataclass(frozen=True, slots=True)
class Lock:
    """A lock as the client reports it (docs/rules.md "Locks")."""

    n: int  # the player's lock number, 0, 1, 2, …
    index: int  # sequence index of the piece locked
    piece: Piece
    r: int
    x: int
    y: int
    spin: bool = False  # the claim that the last successful action was a rotation
    fx: int = 0  # id of the last effect the client applied before this lock

    @property
    def state(self) -> PieceState:
        return PieceState(self.piece, self.r, self.x, self.y)


@dataclass(frozen=True, slots=True)
class LockResult:
    outcome: LockOutcome | None  # None: effects due before the lock topped the player out
    topped_out: bool
    held: bool  # this lock implied a hold
    sent: int = 0  # garbage lines the attack sends after cancelling incoming garbage
    applied: tuple[Effect, ...] = ()  # effects applied just before the lock


@dataclass(frozen=True, slots=True)
class Placement:
    """A piece written into a field: the new field, what it earned, and whether it topped out."""

    field: Field
    outcome: LockOutcome
    topped_out: bool


def place_piece(
    field: Field, state: PieceState, spin_claim: bool, combo: int, b2b: bool, lines: int
) -> Placement:
    """Judge and apply one piece at ``state``: the part of a lock that needs no sequence.

    Raises IllegalLock (collision, floating, unreachable) before computing anything else.
    """
    if not field.fits(state):
        raise IllegalLock("collision", f"{state.piece} r={state.r} at ({state.x}, {state.y})")
    if not is_resting(field, state):
        raise IllegalLock("floating", f"{state.piece} at ({state.x}, {state.y}) can move down")
    # The expensive check goes last, and only when the cheap proof (a plain drop) fails or a
    # spin claim needs the whole map.
    wants_spin = spin_claim and state.piece is Piece.T
    reach = None
    if wants_spin or not reaches_by_drop(field, state):
        reach = reach_map(field, state.piece)
        if state not in reach:
            raise IllegalLock(
                "unreachable", f"{state.piece} r={state.r} at ({state.x}, {state.y})"
            )
    # An unverifiable spin claim is ignored, never an error (docs/rules.md "Spins").
    honoured = wants_spin and reach is not None and reachable_by_rotation(field, state, reach)
    spin = detect_spin(field, state, honoured)
    placed, cleared = field.place(state)
    outcome = score_lock(cleared, spin, combo, b2b, lines, placed.is_empty())
    # docs/rules.md "Top-out": blocks left in the hidden rows, or a piece locked above the field.
    above = all(y < 0 for _, y in state.cells())
    return Placement(placed, outcome, placed.hidden_occupied() or above)


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
    topped_out: bool = False
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
    def last_effect_id(self) -> int:
        return self.fx + len(self.incoming)

    def receive(self, effect: Effect) -> None:
        """Queue an effect; it waits for a lock boundary (or the server's grace period)."""
        if effect.id != self.last_effect_id + 1:
            raise InvalidState(f"effect {effect.id}, expected {self.last_effect_id + 1}")
        self.incoming += (effect,)
        self._note("receive", effect)

    def apply_effects(self, through: int) -> tuple[tuple[Effect, ...], bool]:
        """Apply the incoming effects up to id ``through`` now; returns (applied, topped out)."""
        field, applied, topped = self._with_effects(through)
        self._commit_effects(field, applied, topped)
        if applied:
            self._note("force", through)
        return applied, topped

    def _with_effects(self, through: int) -> tuple[Field, tuple[Effect, ...], bool]:
        field, applied = self.field, []
        for effect in self.incoming:
            if effect.id > through:
                break
            result = apply_effect(field, effect)
            field = result.field
            applied.append(effect)
            if result.topped_out:
                return field, tuple(applied), True
        return field, tuple(applied), False

    def _commit_effects(self, field: Field, applied: tuple[Effect, ...], topped: bool) -> None:
        self.field = field
        self.fx += len(applied)
        self.incoming = self.incoming[len(applied) :]
        self.topped_out = self.topped_out or topped

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
        if sequence[lock.index] is not lock.piece:
            raise IllegalLock(
                "wrong_piece", f"piece {lock.index} is {sequence[lock.index]}, not {lock.piece}"
            )
        # docs/rules.md "Effects and when they apply": the effects the client applied first.
        field, applied, topped = self._with_effects(lock.fx)
        if topped:  # they were due; the lock is moot
            self._commit_effects(field, applied, topped)
            self._note("lock", lock)
            return LockResult(None, True, held=False, applied=applied)
        placement = place_piece(field, lock.state, lock.spin, self.combo, self.b2b, self.lines)
        # Every check passed: only now does the board change.
        outcome = placement.outcome
        self._commit_effects(field, applied, False)
        self.incoming, sent = cancel_garbage(self.incoming, outcome.attack)
        self.field = placement.field
        self.next_index = next_index
        self.hold = None if held_index is None else (held_index, sequence[held_index])
        self.combo = outcome.combo
        self.b2b = outcome.b2b
        self.lines += outcome.lines
        self.score += outcome.score
        self.locks_applied += 1
        self.topped_out = placement.topped_out
        self._note("lock", lock)
        return LockResult(outcome, placement.topped_out, held, sent, applied)

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
            board.apply_effects(item)
    return board
