"""The playfield: 10 columns, 20 visible rows and 20 hidden rows above them, a 40-row buffer
(docs/rules.md "Coordinates and the field")."""

from collections.abc import Iterable, Sequence
from types import MappingProxyType
from typing import Final

from server.rules.pieces import CELLS, Cell, Piece, PieceState

WIDTH: Final = 10
HEIGHT: Final = 20  # visible rows, y = 0..19
HIDDEN: Final = 20  # hidden rows, y = -20..-1
EMPTY: Final = "."
CELL_CHARS: Final = frozenset(".IJLOSTZG")

_EMPTY_ROW: Final = EMPTY * WIDTH

# Collision bits: one int per field, bit (y + Y_BIAS) * STRIDE + x + X_BIAS set when (x, y) is
# a wall or filled. Each row has 3 wall bits on either side and the board runs from y = -24 to
# 22, so a piece box at any position (x = -3..9, y = -24..19) is a shift of the piece's mask that
# touches only valid bits: fit tests, moves and line checks need no bounds checks or loops.
STRIDE: Final = 16
X_BIAS: Final = 3
Y_BIAS: Final = HIDDEN + 4
_BOARD_ROWS: Final = Y_BIAS + HEIGHT + 3
_FIELD_TOP: Final = (Y_BIAS - HIDDEN) * STRIDE  # the first bit of row y = -20
_FIELD_END: Final = (Y_BIAS + HEIGHT) * STRIDE  # the first bit of row y = 20
_ROW_BITS: Final = (1 << STRIDE) - 1
_WIDTH_BITS: Final = (1 << WIDTH) - 1
_ROW_CELLS: Final = _WIDTH_BITS << X_BIAS
_OUTSIDE_ROWS: Final = ((1 << _FIELD_TOP) - 1) | ((1 << _BOARD_ROWS * STRIDE) - (1 << _FIELD_END))
_EMPTY_BITS: Final = _OUTSIDE_ROWS | sum(
    (_ROW_BITS & ~_ROW_CELLS) << bit for bit in range(_FIELD_TOP, _FIELD_END, STRIDE)
)
_HIDDEN_CELLS: Final = sum(
    _ROW_CELLS << bit for bit in range(_FIELD_TOP, _FIELD_TOP + HIDDEN * STRIDE, STRIDE)
)
_COLUMN_BITS: Final = Y_BIAS + HEIGHT + 8  # collision_columns() reaches y = 27
_ROW_STARTS: Final = sum(1 << bit for bit in range(_FIELD_TOP, _FIELD_END, STRIDE))
_OCCUPIED: Final = str.maketrans(EMPTY + "IJLOSTZG", "0" + "1" * 8)
_SIDE_WALLS: Final = "1" * X_BIAS


def box_mask(cells: Iterable[Cell]) -> int:
    """The mask of box cells (dx, dy), bit dy * STRIDE + dx, as Field.blocked takes it."""
    return sum(1 << dy * STRIDE + dx for dx, dy in cells)


# PIECE_MASKS[piece][r]: the cells of the piece's box in rotation state r, as a box_mask.
PIECE_MASKS: Final = MappingProxyType(
    {piece: tuple(box_mask(cells) for cells in CELLS[piece]) for piece in Piece}
)


def _row_runs(piece: Piece, cells: Iterable[Cell]) -> tuple[tuple[int, int, str], ...]:
    # The cells as (dy, first dx, letters) runs of neighbours in a row, ready to write.
    runs: list[list[int]] = []
    for dx, dy in sorted(cells, key=lambda cell: (cell[1], cell[0])):
        if runs and runs[-1][0] == dy and runs[-1][1] + runs[-1][2] == dx:
            runs[-1][2] += 1
        else:
            runs.append([dy, dx, 1])
    return tuple((dy, dx, piece.value * count) for dy, dx, count in runs)


_RUNS: Final = {piece: tuple(_row_runs(piece, cells) for cells in CELLS[piece]) for piece in Piece}


class Field:
    """An immutable field value; equal fields hash equal."""

    __slots__ = ("_bits", "_rows")

    def __init__(self, rows: Iterable[str]) -> None:
        # Internal: all 40 rows, top hidden row first. Use empty() / from_rows() from outside.
        self._rows: tuple[str, ...] = tuple(rows)
        if len(self._rows) != HIDDEN + HEIGHT:
            raise ValueError(f"field: expected {HIDDEN + HEIGHT} rows, got {len(self._rows)}")
        self._bits: int = _bits_of(self._rows)

    @classmethod
    def empty(cls) -> "Field":
        return _EMPTY_FIELD

    @classmethod
    def from_rows(cls, rows: Sequence[str], hidden: Sequence[str] = ()) -> "Field":
        """The field whose 20 visible rows are ``rows`` (top first) and whose lowest hidden rows
        are ``hidden`` (top first, the last one row -1); the hidden rows above are empty."""
        _check_rows(rows, HEIGHT, HEIGHT, 0)
        _check_rows(hidden, 0, HIDDEN, -len(hidden))
        return cls((_EMPTY_ROW,) * (HIDDEN - len(hidden)) + tuple(hidden) + tuple(rows))

    def to_rows(self) -> list[str]:
        """The 20 visible rows, top first (the wire form)."""
        return list(self._rows[HIDDEN:])

    def all_rows(self) -> tuple[str, ...]:
        """All 40 rows, hidden ones first."""
        return self._rows

    def cell(self, x: int, y: int) -> str:
        """The cell at (x, y): '.', a piece letter or 'G'; IndexError outside the field."""
        if not (0 <= x < WIDTH and -HIDDEN <= y < HEIGHT):
            raise IndexError(f"cell ({x}, {y}) is outside the field")
        return self._rows[y + HIDDEN][x]

    def is_wall_or_filled(self, x: int, y: int) -> bool:
        if not (0 <= x < WIDTH and -HIDDEN <= y < HEIGHT):
            return True
        return bool(self._bits >> (y + Y_BIAS) * STRIDE + x + X_BIAS & 1)

    def blocked(self, x: int, y: int, mask: int) -> int:
        """The cells of ``mask`` (a box_mask of a box at (x, y)) that are wall or filled."""
        if not (-X_BIAS <= x < WIDTH and -Y_BIAS <= y < HEIGHT):
            return mask  # every cell of such a box is outside the field
        return self._bits >> (y + Y_BIAS) * STRIDE + x + X_BIAS & mask

    def fits_at(self, piece: Piece, r: int, x: int, y: int) -> bool:
        """fits() without building a PieceState: no cell of the piece is wall or filled."""
        return not self.blocked(x, y, PIECE_MASKS[piece][r])

    def fits(self, state: PieceState) -> bool:
        return not self.blocked(state.x, state.y, PIECE_MASKS[state.piece][state.r])

    def place(self, state: PieceState) -> tuple["Field", int]:
        """Write the piece into its cells, then remove full rows; returns (field, lines cleared)."""
        piece, r, x, y = state.piece, state.r, state.x, state.y
        mask = PIECE_MASKS[piece][r]
        if self.blocked(x, y, mask):
            raise ValueError(f"{state} does not fit in the field")
        rows = list(self._rows)
        for dy, dx, letters in _RUNS[piece][r]:
            row, start = rows[y + dy + HIDDEN], x + dx
            rows[y + dy + HIDDEN] = row[:start] + letters + row[start + len(letters) :]
        return _settle(rows, self._bits | mask << (y + Y_BIAS) * STRIDE + x + X_BIAS)

    def hidden_occupied(self) -> bool:
        """Any block in the hidden rows (allowed: docs/rules.md "Top-out")."""
        return bool(self._bits & _HIDDEN_CELLS)

    def hidden_hex(self) -> str:
        """The occupied hidden rows for the wire: from the highest one holding a block down to
        row -1, 3 hex digits per row (bit x = column x); "" when they are empty."""
        hidden = (self._bits & _HIDDEN_CELLS) >> _FIELD_TOP
        if not hidden:
            return ""
        rows = [hidden >> row * STRIDE + X_BIAS & _WIDTH_BITS for row in range(HIDDEN)]
        top = next(row for row, bits in enumerate(rows) if bits)
        return "".join(f"{bits:03x}" for bits in rows[top:])

    def is_empty(self) -> bool:
        return self._bits == _EMPTY_BITS

    def collision_bits(self) -> int:
        """The collision bits (see STRIDE, X_BIAS, Y_BIAS above), for movement.py."""
        return self._bits

    def collision_columns(self) -> tuple[int, ...]:
        """Per-column collision masks for x = -3..12, bit y + Y_BIAS for y = -8..27 (set: wall
        or filled). Derived on each call; movement.py works on collision_bits() instead."""
        columns = []
        for column in range(WIDTH + 2 * X_BIAS):
            mask = ((1 << _COLUMN_BITS) - 1) & ~((1 << _BOARD_ROWS) - 1)  # rows past the board
            for row in range(_BOARD_ROWS):
                mask |= (self._bits >> row * STRIDE + column & 1) << row
            columns.append(mask)
        return tuple(columns)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Field):
            return NotImplemented
        return self._bits == other._bits and self._rows == other._rows

    def __hash__(self) -> int:
        return hash(self._rows)

    def __repr__(self) -> str:
        return f"Field.from_rows({self.to_rows()!r})"


def settled(rows: Sequence[str]) -> tuple[Field, int]:
    """The field of these 40 rows (hidden first) with every full row removed, hidden ones
    included; the rows above fall down and empty rows enter at the top. Returns (field, number
    removed). After locks and after effects alike."""
    return _settle(list(rows), _bits_of(rows))


def _settle(rows: list[str], bits: int) -> tuple[Field, int]:
    # A row is full when all STRIDE bits are set (its walls always are): fold each row onto its
    # first bit. Full rows go top first, so the rows below a removed one keep their places.
    full = bits & bits >> 1
    full &= full >> 2
    full &= full >> 4
    full &= full >> 8
    full &= _ROW_STARTS
    cleared = 0
    while full:
        start = (full & -full).bit_length() - 1
        full &= full - 1
        above = bits & (1 << start) - (1 << _FIELD_TOP)
        bits = bits >> start + STRIDE << start + STRIDE | above << STRIDE | _EMPTY_BITS
        del rows[start // STRIDE - Y_BIAS + HIDDEN]
        rows.insert(0, _EMPTY_ROW)
        cleared += 1
    field = object.__new__(Field)
    field._rows, field._bits = tuple(rows), bits
    return field, cleared


def _check_rows(rows: Sequence[str], least: int, most: int, first_y: int) -> None:
    # Bad input gets a clear error: a list of least..most rows of WIDTH cell characters.
    expected = f"{most}" if least == most else f"at most {most}"
    if isinstance(rows, str) or not isinstance(rows, Sequence):
        raise ValueError(f"field: expected a list of {expected} strings")
    if not least <= len(rows) <= most:
        raise ValueError(f"field: expected {expected} rows, got {len(rows)}")
    for y, row in enumerate(rows, first_y):
        if not isinstance(row, str) or len(row) != WIDTH:
            raise ValueError(f"field row {y}: expected a string of {WIDTH} characters")
        if not CELL_CHARS.issuperset(row):
            bad = sorted(set(row) - CELL_CHARS)
            raise ValueError(f"field row {y}: unexpected characters {''.join(bad)!r}")


def _bits_of(rows: Sequence[str]) -> int:
    # int(text, 2) makes the last character bit 0, so the text runs bottom row first and right
    # to left: reversing the rows joined by their wall bits does both at once.
    walls = _SIDE_WALLS * 2
    text = (_SIDE_WALLS + walls.join(rows) + _SIDE_WALLS).translate(_OCCUPIED)[::-1]
    return int(text, 2) << _FIELD_TOP | _OUTSIDE_ROWS


_EMPTY_FIELD: Final = Field((_EMPTY_ROW,) * (HIDDEN + HEIGHT))
