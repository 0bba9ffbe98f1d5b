"""Spins, score and attack of one lock (docs/rules.md "Spins", "Scoring", "Attack")."""

import enum
import functools
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from server.rules.field import Field, box_mask
from server.rules.movement import LastTurn
from server.rules.pieces import Piece, PieceState


class Spin(enum.StrEnum):
    NONE = "none"
    MINI = "mini"
    TSPIN = "tspin"


# Corners of the T's 3×3 box, and the two on the side it points to, per rotation state, as
# box masks (field.box_mask).
_CORNERS: Final = box_mask(((0, 0), (2, 0), (0, 2), (2, 2)))
_FRONT_CORNERS: Final = tuple(  # indexed by r
    box_mask(corners)
    for corners in (((0, 0), (2, 0)), ((2, 0), (2, 2)), ((0, 2), (2, 2)), ((0, 0), (0, 2)))
)

# Guideline base score per (spin, lines), multiplied by the level.
SCORE_TABLE: Final = MappingProxyType({
    (Spin.NONE, 0): 0, (Spin.NONE, 1): 100, (Spin.NONE, 2): 300, (Spin.NONE, 3): 500,
    (Spin.NONE, 4): 800,
    (Spin.MINI, 0): 100, (Spin.MINI, 1): 200, (Spin.MINI, 2): 400,
    (Spin.TSPIN, 0): 400, (Spin.TSPIN, 1): 800, (Spin.TSPIN, 2): 1200, (Spin.TSPIN, 3): 1600,
})  # fmt: skip

# Lines sent per (spin, lines) before the back-to-back, combo and perfect-clear bonuses.
ATTACK_TABLE: Final = MappingProxyType({
    (Spin.NONE, 0): 0, (Spin.NONE, 1): 0, (Spin.NONE, 2): 1, (Spin.NONE, 3): 2,
    (Spin.NONE, 4): 4,
    (Spin.MINI, 0): 0, (Spin.MINI, 1): 0, (Spin.MINI, 2): 1,
    (Spin.TSPIN, 0): 0, (Spin.TSPIN, 1): 2, (Spin.TSPIN, 2): 4, (Spin.TSPIN, 3): 6,
})  # fmt: skip

COMBO_ATTACK: Final = (0, 0, 1, 1, 1, 2, 2, 3, 3, 4)  # indexed by min(combo, 9)
PERFECT_CLEAR_SCORE: Final = MappingProxyType({1: 800, 2: 1200, 3: 1800, 4: 2000})  # × level
PERFECT_CLEAR_ATTACK: Final = 10
B2B_ATTACK: Final = 1
COMBO_SCORE: Final = 50  # × combo × level
MAX_LEVEL_LINES: Final = 140
# tetris.wiki T-Spin: a T whose last turn kicked it by the 1×2 offset (a 90° turn's test 5, the
# TST and Fin kicks) makes a full T-spin whatever its front corners.
FULL_SPIN_KICK: Final = 4


def level_for(lines_before: int) -> int:
    """1..15: one level per 10 lines, capped at 140 lines."""
    return 1 + min(lines_before, MAX_LEVEL_LINES) // 10


def detect_spin(field_before_place: Field, state: PieceState, last: LastTurn | None) -> Spin:
    """The 3-corner rule on the field before the piece is written; ``last`` is the lock's last
    turn, already verified (None: the last action was no turn).

    Full when both front corners are taken or the turn was a 90° one by test 5; else mini. The
    lines cleared play no part (docs/rules.md "Spins").
    """
    if state.piece is not Piece.T or last is None:
        return Spin.NONE
    blocked = field_before_place.blocked(state.x, state.y, _CORNERS)
    if blocked.bit_count() < 3:
        return Spin.NONE
    front = _FRONT_CORNERS[state.r]
    if blocked & front == front or (last.direction != 2 and last.kick == FULL_SPIN_KICK):
        return Spin.TSPIN
    return Spin.MINI


@dataclass(frozen=True, slots=True)
class LockOutcome:
    lines: int  # lines cleared by this lock
    spin: Spin
    score: int  # points this lock earned
    attack: int  # lines this lock sends
    combo: int  # the combo counter after this lock
    b2b: bool  # the back-to-back flag after this lock
    perfect_clear: bool


def score_lock(
    lines: int,
    spin: Spin,
    combo_before: int,
    b2b_before: bool,
    lines_before: int,
    perfect_clear: bool,
) -> LockOutcome:
    """Score and attack of a lock clearing ``lines`` with ``spin`` (as detect_spin found it)."""
    base = SCORE_TABLE.get((spin, lines))
    if base is None:
        raise ValueError(f"no score for {lines} lines with spin {spin!s}")
    if perfect_clear and lines == 0:
        raise ValueError("a perfect clear clears at least one line")
    if combo_before < -1 or lines_before < 0:
        raise ValueError(f"bad counters: combo {combo_before}, lines {lines_before}")
    level = level_for(lines_before)
    if lines == 0:
        return _no_clear(spin, base * level, b2b_before)
    difficult = lines == 4 or spin is not Spin.NONE
    back_to_back = difficult and b2b_before
    combo = combo_before + 1
    if back_to_back:
        base = base * 3 // 2
    score = base * level
    attack = ATTACK_TABLE[(spin, lines)] + COMBO_ATTACK[min(combo, 9)]
    if back_to_back:
        attack += B2B_ATTACK
    if combo >= 1:
        score += COMBO_SCORE * combo * level
    if perfect_clear:
        score += PERFECT_CLEAR_SCORE[lines] * level
        attack += PERFECT_CLEAR_ATTACK
    return LockOutcome(lines, spin, score, attack, combo, difficult, perfect_clear)


@functools.cache
def _no_clear(spin: Spin, score: int, b2b_before: bool) -> LockOutcome:
    # Most locks clear nothing, and those few dozen outcomes are values: build each once.
    return LockOutcome(0, spin, score, 0, -1, b2b_before, False)
