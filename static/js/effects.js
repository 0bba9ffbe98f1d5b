// Block Attack's battle effects for the browser (rules.md "Battle", "Effects and when they apply"):
// parsing the effects the server sends, applying them to a field, and the lock at the effect
// boundary (applyLock: pending effects, then the engine's lockPiece, then garbage cancelling).
// server/effects.py holds the same rules; the shared vectors in tests/vectors/ keep them equal.
//
// Imports go one way, effects.js -> engine.js, as server/board.py -> effects.py -> field.py: the
// lock with its effects lives here rather than in engine.js, so no import cycle (whose
// evaluation order would depend on which module a page imports first) is needed.

import {
  EMPTY, Field, HEIGHT, HIDDEN, WIDTH, checkBoard, checkLock, checkRow, lockPiece,
} from './engine.js';

// rules.md "Battle": the effect kinds, and the powers a player can earn and use.
export const EFFECT_KINDS = Object.freeze([
  'garbage', 'add_line', 'clear_line', 'nuke', 'gravity', 'quake', 'switch',
]);
export const POWERS = Object.freeze([
  'add_line', 'clear_line', 'quake', 'gravity', 'switch', 'nuke',
]);
const ALL_ROWS = HIDDEN + HEIGHT;
const EMPTY_ROW = EMPTY.repeat(WIDTH);

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
  const after = Field.fromAllRows(rows).clearFullRows().field;
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
// none new) apply first, then the lock (engine.js lockPiece), then its attack cancels the garbage
// still pending.
export function applyLock(board, lock) {
  checkBoard(board);
  const effects = checkEffects(board);
  checkLock(lock);
  const lockFx = expectCount(lock.fx ?? effects.fx, 'lock.fx');
  const newest = effects.fx + effects.incoming.length;
  if (lockFx > newest) {
    throw new RangeError(`lock.fx: unknown_effect ${lockFx} (the newest known is ${newest})`);
  }
  const taken = takeEffects(board.field, effects.fx, effects.incoming, lockFx);
  if (taken.toppedOut) return toppedOutBeforeLock(board, taken);
  const locked = lockPiece({ ...board, field: taken.field }, lock);
  const { linesCleared, spin, scoreDelta, attack, perfectClear, toppedOut } = locked.result;
  const { incoming, sent } = cancelGarbage(taken.incoming, attack);
  const result = Object.freeze({
    linesCleared,
    spin,
    scoreDelta,
    attack,
    sent,
    perfectClear,
    toppedOut,
    applied: Object.freeze(taken.applied),
  });
  const newBoard = Object.freeze({
    ...locked.board, fx: taken.fx, incoming: Object.freeze(incoming),
  });
  return { board: newBoard, result };
}
