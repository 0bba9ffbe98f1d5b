"""Moving and turning a piece (SRS), and which states a piece can reach from its spawn.

Everything here works on the field's collision bits (field.py: bit (y + Y_BIAS) * STRIDE +
x + X_BIAS per cell). A fit test is one shift and one AND of the piece's mask. ``reachable``
runs for every lock the server judges that a plain drop does not explain, so it searches all
positions at once: per rotation ``r`` one int with bit (y + Y_BIAS) * STRIDE + x + X_BIAS set
for the positions (x, y) where the piece fits, and one for those reached; moves and kicks are
shifts of those ints. A whole field takes a few hundred big-int operations.
"""

from collections.abc import Container, Iterator
from dataclasses import dataclass
from typing import Final

from server.rules.field import HEIGHT, PIECE_MASKS, STRIDE, WIDTH, X_BIAS, Y_BIAS, Field
from server.rules.pieces import (
    CELLS,
    DIRECTIONS,
    KICKS,
    ROTATIONS,
    SPAWN_X,
    SPAWN_Y,
    TURNS,
    Cell,
    Piece,
    PieceState,
)

# The positions a box can take (x = -3..9, y = -8..19): bits 0..12 of each of the first rows.
_POSITIONS: Final = sum(((1 << X_BIAS + WIDTH) - 1) << row * STRIDE
                        for row in range(Y_BIAS + HEIGHT))
# One position bit per row from a position down past the floor: a column of a fit mask.
_COLUMN: Final = sum(1 << row * STRIDE for row in range(Y_BIAS + HEIGHT + 1))
_TURNS: Final = {0: (), 1: (1,), 2: (1, 1), 3: (-1,)}  # from the spawn rotation to r


def _position(x: int, y: int) -> int:
    return (y + Y_BIAS) * STRIDE + x + X_BIAS


@dataclass(frozen=True, slots=True)
class LastTurn:
    """A lock's claim about its last action: a turn in ``direction`` (1 clockwise, -1
    counter-clockwise, 2 180°) placed by its 0-based kick test ``kick`` (docs/rules.md "Spins")."""

    direction: int
    kick: int

    def to_json(self) -> dict[str, object]:
        """The wire form, {"rot": "cw" | "ccw" | "180", "kick": k} (docs/protocol.md)."""
        rot = next(name for name, direction in TURNS.items() if direction == self.direction)
        return {"rot": rot, "kick": self.kick}


def spawn(piece: Piece) -> PieceState:
    return PieceState(piece, 0, SPAWN_X, SPAWN_Y)


def can_spawn(field: Field, piece: Piece) -> bool:
    """False is a block out: the piece overlaps a block at its spawn (docs/rules.md "Top-out")."""
    return field.fits_at(piece, 0, SPAWN_X, SPAWN_Y)


def move(field: Field, state: PieceState, dx: int, dy: int) -> PieceState | None:
    """The state moved by (dx, dy), or None if it does not fit there."""
    x, y = state.x + dx, state.y + dy
    if not field.fits_at(state.piece, state.r, x, y):
        return None
    return PieceState(state.piece, state.r, x, y)


def _kick(
    field: Field, piece: Piece, r: int, x: int, y: int, direction: int
) -> tuple[int, int, int, int] | None:
    # (r, x, y, test) after an SRS turn: the first kick test that fits.
    if direction not in DIRECTIONS:
        raise ValueError(f"direction: expected 1, -1 or 2, got {direction!r}")
    turned = (r + direction) % ROTATIONS
    for test, (kx, ky) in enumerate(KICKS[piece][(r, turned)]):
        if field.fits_at(piece, turned, x + kx, y + ky):
            return turned, x + kx, y + ky, test
    return None


def rotation_kick(field: Field, state: PieceState, direction: int) -> tuple[PieceState, int] | None:
    """The turned state and the 0-based SRS test that placed it, or None if the turn fails."""
    kicked = _kick(field, state.piece, state.r, state.x, state.y, direction)
    if kicked is None:
        return None
    r, x, y, test = kicked
    return PieceState(state.piece, r, x, y), test


def rotate(field: Field, state: PieceState, direction: int) -> PieceState | None:
    """Turn clockwise (1), counter-clockwise (-1) or by 180° (2) with its kicks; None if no test
    fits."""
    kicked = rotation_kick(field, state, direction)
    return None if kicked is None else kicked[0]


def _drop_y(field: Field, piece: Piece, r: int, x: int, y: int) -> int:
    # The y a piece at (r, x, y) falls to: down while the next row fits.
    if not field.fits_at(piece, r, x, y + 1):
        return y
    return _fall(field.collision_bits(), PIECE_MASKS[piece][r] << _position(x, y + 1), y + 1)


def _fall(bits: int, mask: int, y: int) -> int:
    # The y a piece that fits at y (``mask``: its cells there) falls to. Each of its cells is
    # above the floor's wall rows, which stop it before any cell leaves the board.
    while not (mask := mask << STRIDE) & bits:
        y += 1
    return y


def drop(field: Field, state: PieceState) -> PieceState:
    """The state moved straight down as far as it fits."""
    return PieceState(state.piece, state.r, state.x,
                      _drop_y(field, state.piece, state.r, state.x, state.y))


def is_resting(field: Field, state: PieceState) -> bool:
    """True when the piece fits and cannot move down."""
    piece, r, x, y = state.piece, state.r, state.x, state.y
    return field.fits_at(piece, r, x, y) and not field.fits_at(piece, r, x, y + 1)


@dataclass(frozen=True, slots=True)
class ReachMap(Container[PieceState]):
    """The states of one piece reachable from its spawn, as position bits per rotation."""

    piece: Piece
    masks: tuple[int, ...]  # masks[r]: bit (y + Y_BIAS) * STRIDE + x + X_BIAS

    def __contains__(self, state: object) -> bool:
        if not isinstance(state, PieceState) or state.piece is not self.piece:
            return False
        if not (-X_BIAS <= state.x < WIDTH and -Y_BIAS <= state.y < HEIGHT):
            return False
        return bool(self.masks[state.r] >> _position(state.x, state.y) & 1)

    def __iter__(self) -> Iterator[PieceState]:
        for r, mask in enumerate(self.masks):
            while mask:
                row, column = divmod((mask & -mask).bit_length() - 1, STRIDE)
                mask &= mask - 1
                yield PieceState(self.piece, r, column - X_BIAS, row - Y_BIAS)

    def __bool__(self) -> bool:
        return any(self.masks)


def reach_map(field: Field, piece: Piece) -> ReachMap:
    """Every state reachable from the spawn by left/right/down moves and turns (90° and 180°)."""
    fit = _fit_masks(field, piece)
    reached = [0] * ROTATIONS
    spawn_bit = 1 << _position(SPAWN_X, SPAWN_Y)
    if not fit[0] & spawn_bit:
        return ReachMap(piece, tuple(reached))  # cannot spawn: nothing is reachable
    kicks = KICKS[piece]
    # todo[r]: positions found in rotation r whose moves and turns are not followed yet. Taking
    # the rotations in turn gathers many kicks into one spread.
    todo = [spawn_bit, 0, 0, 0]
    while any(todo):
        for r in range(ROTATIONS):
            if not todo[r]:
                continue
            # Everything reached before is already closed under moves, so spreading the new
            # bits alone finds everything new.
            new = _spread(todo[r], fit[r]) & ~reached[r]
            todo[r] = 0
            if not new:
                continue
            reached[r] |= new
            for direction in DIRECTIONS:
                turned = (r + direction) % ROTATIONS
                remaining = new
                for kx, ky in kicks[(r, turned)]:
                    offset = ky * STRIDE + kx
                    # Source bits whose test lands on a fitting state; SRS takes the first such
                    # test. The fit masks have no bits in the 3 columns past x = 9, so a kick of
                    # up to 2 columns never wraps into the next row.
                    lands = remaining & _shift(fit[turned], -offset)
                    if lands:
                        todo[turned] |= _shift(lands, offset) & ~reached[turned]
                        remaining &= ~lands
                        if not remaining:
                            break
    return ReachMap(piece, tuple(reached))


def reaches_by_drop(field: Field, state: PieceState) -> bool:
    """True when ``state`` is where the piece lands turned at its spawn, slid sideways at that
    height and dropped straight down: the path of most locks, checked in a few fit tests. A
    False says nothing (tucks and spins need reach_map); a True is a proof of reachability."""
    piece, r, x, y = state.piece, 0, SPAWN_X, SPAWN_Y
    if not field.fits_at(piece, r, x, y):
        return False
    for direction in _TURNS[state.r]:
        kicked = _kick(field, piece, r, x, y, direction)
        if kicked is None:
            return False
        r, x, y, _test = kicked
    if not (-X_BIAS <= state.x < WIDTH and y <= state.y < HEIGHT):
        return False
    # One fit mask decides the rest at once: every position from x to state.x at this height
    # fits, and in column state.x the first one that does not is the row below state.y.
    fit = _fit_mask(field.collision_bits(), CELLS[piece][r])
    left, right = min(x, state.x), max(x, state.x)
    slide = (1 << right - left + 1) - 1
    if fit >> _position(left, y) & slide != slide:
        return False
    stops = ~fit >> _position(state.x, y) & _COLUMN  # the floor's rows have no fit bits
    return stops & -stops == 1 << (state.y - y + 1) * STRIDE


def claim_for(field: Field, state: PieceState, reach: Container[PieceState]) -> LastTurn | None:
    """The first turn (cw, ccw, 180, each test in order) verify_last accepts as the last action
    into ``state``, or None: for tests and bots, which know the state but not the path."""
    for direction in DIRECTIONS:
        tests = KICKS[state.piece][((state.r - direction) % ROTATIONS, state.r)]
        for kick in range(len(tests)):
            last = LastTurn(direction, kick)
            if verify_last(field, state, last, reach):
                return last
    return None


def reachable(field: Field, piece: Piece) -> frozenset[PieceState]:
    """Every reachable state (empty when the spawn does not fit); see reach_map for speed."""
    return frozenset(reach_map(field, piece))


def verify_last(
    field: Field, state: PieceState, last: LastTurn, reach: Container[PieceState]
) -> bool:
    """True when turn ``last`` takes a reachable state to ``state`` by exactly its test
    ``last.kick`` (every earlier test blocked): the claim can be the lock's last action."""
    if last.direction not in DIRECTIONS:
        return False
    source_r = (state.r - last.direction) % ROTATIONS
    tests = KICKS[state.piece][(source_r, state.r)]
    if not 0 <= last.kick < len(tests):
        return False
    kx, ky = tests[last.kick]
    source = PieceState(state.piece, source_r, state.x - kx, state.y - ky)
    return source in reach and rotation_kick(field, source, last.direction) == (state, last.kick)


def _fit_masks(field: Field, piece: Piece) -> list[int]:
    # fit[r]: where the piece fits in rotation r.
    bits = field.collision_bits()
    return [_fit_mask(bits, cells) for cells in CELLS[piece]]


def _fit_mask(bits: int, cells: tuple[Cell, ...]) -> int:
    # The bit of (x, y) set when a piece of these box cells fits there: a position is blocked
    # when any of its cells' bits is, so shift the board under each cell and OR.
    blocked = 0
    for dx, dy in cells:
        blocked |= bits >> dy * STRIDE + dx
    return ~blocked & _POSITIONS


def _spread(start: int, free: int) -> int:
    # Every position reached from ``start`` by moves left, right and down through ``free``:
    # Kogge–Stone fills in each direction (5 steps cover a fall of 31 rows, 4 the 13 columns),
    # repeated until nothing new turns up. Rows cannot leak into each other: ``free`` has no
    # bits in the 3 columns between them.
    reached = start
    while True:
        gen, pro = reached, free
        gen |= pro & gen << STRIDE
        pro &= pro << STRIDE
        gen |= pro & gen << 2 * STRIDE
        pro &= pro << 2 * STRIDE
        gen |= pro & gen << 4 * STRIDE
        pro &= pro << 4 * STRIDE
        gen |= pro & gen << 8 * STRIDE
        pro &= pro << 8 * STRIDE
        gen |= pro & gen << 16 * STRIDE
        pro = free  # right
        gen |= pro & gen << 1
        pro &= pro << 1
        gen |= pro & gen << 2
        pro &= pro << 2
        gen |= pro & gen << 4
        pro &= pro << 4
        gen |= pro & gen << 8
        pro = free  # left
        gen |= pro & gen >> 1
        pro &= pro >> 1
        gen |= pro & gen >> 2
        pro &= pro >> 2
        gen |= pro & gen >> 4
        pro &= pro >> 4
        gen |= pro & gen >> 8
        if gen == reached:
            return reached
        reached = gen


def _shift(mask: int, offset: int) -> int:
    # Move position bits by ``offset`` bits (down and right when positive).
    return mask << offset if offset >= 0 else mask >> -offset
