"""The endless, seeded 7-bag piece sequence both players of a match draw from."""

from server.rules.pieces import Piece
from server.rules.rng import Mulberry32

_BAG: tuple[Piece, ...] = tuple(Piece)  # I J L O S T Z, the order shuffling starts from


class PieceSequence:
    """``sequence[i]`` is the i-th piece; bags are drawn lazily, only as far as indexed."""

    __slots__ = ("_pieces", "_rng", "seed")

    def __init__(self, seed: int) -> None:
        self._rng = Mulberry32(seed)
        self.seed = seed
        self._pieces: list[Piece] = []

    def __getitem__(self, index: int) -> Piece:
        if type(index) is int and 0 <= index < len(self._pieces):  # drawn already: most calls
            return self._pieces[index]
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"sequence index: expected an integer, got {type(index).__name__}")
        if index < 0:
            raise IndexError(f"sequence index: expected >= 0, got {index}")
        while index >= len(self._pieces):
            self._pieces.extend(self._draw_bag())
        return self._pieces[index]

    def preview(self, start: int, count: int) -> list[Piece]:
        """The ``count`` pieces from index ``start`` on."""
        if count < 0:
            raise ValueError(f"count: expected >= 0, got {count}")
        if count:
            self[start + count - 1]  # draws the bags up to the last one asked for
        return self._pieces[start:start + count]

    @property
    def drawn(self) -> int:
        """How many pieces have been drawn so far (the sequence itself never ends)."""
        return len(self._pieces)

    def _draw_bag(self) -> list[Piece]:
        # Fisher–Yates from the last position down (docs/rules.md).
        bag = list(_BAG)
        for i in range(len(bag) - 1, 0, -1):
            j = self._rng.below(i + 1)
            bag[i], bag[j] = bag[j], bag[i]
        return bag
