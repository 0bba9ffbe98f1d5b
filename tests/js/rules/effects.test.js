// static/js/rules/effects.js against rules.md "Effect kinds" and "Garbage from line clears"
// (server/rules/effects.py), with the shared vectors of tests/vectors/effects.json.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { applyEffect, cancelGarbage, parseEffect } from '../../../static/js/rules/effects.js';
import { Field, HEIGHT } from '../../../static/js/rules/field.js';
import { EMPTY_ROWS, loadVectors, rowsWithBottom } from '../vectors.js';

const garbage = (id, lines, hole = 0) => ({ id, kind: 'garbage', from: 'bob', lines, hole });

test('effects.json: one effect on a field, full rows removed after it', async (t) => {
  for (const v of loadVectors('effects.json')) {
    await t.test(v.name, () => {
      const { field, toppedOut } = applyEffect(Field.fromRows(v.field, v.hidden), v.effect);
      assert.deepEqual(
        { field: field.toRows(), hidden: field.hiddenHex(), topped_out: toppedOut }, v.after);
    });
  }
});

describe('effects (rules.md "Effect kinds")', () => {
  const afterEffect = (rows, effect) => {
    const { field, toppedOut } = applyEffect(Field.fromRows(rows), effect);
    return { rows: field.toRows(), toppedOut };
  };

  test('garbage pushes rows full but for the hole in at the bottom; the stack rises', () => {
    assert.deepEqual(afterEffect(rowsWithBottom('IIII......'), garbage(1, 2, 3)), {
      rows: rowsWithBottom('IIII......', 'GGG.GGGGGG', 'GGG.GGGGGG'), toppedOut: false,
    });
    assert.deepEqual(afterEffect(rowsWithBottom('IIII......'), garbage(1, 0, 3)),
      { rows: rowsWithBottom('IIII......'), toppedOut: false }, '0 lines change nothing');
  });

  test('garbage lifts blocks into the hidden rows; past the 40-row buffer it tops out', () => {
    const top = ['....O.....', ...EMPTY_ROWS.slice(1)];
    const pushed = applyEffect(Field.fromRows(top), garbage(1, 1, 9));
    assert.equal(pushed.toppedOut, false);
    assert.equal(pushed.field.get(4, -1), 'O');
    assert.equal(pushed.field.hiddenHex(), '010');
    assert.deepEqual(pushed.field.toRows(), rowsWithBottom('GGGGGGGGG.'));
    const low = [...EMPTY_ROWS.slice(0, 3), 'T.........', ...EMPTY_ROWS.slice(4)];
    assert.equal(afterEffect(low, garbage(1, 23)).toppedOut, false);
    assert.equal(afterEffect(low, garbage(1, 24)).toppedOut, true);
    assert.equal(afterEffect(low, garbage(1, 99)).toppedOut, true);
    // Pushed past the top hidden row: lost, and topped out though the hidden rows are empty.
    const past = applyEffect(Field.fromRows(top), garbage(1, 21, 9));
    assert.equal(past.field.get(4, -20), '.'); // the O went past row -20: lost
    assert.equal(past.toppedOut, true);
  });

  test('add_line pushes one garbage row', () => {
    const rows = rowsWithBottom('T.........');
    assert.deepEqual(afterEffect(rows, { id: 2, kind: 'add_line', hole: 9 }),
      { rows: rowsWithBottom('T.........', 'GGGGGGGGG.'), toppedOut: false });
  });

  test('clear_line removes the bottom row; everything above falls one row', () => {
    assert.deepEqual(afterEffect(rowsWithBottom('T.........', 'GGGGGGGG.G'),
      { id: 1, kind: 'clear_line' }), { rows: rowsWithBottom('T.........'), toppedOut: false });
    assert.deepEqual(afterEffect(EMPTY_ROWS, { id: 1, kind: 'clear_line' }).rows, EMPTY_ROWS);
  });

  test('nuke empties the field', () => {
    const rows = rowsWithBottom('T.........', 'GGGGGGGG.G', 'JJJ.LLL.SS');
    assert.deepEqual(afterEffect(rows, { id: 1, kind: 'nuke', from: 'alice' }),
      { rows: EMPTY_ROWS, toppedOut: false });
  });

  test('gravity: every column falls, keeping its order', () => {
    const rows = rowsWithBottom('J.L.......', '..........', '.Z........', 'S.........');
    assert.deepEqual(afterEffect(rows, { id: 1, kind: 'gravity' }).rows,
      rowsWithBottom('J.........', 'SZL.......'));
  });

  test('gravity: rows it fills are removed', () => {
    const rows = rowsWithBottom('T...G.....', 'GGGG.GGGGG');
    assert.deepEqual(afterEffect(rows, { id: 1, kind: 'gravity' }).rows,
      rowsWithBottom('T.........'));
  });

  test('quake rotates each visible row by its shift, wrapping around', () => {
    const shifts = Array(HEIGHT).fill(0);
    [shifts[16], shifts[17], shifts[18], shifts[19]] = [-12, 13, -1, 1];
    const rows = rowsWithBottom('Z.........', 'S.........', 'IJ........', '.........T');
    assert.deepEqual(afterEffect(rows, { id: 1, kind: 'quake', shifts }), {
      rows: rowsWithBottom('........Z.', '...S......', 'J........I', 'T.........'),
      toppedOut: false,
    });
  });

  test('full rows are removed after a quake', () => {
    const shifts = Array(HEIGHT).fill(1);
    const rows = rowsWithBottom('T.........', 'GGGGGGGGGG');
    assert.deepEqual(afterEffect(rows, { id: 1, kind: 'quake', shifts }).rows,
      rowsWithBottom('.T........'));
  });

  test('switch: the rows sent are the bottom, everything above empty', () => {
    const mine = rowsWithBottom(...Array(12).fill('GGGGGGGGG.'));
    const sent = ['...GG.....', 'GGGG.GGGGG'];
    assert.deepEqual(afterEffect(mine, { id: 1, kind: 'switch', from: 'bob', rows: sent }),
      { rows: rowsWithBottom(...sent), toppedOut: false });
    assert.deepEqual(afterEffect(mine, { id: 1, kind: 'switch', rows: [] }).rows, EMPTY_ROWS);
  });

  test('a bad effect is refused with the field named, and changes nothing', () => {
    const field = Field.fromRows(rowsWithBottom('T.........'));
    const bad = [
      [null, /effect: expected an object/],
      [{ kind: 'nuke' }, /effect\.id/],
      [{ id: 0, kind: 'nuke' }, /effect\.id/],
      [{ id: 1, kind: 'bomb' }, /effect\.kind.*bomb/],
      [{ id: 1, kind: 'nuke', from: 7 }, /effect\.from/],
      [garbage(1, -1), /effect\.lines/],
      [garbage(1, 2, 10), /effect\.hole/],
      [{ id: 1, kind: 'add_line' }, /effect\.hole/],
      [{ id: 1, kind: 'quake', shifts: [1, 2] }, /effect\.shifts/],
      [{ id: 1, kind: 'quake', shifts: [...Array(19).fill(0), 0.5] }, /effect\.shifts\[19\]/],
      [{ id: 1, kind: 'switch', rows: Array(21).fill('..........') }, /effect\.rows/],
      [{ id: 1, kind: 'switch', rows: ['..........', '....x.....'] }, /effect\.rows\[1\]/],
    ];
    for (const [effect, error] of bad) assert.throws(() => applyEffect(field, effect), error);
    assert.throws(() => applyEffect(rowsWithBottom('T.........'), garbage(1, 1)), /field/);
    assert.deepEqual(field.toRows(), rowsWithBottom('T.........'));
  });

  test('parseEffect keeps only what the kind needs, frozen', () => {
    const parsed = parseEffect({ id: 3, kind: 'nuke', from: 'bob', lines: 4 });
    assert.deepEqual({ ...parsed }, { id: 3, kind: 'nuke', from: 'bob' });
    assert.ok(Object.isFrozen(parsed));
  });
});

test('cancelGarbage: oldest first, line for line; what is left is sent', () => {
  const quake = { id: 2, kind: 'quake', from: 'bob', shifts: Array(HEIGHT).fill(1) };
  const { incoming, sent } = cancelGarbage([garbage(1, 2), quake, garbage(3, 3)], 4);
  assert.deepEqual(incoming, [garbage(1, 0), quake, garbage(3, 1)]);
  assert.equal(sent, 0);
  assert.equal(cancelGarbage([garbage(1, 1)], 3).sent, 2);
});
