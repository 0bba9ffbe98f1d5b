// static/js/rules/movement.js against rules.md "Pieces and rotation", "Locks" and "Spins"
// (server/rules/movement.py), with the shared vectors of tests/vectors/rotation.json.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Field, HEIGHT } from '../../../static/js/rules/field.js';
import {
  drop, lift, move, rotate, rotationKick, spawnState, verifyLast,
} from '../../../static/js/rules/movement.js';
import { PIECES, pieceCells } from '../../../static/js/rules/pieces.js';
import { loadVectors, rowsWithBottom } from '../vectors.js';

test('rotation.json: SRS rotations and kicks', async (t) => {
  for (const v of loadVectors('rotation.json')) {
    await t.test(v.name, () => {
      const result = rotate(Field.fromRows(v.field), v.state, v.dir);
      assert.deepEqual(result === null ? null : { ...result }, v.result);
    });
  }
});

test('every piece spawns at x 3, y -2, rotation 0, inside the hidden rows', () => {
  const field = Field.empty();
  for (const piece of PIECES) {
    const state = spawnState(piece);
    assert.deepEqual({ ...state }, { piece, r: 0, x: 3, y: -2 });
    assert.ok(field.fits(state));
    assert.ok(pieceCells(piece, 0).every(([, dy]) => state.y + dy < 0));
  }
  const oColumns = pieceCells('O', 0).map(([dx]) => 3 + dx);
  assert.deepEqual([...new Set(oColumns)], [4, 5]);
});

describe('moves and rotations', () => {
  test('moves stop at the walls and the floor; drop goes all the way down', () => {
    const field = Field.empty();
    let state = spawnState('T');
    for (let k = 0; k < 3; k += 1) state = move(field, state, -1, 0);
    assert.equal(state.x, 0);
    assert.equal(move(field, state, -1, 0), null);
    assert.deepEqual({ ...drop(field, state) }, { piece: 'T', r: 0, x: 0, y: 18 });
    assert.equal(move(field, drop(field, state), 0, 1), null);
    assert.throws(() => drop(field, { piece: 'T', r: 0, x: -1, y: 0 }), /does not fit/);
  });

  test('a free rotation turns in place; ccw goes back', () => {
    const field = Field.empty();
    const turned = rotate(field, { piece: 'T', r: 0, x: 3, y: 5 }, 1);
    assert.deepEqual({ ...turned }, { piece: 'T', r: 1, x: 3, y: 5 });
    assert.deepEqual({ ...rotate(field, turned, -1) }, { piece: 'T', r: 0, x: 3, y: 5 });
    assert.deepEqual({ ...rotate(field, turned, 1) }, { piece: 'T', r: 2, x: 3, y: 5 });
    assert.deepEqual({ ...rotate(field, { piece: 'T', r: 0, x: 3, y: 5 }, -1) },
      { piece: 'T', r: 3, x: 3, y: 5 });
  });

  test('I against the left wall takes the third kick of 1>2, (+2, 0)', () => {
    // Vertical I in column 0; turned flat at x -2 or -3 it is in the wall, at x 0 it fits.
    const result = rotate(Field.empty(), { piece: 'I', r: 1, x: -2, y: 5 }, 1);
    assert.deepEqual({ ...result }, { piece: 'I', r: 2, x: 0, y: 5 });
  });

  test('T on the floor 0>3 kicks up: (+1, +1) in y-up is one row higher', () => {
    // T flat on the floor: turning in place or one right would poke through the floor.
    const result = rotate(Field.empty(), { piece: 'T', r: 0, x: 3, y: 18 }, -1);
    assert.deepEqual({ ...result }, { piece: 'T', r: 3, x: 4, y: 17 });
  });

  test('a rotation with no fitting test fails; O turns without moving', () => {
    const walled = Field.fromRows(Array(HEIGHT).fill('GGG...GGGG'));
    assert.equal(rotate(walled, { piece: 'I', r: 1, x: 2, y: 5 }, 1), null);
    assert.deepEqual({ ...rotate(Field.empty(), spawnState('O'), 1) },
      { piece: 'O', r: 1, x: 3, y: -2 });
    assert.throws(() => rotate(Field.empty(), spawnState('T'), 3), /dir/);
  });
});

describe('lift: the stack rose into the piece in hand', () => {
  test('a piece that fits stays where it is', () => {
    const state = { piece: 'T', r: 0, x: 3, y: 5 };
    assert.deepEqual({ ...lift(Field.empty(), state) }, state);
  });

  test('it goes straight up by the fewest rows that make it fit, however many', () => {
    const field = Field.fromRows(rowsWithBottom(...Array(8).fill('GGGGGGGGG.')));
    const lifted = lift(field, { piece: 'T', r: 0, x: 3, y: 17 });
    assert.deepEqual({ ...lifted }, { piece: 'T', r: 0, x: 3, y: 10 }); // 7 rows up
    assert.equal(move(field, lifted, 0, 1), null, 'one row lower does not fit');
  });

  test('no height that fits is null (the player has topped out); bad states are refused', () => {
    const full = Field.fromAllRows(Array(40).fill('GGGGGGGGG.'));
    assert.equal(lift(full, { piece: 'T', r: 0, x: 3, y: 10 }), null);
    assert.throws(() => lift(Field.empty(), { piece: 'T', r: 5, x: 3, y: 10 }), /\.r/);
  });
});

describe('verifyLast (rules.md "Spins")', () => {
  test('a T-spin double slot is entered by a turn, with exactly that kick', () => {
    const field = Field.fromRows(rowsWithBottom('GGGG......', 'GGG...GGGG', 'GGGG.GGGGG'));
    const slot = { piece: 'T', r: 2, x: 3, y: 17 };
    assert.equal(verifyLast(field, slot, { rot: 'cw', kick: 0 }), true);
    assert.equal(verifyLast(field, slot, { rot: 'cw', kick: 1 }), false);
    assert.equal(verifyLast(field, slot, { rot: 'up', kick: 0 }), false);
    assert.equal(verifyLast(field, slot, { rot: 'cw', kick: 9 }), false);
  });

  test('180° turns: TETR.IO SRS+ kicks; I and O do not kick', () => {
    const floor = drop(Field.empty(), spawnState('T'));
    assert.deepEqual({ ...rotationKick(Field.empty(), floor, 2).state },
      { piece: 'T', r: 2, x: 3, y: 17 });
    assert.equal(rotationKick(Field.empty(), floor, 2).kick, 1);
    assert.equal(rotate(Field.empty(), drop(Field.empty(), spawnState('I')), 2), null);
    assert.throws(() => rotate(Field.empty(), floor, 3), /dir/);
  });

  test('a sealed pocket is reached by nothing, turn or not', () => {
    const field = Field.fromRows(
      rowsWithBottom('GGGGGGGGG.', 'G...GGGGGG', 'GG.GGGGGGG', 'GGGGGGGGG.'),
    );
    const state = { piece: 'T', r: 2, x: 1, y: 16 };
    assert.ok(field.fits(state));
    for (const rot of ['cw', 'ccw', '180']) {
      for (let kick = 0; kick < 6; kick += 1) assert.equal(verifyLast(field, state, { rot, kick }), false);
    }
  });
});
