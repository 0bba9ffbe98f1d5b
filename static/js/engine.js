// Block Attack's rules for the browser: the same rules as server/ (docs/rules.md), pure and
// immutable, so the client can predict its own locks exactly as the server will score them.
// The shared vectors in tests/vectors/ keep the two in agreement; where they differ, server/ wins.
// The battle effects, and applyLock (a lock with the effects around it), are in effects.js.

export const WIDTH = 10;
export const HEIGHT = 20;
export const HIDDEN = 4;
export const PIECES = Object.freeze(['I', 'J', 'L', 'O', 'S', 'T', 'Z']);

export const EMPTY = '.';
const WALL = '#';
const CELL_LETTERS = new Set([EMPTY, ...PIECES, 'G']);
const EMPTY_ROW = EMPTY.repeat(WIDTH);
const SPAWN_X = 3;
const SPAWN_Y = -2;

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
  for (let r = 1; r < 4; r += 1) {
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
const O_KICKS = [[0, 0]];

// rules.md "Scoring": base points by spin and lines cleared (missing entries cannot happen:
// a mini T-spin clearing 2+ lines is a full T-spin, and a T cannot clear 4 lines).
const BASE_SCORE = {
  none: [0, 100, 300, 500, 800],
  mini: [100, 200],
  tspin: [400, 800, 1200, 1600],
};
const COMBO_SCORE = 50;
const PERFECT_CLEAR_SCORE = [0, 800, 1200, 1800, 2000];
const MAX_LEVEL_LINES = 140;
const LINES_PER_LEVEL = 10;

// rules.md "Attack": lines sent by spin and lines cleared, and the bonuses on top.
const ATTACK = {
  none: [0, 0, 1, 2, 4],
  mini: [0, 0],
  tspin: [0, 2, 4, 6],
};
const BACK_TO_BACK_ATTACK = 1;
const COMBO_ATTACK = [0, 0, 1, 1, 1, 2, 2, 3, 3, 4];
const PERFECT_CLEAR_ATTACK = 10;

// rules.md "Spins": the corners of the T's 3x3 box, and the two on the side it points to.
const T_CORNERS = [[0, 0], [2, 0], [0, 2], [2, 2]];
const T_FRONT_CORNERS = [
  [[0, 0], [2, 0]],
  [[2, 0], [2, 2]],
  [[0, 2], [2, 2]],
  [[0, 0], [0, 2]],
];

const FIELD_KEY = Symbol('Field');

function checkPiece(piece, where) {
  if (!PIECES.includes(piece)) {
    throw new TypeError(`${where}.piece: expected one of ${PIECES.join(' ')}, got ${piece}`);
  }
}

function checkState(state, where = 'state') {
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

function freezeState(piece, r, x, y) {
  return Object.freeze({ piece, r, x, y });
}

export function pieceCells(piece, r) {
  checkState({ piece, r, x: 0, y: 0 }, 'pieceCells');
  return PIECE_CELLS[piece][r];
}

export function spawnState(piece) {
  checkPiece(piece, 'spawnState');
  return freezeState(piece, 0, SPAWN_X, SPAWN_Y);
}

// A row as the field holds it: a string of WIDTH cell letters (also what a switch effect carries).
export function checkRow(row, where) {
  if (typeof row !== 'string' || row.length !== WIDTH) {
    throw new TypeError(`${where}: expected a string of ${WIDTH} characters`);
  }
  const bad = [...row].find((cell) => !CELL_LETTERS.has(cell));
  if (bad !== undefined) throw new TypeError(`${where}: unexpected cell ${JSON.stringify(bad)}`);
}

export class Field {
  // 4 hidden rows then 20 visible ones, top first, each a string of WIDTH cell letters.
  #rows;

  constructor(key, rows) {
    if (key !== FIELD_KEY) throw new TypeError('use Field.empty() or Field.fromRows(rows)');
    this.#rows = Object.freeze(rows);
    Object.freeze(this);
  }

  static empty() {
    return new Field(FIELD_KEY, Array(HIDDEN + HEIGHT).fill(EMPTY_ROW));
  }

  static fromRows(rows) {
    if (!Array.isArray(rows) || rows.length !== HEIGHT) {
      throw new TypeError(`rows: expected an array of ${HEIGHT} strings`);
    }
    rows.forEach((row, y) => checkRow(row, `rows[${y}]`));
    return new Field(FIELD_KEY, [...Array(HIDDEN).fill(EMPTY_ROW), ...rows]);
  }

  // All 24 rows, hidden ones first, as allRows() gives them: what an effect writes back.
  static fromAllRows(rows) {
    if (!Array.isArray(rows) || rows.length !== HIDDEN + HEIGHT) {
      throw new TypeError(`rows: expected an array of ${HIDDEN + HEIGHT} strings`);
    }
    rows.forEach((row, y) => checkRow(row, `rows[${y}]`));
    return new Field(FIELD_KEY, [...rows]);
  }

  toRows() {
    return this.#rows.slice(HIDDEN);
  }

  get(x, y) {
    if (!(x >= 0 && x < WIDTH && y >= -HIDDEN && y < HEIGHT)) return WALL;
    return this.#rows[y + HIDDEN][x] ?? WALL; // a fractional x or y is no cell either
  }

  fits(state) {
    checkState(state);
    return pieceCells(state.piece, state.r)
      .every(([dx, dy]) => this.get(state.x + dx, state.y + dy) === EMPTY);
  }

  // The field with the piece's letter written into its cells (no rows cleared yet).
  place(state) {
    if (!this.fits(state)) throw new RangeError('place: the piece does not fit');
    const rows = this.#rows.map((row) => [...row]);
    for (const [dx, dy] of pieceCells(state.piece, state.r)) {
      rows[state.y + dy + HIDDEN][state.x + dx] = state.piece;
    }
    return new Field(FIELD_KEY, rows.map((row) => row.join('')));
  }

  // rules.md "Locks": full rows go, rows above fall, empty rows enter at the top.
  clearFullRows() {
    const kept = this.#rows.filter((row) => row.includes(EMPTY));
    const cleared = this.#rows.length - kept.length;
    const field = new Field(FIELD_KEY, [...Array(cleared).fill(EMPTY_ROW), ...kept]);
    return { field, cleared };
  }

  isEmpty() {
    return this.#rows.every((row) => row === EMPTY_ROW);
  }

  hasHiddenBlocks() {
    return this.#rows.slice(0, HIDDEN).some((row) => row !== EMPTY_ROW);
  }

  // All 24 rows, hidden ones first (what an effect rewrites).
  allRows() {
    return [...this.#rows];
  }
}

export function move(field, state, dx, dy) {
  if (!Number.isSafeInteger(dx) || !Number.isSafeInteger(dy)) {
    throw new TypeError(`move: expected integer offsets, got ${dx}, ${dy}`);
  }
  checkState(state);
  const moved = freezeState(state.piece, state.r, state.x + dx, state.y + dy);
  return field.fits(moved) ? moved : null;
}

function kickTests(piece, from, to) {
  const turn = `${from}>${to}`;
  return { I: I_KICKS[turn], O: O_KICKS }[piece] ?? JLSTZ_KICKS[turn];
}

export function rotate(field, state, dir) {
  if (dir !== 1 && dir !== -1) throw new TypeError(`rotate: dir must be 1 or -1, got ${dir}`);
  checkState(state);
  const to = (state.r + dir + 4) % 4;
  for (const [kx, ky] of kickTests(state.piece, state.r, to)) {
    const turned = freezeState(state.piece, to, state.x + kx, state.y - ky);
    if (field.fits(turned)) return turned;
  }
  return null;
}

export function drop(field, state) {
  if (!field.fits(state)) throw new RangeError('drop: the piece does not fit where it is');
  let current = freezeState(state.piece, state.r, state.x, state.y);
  for (let below = move(field, current, 0, 1); below; below = move(field, current, 0, 1)) {
    current = below;
  }
  return current;
}

// rules.md "The piece sequence": mulberry32 over u32, so Python and JS draw the same numbers.
export function createRng(seed) {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xFFFFFFFF) {
    throw new RangeError(`seed: expected an integer in [0, 2^32), got ${seed}`);
  }
  let state = seed;
  const nextU32 = () => {
    state = (state + 0x6D2B79F5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61); // ^ reduces the sum mod 2^32
    return (t ^ (t >>> 14)) >>> 0;
  };
  const below = (n) => {
    if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 32) {
      throw new RangeError(`below: expected an integer in [1, 2^32], got ${n}`);
    }
    // (u32 * n) >>> 32, exact: a double holds the product only while it stays under 2^53.
    return Number((BigInt(nextU32()) * BigInt(n)) >> 32n);
  };
  return Object.freeze({ nextU32, below });
}

export function bagSequence(seed, count) {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count: expected a non-negative integer, got ${count}`);
  }
  const rng = createRng(seed);
  const sequence = [];
  while (sequence.length < count) {
    // Fisher–Yates from the last position down.
    const bag = [...PIECES];
    for (let i = bag.length - 1; i >= 1; i -= 1) {
      const j = rng.below(i + 1);
      [bag[i], bag[j]] = [bag[j], bag[i]];
    }
    sequence.push(...bag);
  }
  return sequence.slice(0, count);
}

function occupied(field, state, [dx, dy]) {
  return field.get(state.x + dx, state.y + dy) !== EMPTY;
}

function stateKey(state) {
  return `${state.r},${state.x},${state.y}`;
}

// Every state of the piece reachable from its spawn by moves (left, right, down) and turns,
// as stateKey()s; empty when the spawn does not fit. The server searches the same way.
function reachableStates(field, piece) {
  const start = spawnState(piece);
  const reached = new Set();
  if (!field.fits(start)) return reached;
  const pending = [start];
  reached.add(stateKey(start));
  while (pending.length > 0) {
    const state = pending.pop();
    for (const next of [
      move(field, state, -1, 0), move(field, state, 1, 0), move(field, state, 0, 1),
      rotate(field, state, 1), rotate(field, state, -1),
    ]) {
      if (next !== null && !reached.has(stateKey(next))) {
        reached.add(stateKey(next));
        pending.push(next);
      }
    }
  }
  return reached;
}

// rules.md "Spins": the server honours a claim only if some reachable state turns into `state`.
function reachableByRotation(field, state) {
  const reached = reachableStates(field, state.piece);
  return [1, -1].some((dir) => {
    const from = (state.r - dir + 4) % 4;
    return kickTests(state.piece, from, state.r).some(([kx, ky]) => {
      // Undo the kick: the turn moved the piece by (kx, -ky).
      const source = freezeState(state.piece, from, state.x - kx, state.y + ky);
      if (!reached.has(stateKey(source))) return false;
      const turned = rotate(field, source, dir);
      return turned !== null && stateKey(turned) === stateKey(state);
    });
  });
}

// The spin the server finds for a lock at `state` with this claim. The field is the one the
// piece locks into (before its letter is written); the claim is checked as the server does.
export function detectSpin(field, state, spinClaim) {
  if (typeof spinClaim !== 'boolean') throw new TypeError('spin: expected true or false');
  checkState(state);
  if (state.piece !== 'T' || !spinClaim) return 'none';
  const corners = T_CORNERS.filter((corner) => occupied(field, state, corner)).length;
  if (corners < 3) return 'none';
  if (!field.fits(state)) throw new RangeError('detectSpin: the piece does not fit (collision)');
  if (!reachableByRotation(field, state)) return 'none'; // an unverifiable claim is ignored
  if (T_FRONT_CORNERS[state.r].every((corner) => occupied(field, state, corner))) return 'tspin';
  return field.place(state).clearFullRows().cleared >= 2 ? 'tspin' : 'mini';
}

// A board: {field, combo, b2b, lines, score}; effects.js checks the rest (fx, incoming).
export function checkBoard(board) {
  if (board === null || typeof board !== 'object' || !(board.field instanceof Field)) {
    throw new TypeError('board.field: expected a Field');
  }
  if (!Number.isSafeInteger(board.combo) || board.combo < -1) {
    throw new TypeError(`board.combo: expected an integer >= -1, got ${board.combo}`);
  }
  if (typeof board.b2b !== 'boolean') throw new TypeError('board.b2b: expected true or false');
  for (const key of ['lines', 'score']) {
    if (!Number.isSafeInteger(board[key]) || board[key] < 0) {
      throw new TypeError(`board.${key}: expected a non-negative integer, got ${board[key]}`);
    }
  }
}

// A lock as the client sends it: a piece state and whether the last move was a turn.
export function checkLock(lock) {
  checkState(lock, 'lock');
  if (typeof lock.spin !== 'boolean') throw new TypeError('lock.spin: expected true or false');
}

function lockScore(board, spin, cleared, perfectClear, backToBack, combo) {
  const level = 1 + Math.floor(Math.min(board.lines, MAX_LEVEL_LINES) / LINES_PER_LEVEL);
  let base = BASE_SCORE[spin][cleared];
  if (backToBack) base = Math.floor((base * 3) / 2);
  const comboBonus = cleared > 0 && combo >= 1 ? COMBO_SCORE * combo * level : 0;
  const perfectBonus = perfectClear ? PERFECT_CLEAR_SCORE[cleared] * level : 0;
  return base * level + comboBonus + perfectBonus;
}

function lockAttack(spin, cleared, perfectClear, backToBack, combo) {
  if (cleared === 0) return 0;
  return ATTACK[spin][cleared]
    + (backToBack ? BACK_TO_BACK_ATTACK : 0)
    + COMBO_ATTACK[Math.min(combo, COMBO_ATTACK.length - 1)]
    + (perfectClear ? PERFECT_CLEAR_ATTACK : 0);
}

// rules.md "Locks", "Scoring", "Attack", "Top-out": the piece locks into the board's field as it
// stands. No effects here: effects.js's applyLock takes the pending ones before calling this and
// cancels garbage with the attack after. Returns the board {field, combo, b2b, lines, score} and
// what the lock did.
export function lockPiece(board, lock) {
  checkBoard(board);
  checkLock(lock);
  if (!board.field.fits(lock)) throw new RangeError('lock: the piece does not fit (collision)');
  const spin = detectSpin(board.field, lock, lock.spin);
  const { field, cleared } = board.field.place(lock).clearFullRows();
  const difficult = cleared === 4 || (spin !== 'none' && cleared > 0);
  const backToBack = difficult && board.b2b;
  const combo = cleared > 0 ? board.combo + 1 : -1;
  const perfectClear = cleared > 0 && field.isEmpty();
  const scoreDelta = lockScore(board, spin, cleared, perfectClear, backToBack, combo);
  // rules.md "Top-out": blocks left in the hidden rows, or a piece locked wholly above view.
  const lockedAbove = pieceCells(lock.piece, lock.r).every(([, dy]) => lock.y + dy < 0);
  return Object.freeze({
    board: Object.freeze({
      field,
      combo,
      b2b: difficult || (cleared === 0 && board.b2b),
      lines: board.lines + cleared,
      score: board.score + scoreDelta,
    }),
    result: Object.freeze({
      linesCleared: cleared,
      spin,
      scoreDelta,
      attack: lockAttack(spin, cleared, perfectClear, backToBack, combo),
      perfectClear,
      toppedOut: lockedAbove || field.hasHiddenBlocks(),
    }),
  });
}
