// static/js/rules/bag.js against rules.md "The piece sequence" (server/rules/bag.py), with the
// shared vectors of tests/vectors/bag.json.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { bagSequence } from '../../../static/js/rules/bag.js';
import { PIECES } from '../../../static/js/rules/pieces.js';
import { loadVectors } from '../vectors.js';

test('bag.json: the 7-bag sequence', async (t) => {
  for (const v of loadVectors('bag.json')) {
    await t.test(`seed ${v.seed}`, () => {
      assert.equal(bagSequence(v.seed, v.pieces.length).join(''), v.pieces);
    });
  }
});

describe('bag', () => {
  test('the sequence is bags of all seven pieces', () => {
    assert.equal(bagSequence(1, 14).join(''), 'JTZOLISTIJOLZS');
    const sequence = bagSequence(7, 70);
    for (let k = 0; k < 70; k += 7) {
      assert.deepEqual([...sequence.slice(k, k + 7)].sort(), [...PIECES]);
    }
    assert.deepEqual(bagSequence(7, 5), sequence.slice(0, 5));
  });

  test('bad seeds and counts are refused', () => {
    assert.throws(() => bagSequence(-1, 7), /seed/);
    assert.throws(() => bagSequence(1, -1), /count/);
  });
});
