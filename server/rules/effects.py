"""Effects: what changes a field besides the player's own locks (docs/rules.md "Battle").

Each effect is a pure function of a field and the parameters it carries. The server draws those
parameters from the match's seeded randomness and sends them, so the browser's engine computes
the same field from the same effect.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Final

from server.rules.field import EMPTY, HEIGHT, HIDDEN, WIDTH, Field, settled
from server.rules.rng import Mulberry32


class EffectKind(enum.StrEnum):
    GARBAGE = "garbage"
    ADD_LINE = "add_line"
    CLEAR_LINE = "clear_line"
    NUKE = "nuke"
    GRAVITY = "gravity"
    QUAKE = "quake"
    SWITCH = "switch"


GARBAGE_CELL: Final = "G"
MAX_POWERS: Final = 6  # inventory size
SWITCH_CLEAR_ROWS: Final = 6  # a switched-in field keeps its top 6 visible rows empty

# docs/rules.md "Powers": the weighted table, in this order (cumulative against below(100)).
POWER_WEIGHTS: Final = MappingProxyType({
    EffectKind.ADD_LINE: 30, EffectKind.CLEAR_LINE: 22, EffectKind.QUAKE: 16,
    EffectKind.GRAVITY: 14, EffectKind.SWITCH: 9, EffectKind.NUKE: 9,
})  # fmt: skip
POWERS: Final = frozenset(POWER_WEIGHTS)
assert sum(POWER_WEIGHTS.values()) == 100

# The powers that act on the user's own field; add_line and quake hit the opponent, switch both.
HELPS_USER: Final = frozenset({EffectKind.CLEAR_LINE, EffectKind.NUKE, EffectKind.GRAVITY})

# Quake: how far a row moves, by below(100) (Tetrinet: ≥1 cell about half the time, 3 rarely).
_QUAKE_STEPS: Final = ((50, 0), (80, 1), (95, 2), (100, 3))


@dataclass(frozen=True, slots=True)
class Effect:
    id: int  # 1, 2, 3, … per target player
    kind: EffectKind
    source: str  # the name of the player who caused it
    lines: int = 0  # garbage
    hole: int = 0  # garbage, add_line
    shifts: tuple[int, ...] = ()  # quake: per visible row, + right / - left
    rows: tuple[str, ...] = ()  # switch: the new field's bottom rows

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"id": self.id, "kind": str(self.kind), "from": self.source}
        if self.kind is EffectKind.GARBAGE:
            wire["lines"] = self.lines
        if self.kind in (EffectKind.GARBAGE, EffectKind.ADD_LINE):
            wire["hole"] = self.hole
        if self.kind is EffectKind.QUAKE:
            wire["shifts"] = list(self.shifts)
        if self.kind is EffectKind.SWITCH:
            wire["rows"] = list(self.rows)
        return wire

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> Effect:
        """For vectors and tests; clients never send effects."""
        return cls(
            id=wire["id"],
            kind=EffectKind(wire["kind"]),
            source=wire["from"],
            lines=wire.get("lines", 0),
            hole=wire.get("hole", 0),
            shifts=tuple(wire.get("shifts", ())),
            rows=tuple(wire.get("rows", ())),
        )


@dataclass(frozen=True, slots=True)
class EffectResult:
    field: Field
    topped_out: bool  # a garbage out: a block pushed past the top of the 40-row buffer


def apply_effect(field: Field, effect: Effect) -> EffectResult:
    """The field after ``effect``, full rows removed afterwards (no score, no attack)."""
    rows = list(field.all_rows())  # 40 rows, hidden first
    overflow = False
    match effect.kind:
        case EffectKind.GARBAGE | EffectKind.ADD_LINE:
            count = min(effect.lines if effect.kind is EffectKind.GARBAGE else 1, len(rows))
            garbage = GARBAGE_CELL * effect.hole + EMPTY + GARBAGE_CELL * (WIDTH - effect.hole - 1)
            overflow = any(row != EMPTY * WIDTH for row in rows[:count])
            rows = rows[count:] + [garbage] * count
        case EffectKind.CLEAR_LINE:
            rows = [EMPTY * WIDTH, *rows[:-1]]
        case EffectKind.NUKE:
            rows = [EMPTY * WIDTH] * (HIDDEN + HEIGHT)
        case EffectKind.GRAVITY:
            rows = _compacted(rows)
        case EffectKind.QUAKE:
            visible = [_rotate_row(row, shift) for row, shift in zip(rows[HIDDEN:], effect.shifts,
                                                                     strict=True)]
            rows = rows[:HIDDEN] + visible
        case EffectKind.SWITCH:
            rows = [EMPTY * WIDTH] * (HIDDEN + HEIGHT - len(effect.rows)) + list(effect.rows)
    result, _cleared = settled(rows)
    return EffectResult(result, overflow)


def _rotate_row(row: str, shift: int) -> str:
    shift %= WIDTH
    return row[-shift:] + row[:-shift] if shift else row


def _compacted(rows: list[str]) -> list[str]:
    columns = []
    for x in range(WIDTH):
        blocks = [row[x] for row in rows if row[x] != EMPTY]
        columns.append([EMPTY] * (len(rows) - len(blocks)) + blocks)
    return ["".join(column[y] for column in columns) for y in range(len(rows))]


# -- parameters drawn from the match's randomness -------------------------------------------


def draw_hole(rng: Mulberry32) -> int:
    return rng.below(WIDTH)


def draw_quake_shifts(rng: Mulberry32) -> tuple[int, ...]:
    shifts = []
    for _ in range(HEIGHT):
        roll = rng.below(100)
        distance = next(cells for bound, cells in _QUAKE_STEPS if roll < bound)
        shifts.append(distance if rng.below(2) else -distance)
    return tuple(shifts)


def draw_power(rng: Mulberry32) -> EffectKind:
    roll = rng.below(100)
    for power, weight in POWER_WEIGHTS.items():
        if roll < weight:
            return power
        roll -= weight
    raise AssertionError("the weights add up to 100")


def switch_rows(field: Field) -> tuple[str, ...]:
    """``field`` moved down until its hidden rows and its top SWITCH_CLEAR_ROWS visible rows are
    empty, without its empty top rows (bottom-aligned, as the `switch` effect carries it)."""
    rows = field.all_rows()
    top = next((k for k, row in enumerate(rows) if row != EMPTY * WIDTH), len(rows))
    drop = max(0, HIDDEN + SWITCH_CLEAR_ROWS - top)  # the rows that fall off the bottom
    return tuple(rows[top : len(rows) - drop])


# -- garbage cancelling ----------------------------------------------------------------------


def cancel_garbage(pending: Sequence[Effect], attack: int) -> tuple[tuple[Effect, ...], int]:
    """Spend ``attack`` on pending garbage, oldest first; returns (pending after, attack left).

    An effect cancelled to 0 lines stays in the list so the ids after it keep their places.
    """
    if attack <= 0 or not pending:  # most locks: nothing to spend, or nothing to spend it on
        return tuple(pending), attack
    after = []
    for effect in pending:
        if attack > 0 and effect.kind is EffectKind.GARBAGE and effect.lines > 0:
            spent = min(attack, effect.lines)
            attack -= spent
            effect = replace(effect, lines=effect.lines - spent)
        after.append(effect)
    return tuple(after), attack
