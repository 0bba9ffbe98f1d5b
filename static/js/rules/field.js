// The playfield: 10 columns, 20 visible rows and 20 hidden rows above them (rules.md "The field"),
// as server/rules/field.py holds it. Immutable: every change gives a new Field.
import { PIECES, checkState, pieceCells } from './pieces.js';

export const WIDTH = 10;
export const HEIGHT = 20; // visible rows, y = 0..19
export const HIDDEN = 20; // hidden rows, y = -20..-1: a 40-row buffer
export const EMPTY = '.';
export const GARBAGE = 'G';

const WALL = '#';
const CELL_LETTERS = new Set([EMPTY, ...PIECES, GARBAGE]);
const EMPTY_ROW = EMPTY.repeat(WIDTH);
const FIELD_KEY = Symbol('Field');
const HEX_ROW = 3; // hex digits per hidden row on the wire (bit x = column x)

// A row as the field holds it: a string of WIDTH cell letters (also what a switch effect carries).
export function checkRow(row, where) {
  if (typeof row !== 'string' || row.length !== WIDTH) {
    throw new TypeError(`${where}: expected a string of ${WIDTH} characters`);
  }
  const bad = [...row].find((cell) => !CELL_LETTERS.has(cell));
  if (bad !== undefined) throw new TypeError(`${where}: unexpected cell ${JSON.stringify(bad)}`);
}

// The wire's hidden rows (see Field.fromRows), checked: returned as they came, or a TypeError
// naming `where`.
export function checkHidden(hex, where = 'hidden') {
  if (typeof hex !== 'string' || hex.length % HEX_ROW !== 0 || hex.length > HIDDEN * HEX_ROW
      || !/^[0-9a-f]*$/.test(hex)) {
    throw new TypeError(`${where}: expected up to ${HIDDEN} rows of ${HEX_ROW} hex digits`);
  }
  for (let k = 0; k < hex.length; k += HEX_ROW) {
    if (Number.parseInt(hex.slice(k, k + HEX_ROW), 16) >= 1 << WIDTH) {
      throw new TypeError(`${where}: row ${k / HEX_ROW} has bits past x = ${WIDTH - 1}`);
    }
  }
  return hex;
}

// The 20 hidden rows from the wire's hex form, checked.
function hiddenRows(hex) {
  checkHidden(hex);
  const rows = Array(HIDDEN - hex.length / HEX_ROW).fill(EMPTY_ROW);
  for (let k = 0; k < hex.length; k += HEX_ROW) {
    const bits = Number.parseInt(hex.slice(k, k + HEX_ROW), 16);
    rows.push([...EMPTY_ROW].map((_, x) => ((bits >> x) & 1 ? GARBAGE : EMPTY)).join(''));
  }
  return rows;
}

export class Field {
  // 20 hidden rows then 20 visible ones, top first, each a string of WIDTH cell letters.
  #rows;

  constructor(key, rows) {
    if (key !== FIELD_KEY) throw new TypeError('use Field.empty() or Field.fromRows(rows)');
    this.#rows = Object.freeze(rows);
    Object.freeze(this);
  }

  static empty() {
    return new Field(FIELD_KEY, Array(HIDDEN + HEIGHT).fill(EMPTY_ROW));
  }

  // The 20 visible rows (the wire's user_blocks) and the occupied hidden rows as the wire's
  // user_hidden sends them (docs/protocol.md): 3 hex digits per row, top first, the last one
  // row -1. Hidden cells carry no letter on the wire: they read as garbage ('G').
  static fromRows(rows, hidden = '') {
    if (!Array.isArray(rows) || rows.length !== HEIGHT) {
      throw new TypeError(`rows: expected an array of ${HEIGHT} strings`);
    }
    rows.forEach((row, y) => checkRow(row, `rows[${y}]`));
    return new Field(FIELD_KEY, [...hiddenRows(hidden), ...rows]);
  }

  // All 40 rows, hidden ones first, as allRows() gives them: what an effect writes back.
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

  // Blocks in the hidden rows are allowed (rules.md "Top-out"); the page draws them.
  hasHiddenBlocks() {
    return this.#rows.slice(0, HIDDEN).some((row) => row !== EMPTY_ROW);
  }

  // How many hidden rows are in use: from the highest one holding a block down to row -1.
  hiddenHeight() {
    const top = this.#rows.findIndex((row) => row !== EMPTY_ROW);
    return top < 0 || top >= HIDDEN ? 0 : HIDDEN - top;
  }

  // The occupied hidden rows in the wire's form (see fromRows); '' when they are empty.
  hiddenHex() {
    return this.#rows.slice(HIDDEN - this.hiddenHeight(), HIDDEN).map((row) => [...row]
      .reduce((bits, cell, x) => (cell === EMPTY ? bits : bits | (1 << x)), 0)
      .toString(16).padStart(HEX_ROW, '0')).join('');
  }

  // All 40 rows, hidden ones first (what an effect rewrites).
  allRows() {
    return [...this.#rows];
  }
}
