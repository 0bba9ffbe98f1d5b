// Effects: what changes a field besides the player's own locks (rules.md "Battle", "Effect
// kinds", "Garbage from line clears"), as server/rules/effects.py holds them: parsing the effects
// the server sends, applying one to a field, and cancelling pending garbage with an attack.
import { EMPTY, Field, GARBAGE, HEIGHT, HIDDEN, WIDTH, checkRow } from './field.js';

// rules.md "Battle": the effect kinds, and the powers a player can earn and use (in the order of
// the weighted table).
export const EFFECT_KINDS = Object.freeze([
  'garbage', 'add_line', 'clear_line', 'nuke', 'gravity', 'quake', 'switch',
]);
export const POWERS = Object.freeze([
  'add_line', 'clear_line', 'quake', 'gravity', 'switch', 'nuke',
]);
export const MAX_POWERS = 6; // rules.md "Powers": the inventory holds at most 6
const ALL_ROWS = HIDDEN + HEIGHT;
const EMPTY_ROW = EMPTY.repeat(WIDTH);

export function expectCount(value, where, min = 0, max = Number.MAX_SAFE_INTEGER) {
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
  return GARBAGE.repeat(hole) + EMPTY + GARBAGE.repeat(WIDTH - hole - 1);
}

// Rows pushed in at the bottom; the top ones are lost (see pushedOut).
function pushRows(rows, count, hole) {
  const n = Math.min(count, ALL_ROWS);
  return [...rows.slice(n), ...Array(n).fill(garbageRow(hole))];
}

// rules.md "Top-out": a garbage out is a block pushed past the top of the 40-row buffer.
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

// rules.md "Effect kinds": each one rewrites the 40 rows (hidden ones first).
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

// One effect on a field, then its full rows removed (no score, no attack); a block pushed past
// the top of the hidden rows means the player has topped out (a garbage out).
export function applyEffect(field, effect) {
  if (!(field instanceof Field)) throw new TypeError('field: expected a Field');
  const parsed = parseEffect(effect);
  const before = field.allRows();
  const rows = EFFECT_RULES[parsed.kind](before, parsed);
  const after = Field.fromAllRows(rows).clearFullRows().field;
  const toppedOut = pushedOut(before, parsed);
  return Object.freeze({ field: after, toppedOut });
}

// rules.md "Garbage from line clears": the attack cancels pending garbage oldest first, line
// for line; an effect cut to 0 lines keeps its place. Powers are never cancelled. Returns the
// pending effects after it and the attack left to send.
export function cancelGarbage(incoming, attack) {
  let left = attack;
  const reduced = incoming.map((effect) => {
    if (effect.kind !== 'garbage' || left === 0 || effect.lines === 0) return effect;
    const cancelled = Math.min(left, effect.lines);
    left -= cancelled;
    return Object.freeze({ ...effect, lines: effect.lines - cancelled });
  });
  return { incoming: reduced, sent: left };
}
