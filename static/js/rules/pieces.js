// The seven pieces: their cells in every rotation state and the SRS kick tables (rules.md
// "Pieces and rotation"), as server/rules/pieces.py holds them. A piece state is a frozen
// {piece, r, x, y}: rotation r, the bounding box's top-left corner at (x, y).

export const PIECES = Object.freeze(['I', 'J', 'L', 'O', 'S', 'T', 'Z']);
export const SPAWN_X = 3;
export const SPAWN_Y = -2;
export const ROTATIONS = 4;
// rules.md "Rules version": game_start's `rules`; server/rules/__init__.py declares the same.
export const RULES_VERSION = 2;
// A turn: clockwise, counter-clockwise, 180°, as a lock's `last.rot` names it.
export const TURNS = Object.freeze({ cw: 1, ccw: -1, 180: 2 });

// rules.md "Pieces and rotation": bounding box size and the cells of rotation 0 (y down).
const SPAWN_SHAPES = {
  I: { size: 4, cells: [[0, 1], [1, 1], [2, 1], [3, 1]] },
  J: { size: 3, cells: [[0, 0], [0, 1], [1, 1], [2, 1]] },
  L: { size: 3, cells: [[2, 0], [0, 1], [1, 1], [2, 1]] },
  O: { size: 3, cells: [[1, 0], [2, 0], [1, 1], [2, 1]] },
  S: { size: 3, cells: [[1, 0], [2, 0], [0, 1], [1, 1]] },
  T: { size: 3, cells: [[1, 0], [0, 1], [1, 1], [2, 1]] },
  Z: { size: 3, cells: [[0, 0], [1, 0], [1, 1], [2, 1]] },
};

// State r is state 0 turned clockwise r times; a clockwise turn maps (dx, dy) to (n-1-dy, dx).
// O is the exception: it looks the same in every state.
const PIECE_CELLS = Object.freeze(Object.fromEntries(PIECES.map((piece) => {
  const { size, cells } = SPAWN_SHAPES[piece];
  const states = [cells];
  for (let r = 1; r < ROTATIONS; r += 1) {
    const previous = states[r - 1];
    states.push(piece === 'O' ? previous : previous.map(([dx, dy]) => [size - 1 - dy, dx]));
  }
  return [piece, Object.freeze(states.map((s) => Object.freeze(s.map((c) => Object.freeze(c)))))];
})));

// SRS kick tables as on tetris.wiki, y pointing up: a test (kx, ky) moves to (x + kx, y - ky).
const JLSTZ_KICKS = {
  '0>1': [[0, 0], [-1, 0], [-1, 1], [0, -2], [-1, -2]],
  '1>0': [[0, 0], [1, 0], [1, -1], [0, 2], [1, 2]],
  '1>2': [[0, 0], [1, 0], [1, -1], [0, 2], [1, 2]],
  '2>1': [[0, 0], [-1, 0], [-1, 1], [0, -2], [-1, -2]],
  '2>3': [[0, 0], [1, 0], [1, 1], [0, -2], [1, -2]],
  '3>2': [[0, 0], [-1, 0], [-1, -1], [0, 2], [-1, 2]],
  '3>0': [[0, 0], [-1, 0], [-1, -1], [0, 2], [-1, 2]],
  '0>3': [[0, 0], [1, 0], [1, 1], [0, -2], [1, -2]],
};
const I_KICKS = {
  '0>1': [[0, 0], [-2, 0], [1, 0], [-2, -1], [1, 2]],
  '1>0': [[0, 0], [2, 0], [-1, 0], [2, 1], [-1, -2]],
  '1>2': [[0, 0], [-1, 0], [2, 0], [-1, 2], [2, -1]],
  '2>1': [[0, 0], [1, 0], [-2, 0], [1, -2], [-2, 1]],
  '2>3': [[0, 0], [2, 0], [-1, 0], [2, 1], [-1, -2]],
  '3>2': [[0, 0], [-2, 0], [1, 0], [-2, -1], [1, 2]],
  '3>0': [[0, 0], [1, 0], [-2, 0], [1, -2], [-2, 1]],
  '0>3': [[0, 0], [-1, 0], [2, 0], [-1, 2], [2, -1]],
};
// rules.md "180° turns": TETR.IO's SRS+ table for J L S T Z, y up as above; I and O do not kick.
const KICKS_180 = {
  '0>2': [[0, 0], [0, 1], [1, 1], [-1, 1], [1, 0], [-1, 0]],
  '2>0': [[0, 0], [0, -1], [-1, -1], [1, -1], [-1, 0], [1, 0]],
  '1>3': [[0, 0], [1, 0], [1, 2], [1, 1], [0, 2], [0, 1]],
  '3>1': [[0, 0], [-1, 0], [-1, 2], [-1, 1], [0, 2], [0, 1]],
};
const O_KICKS = [[0, 0]];

export function checkPiece(piece, where) {
  if (!PIECES.includes(piece)) {
    throw new TypeError(`${where}.piece: expected one of ${PIECES.join(' ')}, got ${piece}`);
  }
}

export function checkState(state, where = 'state') {
  if (state === null || typeof state !== 'object') {
    throw new TypeError(`${where}: expected an object {piece, r, x, y}`);
  }
  checkPiece(state.piece, where);
  if (![0, 1, 2, 3].includes(state.r)) {
    throw new TypeError(`${where}.r: expected 0, 1, 2 or 3, got ${state.r}`);
  }
  for (const key of ['x', 'y']) {
    if (!Number.isSafeInteger(state[key])) {
      throw new TypeError(`${where}.${key}: expected an integer, got ${state[key]}`);
    }
  }
}

// A piece state as the rules hand it out (unchecked: callers check what came from outside).
export function pieceState(piece, r, x, y) {
  return Object.freeze({ piece, r, x, y });
}

/** The occupied (dx, dy) of the piece's box in rotation state r. */
export function pieceCells(piece, r) {
  checkState({ piece, r, x: 0, y: 0 }, 'pieceCells');
  return PIECE_CELLS[piece][r];
}

/** The tests of a turn from state `from` to `to` (90° or 180°), in the order tried (y up). */
export function kickTests(piece, from, to) {
  const turn = `${from}>${to}`;
  if (piece === 'O' || (piece === 'I' && turn in KICKS_180)) return O_KICKS;
  return (piece === 'I' ? I_KICKS : JLSTZ_KICKS)[turn] ?? KICKS_180[turn];
}
