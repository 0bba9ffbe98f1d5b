// Block Attack's rules for the browser: the same rules as server/ (docs/rules.md), pure and
// immutable, so the client can predict its own locks exactly as the server will score them.
// The shared vectors in tests/vectors/ keep the two in agreement; where they differ, server/ wins.

export const WIDTH = 10;
export const HEIGHT = 20;
export const HIDDEN = 4;
export const PIECES = Object.freeze(['I', 'J', 'L', 'O', 'S', 'T', 'Z']);

const EMPTY = '.';
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

function checkRow(row, where) {
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

function checkBoard(board) {
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

// rules.md "Battle": the effect kinds, and the powers a player can earn and use.
export const EFFECT_KINDS = Object.freeze([
  'garbage', 'add_line', 'clear_line', 'nuke', 'gravity', 'quake', 'switch',
]);
export const POWERS = Object.freeze([
  'add_line', 'clear_line', 'quake', 'gravity', 'switch', 'nuke',
]);
const ALL_ROWS = HIDDEN + HEIGHT;

function expectCount(value, where, min = 0, max = Number.MAX_SAFE_INTEGER) {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new TypeError(`${where}: expected an integer ${range}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function expectShifts(shifts, where) {
  if (!Array.isArray(shifts) || shifts.length !== HEIGHT) {
    throw new TypeError(`${where}: expected an array of ${HEIGHT} integers`);
  }
  shifts.forEach((shift, y) => {
    if (!Number.isSafeInteger(shift)) {
      throw new TypeError(`${where}[${y}]: expected an integer, got ${JSON.stringify(shift)}`);
    }
  });
  return Object.freeze([...shifts]);
}

function expectSwitchRows(rows, where) {
  if (!Array.isArray(rows) || rows.length > HEIGHT) {
    throw new TypeError(`${where}: expected an array of at most ${HEIGHT} rows`);
  }
  rows.forEach((row, k) => checkRow(row, `${where}[${k}]`));
  return Object.freeze([...rows]);
}

// The parameters each kind carries on the wire (docs/protocol.md "Battle").
const EFFECT_PARAMS = {
  garbage: (e, where) => ({
    lines: expectCount(e.lines, `${where}.lines`),
    hole: expectCount(e.hole, `${where}.hole`, 0, WIDTH - 1),
  }),
  add_line: (e, where) => ({ hole: expectCount(e.hole, `${where}.hole`, 0, WIDTH - 1) }),
  clear_line: () => ({}),
  nuke: () => ({}),
  gravity: () => ({}),
  quake: (e, where) => ({ shifts: expectShifts(e.shifts, `${where}.shifts`) }),
  switch: (e, where) => ({ rows: expectSwitchRows(e.rows, `${where}.rows`) }),
};

// An effect as the server sends it, checked once: a frozen copy holding only what it needs.
export function parseEffect(effect, where = 'effect') {
  if (effect === null || typeof effect !== 'object' || Array.isArray(effect)) {
    throw new TypeError(`${where}: expected an object {id, kind, ...}`);
  }
  const id = expectCount(effect.id, `${where}.id`, 1);
  if (!EFFECT_KINDS.includes(effect.kind)) {
    throw new TypeError(`${where}.kind: expected one of ${EFFECT_KINDS.join(' ')}, `
      + `got ${JSON.stringify(effect.kind)}`);
  }
  const from = effect.from ?? null;
  if (from !== null && typeof from !== 'string') {
    throw new TypeError(`${where}.from: expected a name, got ${JSON.stringify(from)}`);
  }
  const parsed = { id, kind: effect.kind, ...EFFECT_PARAMS[effect.kind](effect, where) };
  if (from !== null) parsed.from = from;
  return Object.freeze(parsed);
}

function garbageRow(hole) {
  return 'G'.repeat(hole) + EMPTY + 'G'.repeat(WIDTH - hole - 1);
}

// Rows pushed in at the bottom; the top ones are lost (see pushedOut).
function pushRows(rows, count, hole) {
  const n = Math.min(count, ALL_ROWS);
  return [...rows.slice(n), ...Array(n).fill(garbageRow(hole))];
}

// A block pushed past the top hidden row has topped out too, wherever the rest ends up.
function pushedOut(rows, effect) {
  const count = { garbage: effect.lines, add_line: 1 }[effect.kind] ?? 0;
  return rows.slice(0, count).some((row) => row !== EMPTY_ROW);
}

function rotateRow(row, shift) {
  const k = ((shift % WIDTH) + WIDTH) % WIDTH; // right by `shift`, wrapping
  return row.slice(WIDTH - k) + row.slice(0, WIDTH - k);
}

// Every column's blocks fall, keeping their order, onto the floor.
function compactColumns(rows) {
  const columns = [...Array(WIDTH).keys()].map((x) => {
    const blocks = rows.map((row) => row[x]).filter((cell) => cell !== EMPTY);
    return [...Array(ALL_ROWS - blocks.length).fill(EMPTY), ...blocks];
  });
  return rows.map((_, y) => columns.map((column) => column[y]).join(''));
}

// rules.md "Effect kinds": each one rewrites the 24 rows (hidden ones first).
const EFFECT_RULES = {
  garbage: (rows, e) => pushRows(rows, e.lines, e.hole),
  add_line: (rows, e) => pushRows(rows, 1, e.hole),
  clear_line: (rows) => [EMPTY_ROW, ...rows.slice(0, -1)],
  nuke: () => Array(ALL_ROWS).fill(EMPTY_ROW),
  gravity: (rows) => compactColumns(rows),
  quake: (rows, e) => rows.map((row, k) => (
    k < HIDDEN ? row : rotateRow(row, e.shifts[k - HIDDEN]))),
  switch: (rows, e) => [...Array(ALL_ROWS - e.rows.length).fill(EMPTY_ROW), ...e.rows],
};

// One effect on a field, then its full rows removed (no score, no attack); blocks pushed into
// or past the hidden rows mean the player has topped out.
export function applyEffect(field, effect) {
  if (!(field instanceof Field)) throw new TypeError('field: expected a Field');
  const parsed = parseEffect(effect);
  const before = field.allRows();
  const rows = EFFECT_RULES[parsed.kind](before, parsed);
  const after = new Field(FIELD_KEY, rows).clearFullRows().field;
  const toppedOut = pushedOut(before, parsed) || after.hasHiddenBlocks();
  return Object.freeze({ field: after, toppedOut });
}

// A board's effects: `fx` the id of the last one applied, `incoming` the ones not applied yet,
// oldest first. They apply in id order, so the incoming ids are fx + 1, fx + 2, …
function checkEffects(board) {
  const fx = expectCount(board.fx ?? 0, 'board.fx');
  const list = board.incoming ?? [];
  if (!Array.isArray(list)) throw new TypeError('board.incoming: expected an array of effects');
  const incoming = list.map((effect, k) => {
    const parsed = parseEffect(effect, `board.incoming[${k}]`);
    if (parsed.id !== fx + 1 + k) {
      throw new TypeError(`board.incoming[${k}].id: expected ${fx + 1 + k}, got ${parsed.id}`);
    }
    return parsed;
  });
  return { fx, incoming };
}

// Apply incoming effects in order up to id `upTo` (all by default), stopping at a top-out.
function takeEffects(field, fx, incoming, upTo) {
  let current = { field, fx, toppedOut: false };
  const applied = [];
  for (const effect of incoming) {
    if (effect.id > upTo || current.toppedOut) break;
    const after = applyEffect(current.field, effect);
    current = { field: after.field, fx: effect.id, toppedOut: after.toppedOut };
    applied.push(effect);
  }
  return { ...current, applied, incoming: incoming.slice(applied.length) };
}

// Apply the board's incoming effects (those with id <= upTo) now: the client does so right
// after each lock, the boundary before its next piece. Returns the new board, the effects
// applied (oldest first) and whether one of them topped the player out.
export function applyPendingEffects(board, upTo = Infinity) {
  checkBoard(board);
  const { fx, incoming } = checkEffects(board);
  if (typeof upTo !== 'number' || Number.isNaN(upTo)) {
    throw new TypeError(`upTo: expected an effect id, got ${upTo}`);
  }
  const taken = takeEffects(board.field, fx, incoming, upTo);
  return Object.freeze({
    board: Object.freeze({
      ...board, field: taken.field, fx: taken.fx, incoming: Object.freeze(taken.incoming),
    }),
    applied: Object.freeze(taken.applied),
    toppedOut: taken.toppedOut,
  });
}

// rules.md "Garbage from line clears": the attack cancels pending garbage oldest first, line
// for line; an effect cut to 0 lines keeps its place. Powers are never cancelled.
function cancelGarbage(incoming, attack) {
  let left = attack;
  const reduced = incoming.map((effect) => {
    if (effect.kind !== 'garbage' || left === 0 || effect.lines === 0) return effect;
    const cancelled = Math.min(left, effect.lines);
    left -= cancelled;
    return Object.freeze({ ...effect, lines: effect.lines - cancelled });
  });
  return { incoming: reduced, sent: left };
}

// A lock that is never played because an effect before it topped the player out.
function toppedOutBeforeLock(board, taken) {
  const result = Object.freeze({
    linesCleared: 0, spin: 'none', scoreDelta: 0, attack: 0, sent: 0, perfectClear: false,
    toppedOut: true, applied: Object.freeze(taken.applied),
  });
  const newBoard = Object.freeze({
    ...board, field: taken.field, fx: taken.fx, incoming: Object.freeze(taken.incoming),
  });
  return { board: newBoard, result };
}

// rules.md "Effects and when they apply": the effects up to lock.fx (default: the board's fx,
// none new) apply first, then the lock, then its attack cancels the garbage still pending.
export function applyLock(board, lock) {
  checkBoard(board);
  const effects = checkEffects(board);
  checkState(lock, 'lock');
  if (typeof lock.spin !== 'boolean') throw new TypeError('lock.spin: expected true or false');
  const lockFx = expectCount(lock.fx ?? effects.fx, 'lock.fx');
  const newest = effects.fx + effects.incoming.length;
  if (lockFx > newest) {
    throw new RangeError(`lock.fx: unknown_effect ${lockFx} (the newest known is ${newest})`);
  }
  const taken = takeEffects(board.field, effects.fx, effects.incoming, lockFx);
  if (taken.toppedOut) return toppedOutBeforeLock(board, taken);
  if (!taken.field.fits(lock)) throw new RangeError('lock: the piece does not fit (collision)');
  const spin = detectSpin(taken.field, lock, lock.spin);
  const { field, cleared } = taken.field.place(lock).clearFullRows();
  const difficult = cleared === 4 || (spin !== 'none' && cleared > 0);
  const backToBack = difficult && board.b2b;
  const combo = cleared > 0 ? board.combo + 1 : -1;
  const perfectClear = cleared > 0 && field.isEmpty();
  const attack = lockAttack(spin, cleared, perfectClear, backToBack, combo);
  const { incoming, sent } = cancelGarbage(taken.incoming, attack);
  // rules.md "Top-out": blocks left in the hidden rows, or a piece locked wholly above view.
  const lockedAbove = pieceCells(lock.piece, lock.r).every(([, dy]) => lock.y + dy < 0);
  const result = Object.freeze({
    linesCleared: cleared,
    spin,
    scoreDelta: lockScore(board, spin, cleared, perfectClear, backToBack, combo),
    attack,
    sent,
    perfectClear,
    toppedOut: lockedAbove || field.hasHiddenBlocks(),
    applied: Object.freeze(taken.applied),
  });
  const newBoard = Object.freeze({
    field,
    combo,
    b2b: difficult || (cleared === 0 && board.b2b),
    lines: board.lines + cleared,
    score: board.score + result.scoreDelta,
    fx: taken.fx,
    incoming: Object.freeze(incoming),
  });
  return { board: newBoard, result };
}
