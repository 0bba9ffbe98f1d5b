"""The playfield: 10 columns, 20 visible rows and 4 hidden rows above them (docs/rules.md)."""

from collections.abc import Iterable, Sequence
from typing import Final

from server.rules.pieces import PieceState

WIDTH: Final = 10
HEIGHT: Final = 20  # visible rows, y = 0..19
HIDDEN: Final = 4  # hidden rows, y = -4..-1
EMPTY: Final = "."
CELL_CHARS: Final = frozenset(".IJLOSTZG")

_EMPTY_ROW: Final = EMPTY * WIDTH

# Collision masks, one int per column, bit (y + _Y_BIAS) set when (x, y) is a wall or filled.
# The padding makes every cell a piece box can touch (x = -3..12, y = -8..22) a valid bit, so
# fit tests need no bounds checks: outside the field every bit is set.
_X_BIAS: Final = 3
_Y_BIAS: Final = 8
_MASK_BITS: Final = _Y_BIAS + HEIGHT + 8
_WALL_COLUMN: Final = (1 << _MASK_BITS) - 1
_OUTSIDE_ROWS: Final = _WALL_COLUMN & ~(((1 << (HIDDEN + HEIGHT)) - 1) << (_Y_BIAS - HIDDEN))


class Field:
    """An immutable field value; equal fields hash equal."""

    __slots__ = ("_columns", "_rows")

    def __init__(self, rows: Iterable[str]) -> None:
        # Internal: all 24 rows, top hidden row first. Use empty() / from_rows() from outside.
        self._rows: tuple[str, ...] = tuple(rows)
        if len(self._rows) != HIDDEN + HEIGHT:
            raise ValueError(f"field: expected {HIDDEN + HEIGHT} rows, got {len(self._rows)}")
        self._columns: tuple[int, ...] = _column_masks(self._rows)

    @classmethod
    def empty(cls) -> "Field":
        return _EMPTY_FIELD

    @classmethod
    def from_rows(cls, rows: Sequence[str]) -> "Field":
        """The field whose 20 visible rows are ``rows`` (top first); hidden rows are empty."""
        if isinstance(rows, str) or not isinstance(rows, Sequence):
            raise ValueError("field: expected a list of 20 strings")
        if len(rows) != HEIGHT:
            raise ValueError(f"field: expected {HEIGHT} rows, got {len(rows)}")
        for y, row in enumerate(rows):
            if not isinstance(row, str) or len(row) != WIDTH:
                raise ValueError(f"field row {y}: expected a string of {WIDTH} characters")
            if not CELL_CHARS.issuperset(row):
                bad = sorted(set(row) - CELL_CHARS)
                raise ValueError(f"field row {y}: unexpected characters {''.join(bad)!r}")
        return cls((_EMPTY_ROW,) * HIDDEN + tuple(rows))

    def to_rows(self) -> list[str]:
        """The 20 visible rows, top first (the wire form)."""
        return list(self._rows[HIDDEN:])

    def all_rows(self) -> tuple[str, ...]:
        """All 24 rows, hidden ones first."""
        return self._rows

    def cell(self, x: int, y: int) -> str:
        """The cell at (x, y): '.', a piece letter or 'G'; IndexError outside the field."""
        if not (0 <= x < WIDTH and -HIDDEN <= y < HEIGHT):
            raise IndexError(f"cell ({x}, {y}) is outside the field")
        return self._rows[y + HIDDEN][x]

    def is_wall_or_filled(self, x: int, y: int) -> bool:
        if not (0 <= x < WIDTH and -HIDDEN <= y < HEIGHT):
            return True
        return self._rows[y + HIDDEN][x] != EMPTY

    def fits(self, state: PieceState) -> bool:
        return not any(self.is_wall_or_filled(x, y) for x, y in state.cells())

    def place(self, state: PieceState) -> tuple["Field", int]:
        """Write the piece into its cells, then remove full rows; returns (field, lines cleared)."""
        if not self.fits(state):
            raise ValueError(f"{state} does not fit in the field")
        rows = [list(row) for row in self._rows]
        for x, y in state.cells():
            rows[y + HIDDEN][x] = state.piece.value
        kept, cleared = clear_full_rows(["".join(row) for row in rows])
        return Field(kept), cleared

    def hidden_occupied(self) -> bool:
        return any(row != _EMPTY_ROW for row in self._rows[:HIDDEN])

    def is_empty(self) -> bool:
        return self is _EMPTY_FIELD or all(row == _EMPTY_ROW for row in self._rows)

    def collision_columns(self) -> tuple[int, ...]:
        """Per-column collision masks for x = -3..12 (see _column_masks), for movement.py."""
        return self._columns

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Field):
            return NotImplemented
        return self._rows == other._rows

    def __hash__(self) -> int:
        return hash(self._rows)

    def __repr__(self) -> str:
        return f"Field.from_rows({self.to_rows()!r})"


def clear_full_rows(rows: Sequence[str]) -> tuple[list[str], int]:
    """Every full row removed, hidden ones included; the rows above fall down and empty rows
    enter at the top. Returns (rows, number removed). After locks and after effects alike."""
    kept = [row for row in rows if EMPTY in row]
    cleared = len(rows) - len(kept)
    return [_EMPTY_ROW] * cleared + kept, cleared


# Layout of collision_columns(): index x + X_BIAS, bit y + Y_BIAS (set = wall or filled).
X_BIAS: Final = _X_BIAS
Y_BIAS: Final = _Y_BIAS


def _column_masks(rows: tuple[str, ...]) -> tuple[int, ...]:
    columns = [_WALL_COLUMN] * (WIDTH + 2 * _X_BIAS)
    for x in range(WIDTH):
        mask = _OUTSIDE_ROWS
        for index, row in enumerate(rows):
            if row[x] != EMPTY:
                mask |= 1 << (index - HIDDEN + _Y_BIAS)
        columns[x + _X_BIAS] = mask
    return tuple(columns)


_EMPTY_FIELD: Final = Field((_EMPTY_ROW,) * (HIDDEN + HEIGHT))
