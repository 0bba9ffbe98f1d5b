// The shared vectors (tests/vectors/*.json), written from the Python rules by
// tests/vectors/generate.py, read by the JavaScript tests. Not a test file itself.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { Field, HEIGHT } from '../../static/js/rules/field.js';

const VECTORS = new URL('../vectors/', import.meta.url);

export const EMPTY_ROWS = Object.freeze(Array(HEIGHT).fill('..........'));

// A missing or empty vector file is a failure, never a silent pass: the vectors are the contract.
export function loadVectors(name) {
  let text;
  try {
    text = readFileSync(new URL(name, VECTORS), 'utf8');
  } catch (error) {
    throw new Error(`tests/vectors/${name} is missing (the Python suite writes it): ${error.code}`);
  }
  const cases = JSON.parse(text);
  assert.ok(Array.isArray(cases) && cases.length > 0, `tests/vectors/${name}: no cases`);
  return cases;
}

// constants.json as {name: value}: the server's declarations the page must agree with.
export function serverConstants() {
  return Object.fromEntries(loadVectors('constants.json').map(({ name, value }) => [name, value]));
}

// The given rows (top first) are the bottom of the field; the rows above them are empty.
export function rowsWithBottom(...bottom) {
  return [...EMPTY_ROWS.slice(bottom.length), ...bottom];
}

// A board as rules/board.js takes it, on a field of 20 visible rows.
export function board(rows, overrides = {}) {
  return { field: Field.fromRows(rows), combo: -1, b2b: false, lines: 0, score: 0, ...overrides };
}
