// static/js/rules/field.js against rules.md "The field" (server/rules/field.py).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Field, HEIGHT, HIDDEN, WIDTH } from '../../../static/js/rules/field.js';
import { EMPTY_ROWS, rowsWithBottom } from '../vectors.js';

describe('Field', () => {
  test('round-trips 20 rows and reads cells, walls outside', () => {
    const rows = rowsWithBottom('G........T');
    const field = Field.fromRows(rows);
    assert.deepEqual(field.toRows(), rows);
    assert.equal(field.get(0, 19), 'G');
    assert.equal(field.get(9, 19), 'T');
    assert.equal(field.get(1, 19), '.');
    assert.equal(field.get(0, -4), '.');
    for (const [x, y] of [[-1, 0], [WIDTH, 0], [0, -HIDDEN - 1], [0, HEIGHT]]) {
      assert.equal(field.get(x, y), '#');
    }
  });

  test('fromRows refuses bad rows with a message that says where', () => {
    assert.throws(() => Field.fromRows(EMPTY_ROWS.slice(1)), /20 strings/);
    assert.throws(() => Field.fromRows('..........'), /20 strings/);
    assert.throws(() => Field.fromRows(rowsWithBottom('.........')), /rows\[19\].*10 char/);
    assert.throws(() => Field.fromRows(rowsWithBottom('.........x')), /rows\[19\].*"x"/);
    assert.throws(() => Field.fromRows([1, ...EMPTY_ROWS.slice(1)]), /rows\[0\]/);
  });

  test('is immutable and cannot be built directly', () => {
    const field = Field.empty();
    assert.throws(() => new Field(), /Field.empty/);
    assert.throws(() => { field.extra = 1; }, TypeError);
    field.toRows()[0] = 'GGGGGGGGGG';
    assert.equal(field.get(0, 0), '.');
  });

  test('fits checks walls, floor and blocks', () => {
    const field = Field.fromRows(rowsWithBottom('....G.....'));
    assert.ok(field.fits({ piece: 'T', r: 0, x: 0, y: 17 }));
    assert.ok(!field.fits({ piece: 'T', r: 0, x: 3, y: 18 })); // its (4, 19) is taken
    assert.ok(!field.fits({ piece: 'T', r: 0, x: 8, y: 0 })); // right wall
    assert.ok(!field.fits({ piece: 'T', r: 0, x: 0, y: 19 })); // floor
    assert.ok(field.fits({ piece: 'I', r: 0, x: 0, y: -21 })); // row -20 is the top hidden row
    assert.ok(!field.fits({ piece: 'I', r: 1, x: 0, y: -21 })); // above the hidden rows
    assert.throws(() => field.fits({ piece: 'T', r: 0, x: 0.5, y: 0 }), /\.x/);
  });

  test('Field.fromAllRows takes exactly 40 valid rows and nothing else', () => {
    const empty = '.'.repeat(10);
    const rows = Array(40).fill(empty);
    rows[39] = 'GGGGGGGGG.';
    assert.deepEqual(Field.fromAllRows(rows).toRows().at(-1), 'GGGGGGGGG.');
    assert.throws(() => Field.fromAllRows(Array(20).fill(empty)), /40|rows/);
    assert.throws(() => Field.fromAllRows([...Array(39).fill(empty), 'GGGGGGGGGX']),
      /row|X|cell/i);
  });

  test('hidden rows travel as 3 hex digits a row (docs/protocol.md user_hidden)', () => {
    const empty = '.'.repeat(10);
    const field = Field.fromRows(Array(20).fill(empty), '201001');
    assert.deepEqual([field.get(0, -2), field.get(9, -2), field.get(0, -1)], ['G', 'G', 'G']);
    assert.equal(field.hiddenHex(), '201001');
    assert.equal(Field.empty().hiddenHex(), '');
    assert.deepEqual([field.hiddenHeight(), Field.empty().hiddenHeight()], [2, 0]);
    assert.equal(Field.fromRows(Array(20).fill(empty), '010000000').hiddenHeight(), 3,
      'from the highest occupied row down to row -1, empty rows between included');
    for (const bad of ['1', 'xyz', '400', '001'.repeat(21), 7]) {
      assert.throws(() => Field.fromRows(Array(20).fill(empty), bad), /hidden/);
    }
  });
});
