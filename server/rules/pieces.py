"""The seven pieces: their cells in every rotation state and the SRS kick tables (docs/rules.md)."""

import enum
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, TypeAlias

Cell: TypeAlias = tuple[int, int]


class Piece(enum.StrEnum):
    I = "I"  # noqa: E741 - the piece is called I
    J = "J"
    L = "L"
    O = "O"  # noqa: E741 - the piece is called O
    S = "S"
    T = "T"
    Z = "Z"


SPAWN_X: Final = 3
SPAWN_Y: Final = -2
ROTATIONS: Final = 4
DIRECTIONS: Final = (1, -1, 2)  # a turn: clockwise, counter-clockwise, 180°
TURNS: Final = MappingProxyType({"cw": 1, "ccw": -1, "180": 2})  # a lock's `last.rot` names

BOX_SIZE: Final = MappingProxyType({piece: 4 if piece is Piece.I else 3 for piece in Piece})

# docs/rules.md "Pieces and rotation": cells of rotation state 0 as (dx, dy), y down.
_SPAWN_CELLS: Final[dict[Piece, tuple[Cell, ...]]] = {
    Piece.I: ((0, 1), (1, 1), (2, 1), (3, 1)),
    Piece.J: ((0, 0), (0, 1), (1, 1), (2, 1)),
    Piece.L: ((2, 0), (0, 1), (1, 1), (2, 1)),
    Piece.O: ((1, 0), (2, 0), (1, 1), (2, 1)),
    Piece.S: ((1, 0), (2, 0), (0, 1), (1, 1)),
    Piece.T: ((1, 0), (0, 1), (1, 1), (2, 1)),
    Piece.Z: ((0, 0), (1, 0), (1, 1), (2, 1)),
}


def _turn_clockwise(cells: tuple[Cell, ...], size: int) -> tuple[Cell, ...]:
    # (dx, dy) -> (n - 1 - dy, dx), sorted so equal shapes compare equal.
    return tuple(sorted((size - 1 - dy, dx) for dx, dy in cells))


def _rotation_table() -> dict[Piece, tuple[tuple[Cell, ...], ...]]:
    table = {}
    for piece, cells in _SPAWN_CELLS.items():
        states = [tuple(sorted(cells))]
        for _ in range(ROTATIONS - 1):
            # O is the same in every state (docs/rules.md).
            if piece is Piece.O:
                states.append(states[-1])
            else:
                states.append(_turn_clockwise(states[-1], BOX_SIZE[piece]))
        table[piece] = tuple(states)
    return table


CELLS: Final = MappingProxyType(_rotation_table())
"""CELLS[piece][r]: the occupied (dx, dy) of the box in rotation state r."""

KickTable: TypeAlias = dict[tuple[int, int], tuple[Cell, ...]]

# SRS kick tables as printed on tetris.wiki, y pointing UP: (from, to) -> tests in order.
_WIKI_KICKS_JLSTZ: Final[KickTable] = {
    (0, 1): ((0, 0), (-1, 0), (-1, +1), (0, -2), (-1, -2)),
    (1, 0): ((0, 0), (+1, 0), (+1, -1), (0, +2), (+1, +2)),
    (1, 2): ((0, 0), (+1, 0), (+1, -1), (0, +2), (+1, +2)),
    (2, 1): ((0, 0), (-1, 0), (-1, +1), (0, -2), (-1, -2)),
    (2, 3): ((0, 0), (+1, 0), (+1, +1), (0, -2), (+1, -2)),
    (3, 2): ((0, 0), (-1, 0), (-1, -1), (0, +2), (-1, +2)),
    (3, 0): ((0, 0), (-1, 0), (-1, -1), (0, +2), (-1, +2)),
    (0, 3): ((0, 0), (+1, 0), (+1, +1), (0, -2), (+1, -2)),
}
_WIKI_KICKS_I: Final[KickTable] = {
    (0, 1): ((0, 0), (-2, 0), (+1, 0), (-2, -1), (+1, +2)),
    (1, 0): ((0, 0), (+2, 0), (-1, 0), (+2, +1), (-1, -2)),
    (1, 2): ((0, 0), (-1, 0), (+2, 0), (-1, +2), (+2, -1)),
    (2, 1): ((0, 0), (+1, 0), (-2, 0), (+1, -2), (-2, +1)),
    (2, 3): ((0, 0), (+2, 0), (-1, 0), (+2, +1), (-1, -2)),
    (3, 2): ((0, 0), (-2, 0), (+1, 0), (-2, -1), (+1, +2)),
    (3, 0): ((0, 0), (+1, 0), (-2, 0), (+1, -2), (-2, +1)),
    (0, 3): ((0, 0), (-1, 0), (+2, 0), (-1, +2), (+2, -1)),
}


def _y_down(table: KickTable) -> KickTable:
    # docs/rules.md: a wiki test (kx, ky) moves the piece to (x + kx, y - ky) in y-down coordinates.
    return {turn: tuple((kx, -ky) for kx, ky in tests) for turn, tests in table.items()}


# 180° turns: TETR.IO's SRS+ table for J L S T Z, y pointing UP as above (docs/rules.md "180°
# turns"). TETR.IO gives I no 180° kick but (0, 0); O never kicks.
_KICKS_180_JLSTZ: Final[KickTable] = {
    (0, 2): ((0, 0), (0, +1), (+1, +1), (-1, +1), (+1, 0), (-1, 0)),
    (2, 0): ((0, 0), (0, -1), (-1, -1), (+1, -1), (-1, 0), (+1, 0)),
    (1, 3): ((0, 0), (+1, 0), (+1, +2), (+1, +1), (0, +2), (0, +1)),
    (3, 1): ((0, 0), (-1, 0), (-1, +2), (-1, +1), (0, +2), (0, +1)),
}
_NO_KICKS_180: Final[KickTable] = {turn: ((0, 0),) for turn in _KICKS_180_JLSTZ}
_O_KICKS: Final = {turn: ((0, 0),) for turn in (*_WIKI_KICKS_JLSTZ, *_KICKS_180_JLSTZ)}


def _kick_table() -> dict[Piece, MappingProxyType[tuple[int, int], tuple[Cell, ...]]]:
    jlstz = MappingProxyType(_y_down(_WIKI_KICKS_JLSTZ | _KICKS_180_JLSTZ))
    table = {piece: jlstz for piece in Piece}
    table[Piece.I] = MappingProxyType(_y_down(_WIKI_KICKS_I | _NO_KICKS_180))
    table[Piece.O] = MappingProxyType(_O_KICKS)
    return table


KICKS: Final = MappingProxyType(_kick_table())
"""KICKS[piece][(r_from, r_to)]: the (dx, dy) tests of a turn (90° or 180°), y down, in the
order tried."""


@dataclass(frozen=True, slots=True)
class PieceState:
    """A piece at rotation ``r`` with its bounding box's top-left corner at ``(x, y)``."""

    piece: Piece
    r: int
    x: int
    y: int

    def __post_init__(self) -> None:
        if not isinstance(self.piece, Piece):
            raise ValueError(f"piece: expected a Piece, got {self.piece!r}")
        if type(self.r) is not int or not 0 <= self.r < ROTATIONS:
            raise ValueError(f"r: expected 0..3, got {self.r!r}")

    def cells(self) -> tuple[Cell, ...]:
        """The absolute (x, y) cells the piece occupies."""
        return tuple((self.x + dx, self.y + dy) for dx, dy in CELLS[self.piece][self.r])

    def to_json(self) -> dict[str, object]:
        return {"piece": str(self.piece), "r": self.r, "x": self.x, "y": self.y}
