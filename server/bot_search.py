"""The computer opponent's placement search: every resting state the piece can reach (the rules'
reach_map, the same one that judges locks), each scored by how it leaves the field.

Pure, on the rules alone. The evaluation is Yiyuan Lee's (low aggregate height, few holes, a flat
surface, cleared lines: tests/bots.py scores the same four), read from the field's collision bits
so a whole search costs a fraction of a millisecond. The `attack` flag adds what Hard weighs: the
lines a placement sends, T-spins included (a T's last turn is claimed when the rules verify it),
and a well kept open at the right for tetrises while the stack is low.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Final

from server.rules.field import (
    HEIGHT,
    HIDDEN,
    PIECE_MASKS,
    STRIDE,
    WIDTH,
    X_BIAS,
    Y_BIAS,
    Field,
)
from server.rules.movement import LastTurn, ReachMap, claim_for, reach_map
from server.rules.pieces import Piece, PieceState
from server.rules.scoring import Spin, detect_spin, score_lock

_ROW: Final = (1 << WIDTH) - 1
_CELLS: Final = sum(_ROW << (y + Y_BIAS) * STRIDE + X_BIAS for y in range(-HIDDEN, HEIGHT))
_ANY_TURN: Final = LastTurn(1, 0)  # for the 3-corner test alone: which T states could spin

# Yiyuan Lee's weights, and Hard's additions.
HEIGHT_WEIGHT: Final = -0.51
LINES_WEIGHT: Final = 0.76
HOLES_WEIGHT: Final = -0.36
BUMPINESS_WEIGHT: Final = -0.18
ATTACK_WEIGHT: Final = 0.9  # per line sent
WELL_BELOW: Final = 9  # while the stack is lower than this, Hard keeps column 9 for tetrises
WELL_WEIGHT: Final = -0.6  # per cell filled in the well
DANGER_ROWS: Final = 14  # a stack this high costs more per row
DANGER_WEIGHT: Final = -1.5


@dataclass(frozen=True, slots=True)
class Shape:
    """A field's surface: column heights and holes."""

    heights: tuple[int, ...]
    holes: int

    @property
    def top(self) -> int:
        return max(self.heights)


@dataclass(frozen=True, slots=True)
class Candidate:
    value: float
    state: PieceState
    last: LastTurn | None  # the T-spin claim for the lock, when the rules verify one


def shape(field: Field) -> Shape:
    """Column heights (0..40, from the floor) and holes, from the collision bits."""
    cells = field.collision_bits() & _CELLS
    heights = [0] * WIDTH
    if not cells:
        return Shape(tuple(heights), 0)
    first = ((cells & -cells).bit_length() - 1) // STRIDE  # the highest occupied row
    seen = holes = 0
    for row_index in range(first, Y_BIAS + HEIGHT):
        row = cells >> row_index * STRIDE + X_BIAS & _ROW
        new = row & ~seen
        while new:
            bit = new & -new
            heights[bit.bit_length() - 1] = Y_BIAS + HEIGHT - row_index
            new ^= bit
        holes += (seen & ~row).bit_count()
        seen |= row
    return Shape(tuple(heights), holes)


def evaluate(after: Shape, lines: int, attack: int | None) -> float:
    """How good a field is after a lock that cleared `lines`; `attack` (Hard) the lines sent."""
    heights = after.heights
    bumps = [abs(a - b) for a, b in itertools.pairwise(heights)]
    value = (HEIGHT_WEIGHT * sum(heights) + LINES_WEIGHT * lines + HOLES_WEIGHT * after.holes
             + BUMPINESS_WEIGHT * sum(bumps))
    if attack is None:
        return value
    top = after.top
    value += ATTACK_WEIGHT * attack
    if top < WELL_BELOW:
        # The well's own edge is no bump, a filled well is; a clear without attack wastes it.
        value += -BUMPINESS_WEIGHT * bumps[-1] + WELL_WEIGHT * heights[-1]
        if lines and not attack:
            value -= LINES_WEIGHT * lines
    if top > DANGER_ROWS:
        value += DANGER_WEIGHT * (top - DANGER_ROWS)
    return value


def candidates(
    field: Field, piece: Piece, *, attack: bool = False, combo: int = -1, b2b: bool = False,
    lines: int = 0,
) -> list[Candidate]:
    """Every resting state `piece` can reach in `field`, best first (ties: the first found),
    one per set of cells filled; empty when the piece cannot spawn. `attack`: weigh the lines
    sent, from these counters."""
    reach = reach_map(field, piece)
    found = []
    taken = set()  # the cells of placements seen: S, Z, I and O fill the same ones twice
    for r, reached in enumerate(reach.masks):
        # The reached positions are closed under moving down, so a state rests exactly when the
        # one below it was not reached.
        resting = reached & ~(reached >> STRIDE)
        while resting:
            bit = (resting & -resting).bit_length() - 1
            resting &= resting - 1
            cells = PIECE_MASKS[piece][r] << bit
            if cells in taken:
                continue
            taken.add(cells)
            row, column = divmod(bit, STRIDE)
            state = PieceState(piece, r, column - X_BIAS, row - Y_BIAS)
            found.append(_candidate(field, state, reach, attack, combo, b2b, lines))
    found.sort(key=lambda candidate: -candidate.value)
    return found


def _candidate(
    field: Field, state: PieceState, reach: ReachMap, attack: bool, combo: int, b2b: bool,
    lines: int,
) -> Candidate:
    placed, cleared = field.place(state)
    if not attack:
        return Candidate(evaluate(shape(placed), cleared, None), state, None)
    last = None
    if state.piece is Piece.T and detect_spin(field, state, _ANY_TURN) is not Spin.NONE:
        last = claim_for(field, state, reach)
    spin = detect_spin(field, state, last)
    sent = score_lock(cleared, spin, combo, b2b, lines, cleared > 0 and placed.is_empty()).attack
    return Candidate(evaluate(shape(placed), cleared, sent), state, last)
