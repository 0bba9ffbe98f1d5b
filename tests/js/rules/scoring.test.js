// static/js/rules/scoring.js against rules.md "Spins", "Scoring" and "Attack"
// (server/rules/scoring.py). The lock vectors run through it from board.test.js.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Field } from '../../../static/js/rules/field.js';
import { detectSpin, levelFor, scoreLock } from '../../../static/js/rules/scoring.js';
import { rowsWithBottom } from '../vectors.js';

// A T-spin double slot: the T points down into (4, 19) under an overhang at (3, 17).
const TSD_ROWS = rowsWithBottom('GGGG......', 'GGG...GGGG', 'GGGG.GGGGG');
const TSD_LOCK = { piece: 'T', r: 2, x: 3, y: 17 };
const CW = { rot: 'cw', kick: 0 };

describe('detectSpin: the 3-corner rule', () => {
  test('two corners are no spin; only T spins', () => {
    const open = { piece: 'T', r: 0, x: 3, y: 18 };
    assert.equal(detectSpin(Field.empty(), open, CW), 'none');
    assert.equal(detectSpin(Field.fromRows(TSD_ROWS), { ...TSD_LOCK, piece: 'L' }, CW), 'none');
  });

  test('both front corners make a T-spin, one makes a mini; no claim, no spin', () => {
    assert.equal(detectSpin(Field.fromRows(TSD_ROWS), TSD_LOCK, CW), 'tspin');
    const wall = { piece: 'T', r: 1, x: -1, y: 17 };
    const wallRows = Field.fromRows(rowsWithBottom('.G........'));
    assert.equal(detectSpin(wallRows, wall, CW), 'mini');
    // tetris.wiki T-Spin: a 90° turn's test 5 is full whatever the corners; a 180° one is not.
    assert.equal(detectSpin(wallRows, wall, { rot: 'ccw', kick: 4 }), 'tspin');
    assert.equal(detectSpin(wallRows, wall, { rot: '180', kick: 4 }), 'mini');
    assert.equal(detectSpin(Field.fromRows(TSD_ROWS), TSD_LOCK, null), 'none');
    assert.throws(() => detectSpin(Field.empty(), TSD_LOCK, 'yes'), /last/);
  });
});

describe('scoreLock', () => {
  test('the level is one per 10 lines before the lock, capped at 15', () => {
    assert.deepEqual([0, 9, 10, 139, 140, 900].map(levelFor), [1, 1, 2, 14, 15, 15]);
  });

  test('a mini double stays a mini: 400 and 1 line sent', () => {
    assert.deepEqual({ ...scoreLock(2, 'mini', -1, false, 0, false) }, {
      lines: 2, spin: 'mini', score: 400, attack: 1, combo: 0, b2b: true, perfectClear: false,
    });
  });

  test('back-to-back is 3/2 and one line more; a lock clearing nothing keeps the flag', () => {
    const b2b = scoreLock(4, 'none', 1, true, 20, false);
    assert.equal(b2b.score, 1200 * 3 + 50 * 2 * 3);
    assert.equal(b2b.attack, 4 + 1 + 1);
    assert.equal(b2b.b2b, true);
    assert.deepEqual({ ...scoreLock(0, 'none', 5, true, 0, false) }, {
      lines: 0, spin: 'none', score: 0, attack: 0, combo: -1, b2b: true, perfectClear: false,
    });
  });
});
