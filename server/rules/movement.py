"""Moving and turning a piece (SRS), and which states a piece can reach from its spawn.

``reachable`` runs for every lock the server judges, so it searches all rows of a column at once:
for each rotation ``r`` and column ``x`` it keeps a bitmask over ``y`` (bit ``y + Y_BIAS``) of the
states that fit and of those reached, and moves are shifts of those masks. A whole field takes a
few dozen big-int operations per (r, x) instead of one fit test per state.
"""

from collections.abc import Container, Iterator
from dataclasses import dataclass
from typing import Final

from server.rules.field import HEIGHT, WIDTH, X_BIAS, Y_BIAS, Field
from server.rules.pieces import CELLS, KICKS, ROTATIONS, SPAWN_X, SPAWN_Y, Piece, PieceState

_XS: Final = range(-X_BIAS, WIDTH)  # every x at which some cell of a box can be inside the field
_FIT_RANGE: Final = (1 << (Y_BIAS + HEIGHT)) - 1  # bits of y = -Y_BIAS..19
_DIRECTIONS: Final = (1, -1)


def spawn(piece: Piece) -> PieceState:
    return PieceState(piece, 0, SPAWN_X, SPAWN_Y)


def _fits(columns: tuple[int, ...], piece: Piece, r: int, x: int, y: int) -> bool:
    if not (-X_BIAS <= x < WIDTH and -Y_BIAS <= y < HEIGHT):
        return False  # every cell of the box would be outside the field
    bit = y + Y_BIAS
    return not any(columns[x + dx + X_BIAS] >> (bit + dy) & 1 for dx, dy in CELLS[piece][r])


def move(field: Field, state: PieceState, dx: int, dy: int) -> PieceState | None:
    """The state moved by (dx, dy), or None if it does not fit there."""
    x, y = state.x + dx, state.y + dy
    if not _fits(field.collision_columns(), state.piece, state.r, x, y):
        return None
    return PieceState(state.piece, state.r, x, y)


def rotation_kick(field: Field, state: PieceState, direction: int) -> tuple[PieceState, int] | None:
    """The turned state and the 0-based SRS test that placed it, or None if the turn fails."""
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction: expected +1 or -1, got {direction!r}")
    r = (state.r + direction) % ROTATIONS
    columns = field.collision_columns()
    for test, (kx, ky) in enumerate(KICKS[state.piece][(state.r, r)]):
        if _fits(columns, state.piece, r, state.x + kx, state.y + ky):
            return PieceState(state.piece, r, state.x + kx, state.y + ky), test
    return None


def rotate(field: Field, state: PieceState, direction: int) -> PieceState | None:
    """Turn clockwise (+1) or counter-clockwise (-1) with SRS kicks; None if no test fits."""
    kicked = rotation_kick(field, state, direction)
    return None if kicked is None else kicked[0]


def drop(field: Field, state: PieceState) -> PieceState:
    """The state moved straight down as far as it fits."""
    columns = field.collision_columns()
    y = state.y
    while _fits(columns, state.piece, state.r, state.x, y + 1):
        y += 1
    return PieceState(state.piece, state.r, state.x, y)


def is_resting(field: Field, state: PieceState) -> bool:
    """True when the piece fits and cannot move down."""
    return field.fits(state) and move(field, state, 0, 1) is None


@dataclass(frozen=True, slots=True)
class ReachMap(Container[PieceState]):
    """The states of one piece reachable from its spawn, as y-bitmasks per (r, x)."""

    piece: Piece
    masks: tuple[int, ...]  # index r * len(_XS) + x + X_BIAS; bit y + Y_BIAS

    def __contains__(self, state: object) -> bool:
        if not isinstance(state, PieceState) or state.piece is not self.piece:
            return False
        if not (-X_BIAS <= state.x < WIDTH and -Y_BIAS <= state.y < HEIGHT):
            return False
        mask = self.masks[state.r * len(_XS) + state.x + X_BIAS]
        return bool(mask >> (state.y + Y_BIAS) & 1)

    def __iter__(self) -> Iterator[PieceState]:
        for index, mask in enumerate(self.masks):
            r, column = divmod(index, len(_XS))
            y = 0
            while mask >> y:
                if mask >> y & 1:
                    yield PieceState(self.piece, r, column - X_BIAS, y - Y_BIAS)
                y += 1

    def __bool__(self) -> bool:
        return any(self.masks)


def reach_map(field: Field, piece: Piece) -> ReachMap:
    """Every state reachable from the spawn by left/right/down moves and SRS turns."""
    fit = _fit_masks(field, piece)
    width = len(_XS)
    reached = [0] * (ROTATIONS * width)
    start = SPAWN_X + X_BIAS
    spawn_bit = 1 << (SPAWN_Y + Y_BIAS)
    if not fit[start] & spawn_bit:
        return ReachMap(piece, tuple(reached))  # cannot spawn: nothing is reachable
    kicks = KICKS[piece]
    pending: list[tuple[int, int]] = []

    def add(index: int, bits: int) -> None:
        # Keep the new bits that fit, then let them fall as far as the column allows.
        free = fit[index]
        new = bits & free & ~reached[index]
        if new:
            new = _fill_down(new, free) & ~reached[index]
            reached[index] |= new
            pending.append((index, new))

    add(start, spawn_bit)
    while pending:
        index, bits = pending.pop()
        r, column = divmod(index, width)
        if column > 0:
            add(index - 1, bits)
        if column < width - 1:
            add(index + 1, bits)
        for direction in _DIRECTIONS:
            turned = (r + direction) % ROTATIONS
            remaining = bits
            for kx, ky in kicks[(r, turned)]:
                target_column = column + kx
                if not 0 <= target_column < width:
                    continue
                target = turned * width + target_column
                # Source bits whose test lands on a fitting state; SRS takes the first such test.
                lands = _shift(fit[target], -ky) & remaining
                if lands:
                    add(target, _shift(lands, ky))
                    remaining &= ~lands
                    if not remaining:
                        break
    return ReachMap(piece, tuple(reached))


def reaches_by_drop(field: Field, state: PieceState) -> bool:
    """True when ``state`` is where the piece lands turned at its spawn, slid sideways at that
    height and dropped straight down: the path of most locks, checked in a few fit tests. A
    False says nothing (tucks and spins need reach_map); a True is a proof of reachability."""
    current: PieceState | None = spawn(state.piece)
    if not field.fits(current):
        return False
    turns = {0: (), 1: (1,), 2: (1, 1), 3: (-1,)}[state.r]
    for direction in turns:
        current = rotate(field, current, direction)
        if current is None:
            return False
    step = 1 if state.x > current.x else -1
    while current.x != state.x:
        current = move(field, current, step, 0)
        if current is None:
            return False
    return drop(field, current) == state


def reachable(field: Field, piece: Piece) -> frozenset[PieceState]:
    """Every reachable state (empty when the spawn does not fit); see reach_map for speed."""
    return frozenset(reach_map(field, piece))


def reachable_by_rotation(
    field: Field, state: PieceState, reachable_set: Container[PieceState]
) -> bool:
    """True when some reachable state turns into ``state`` (a turn can be the last action)."""
    for direction in _DIRECTIONS:
        source_r = (state.r - direction) % ROTATIONS
        for kx, ky in KICKS[state.piece][(source_r, state.r)]:
            source = PieceState(state.piece, source_r, state.x - kx, state.y - ky)
            if source in reachable_set and rotate(field, source, direction) == state:
                return True
    return False


def _fit_masks(field: Field, piece: Piece) -> list[int]:
    # fit[r * len(_XS) + x + X_BIAS] has bit y + Y_BIAS set when the piece fits at (r, x, y).
    columns = field.collision_columns()
    masks = []
    for r in range(ROTATIONS):
        cells = CELLS[piece][r]
        for x in _XS:
            blocked = 0
            for dx, dy in cells:
                blocked |= columns[x + dx + X_BIAS] >> dy
            masks.append(~blocked & _FIT_RANGE)
    return masks


def _fill_down(start: int, free: int) -> int:
    # Kogge–Stone fill towards higher bits (down the field) through ``free``; 28 bits need 5 steps.
    gen, pro = start, free
    gen |= pro & (gen << 1)
    pro &= pro << 1
    gen |= pro & (gen << 2)
    pro &= pro << 2
    gen |= pro & (gen << 4)
    pro &= pro << 4
    gen |= pro & (gen << 8)
    pro &= pro << 8
    gen |= pro & (gen << 16)
    return gen


def _shift(mask: int, dy: int) -> int:
    # Move a y-bitmask by dy rows (down when positive).
    return (mask << dy if dy >= 0 else mask >> -dy) & _FIT_RANGE
