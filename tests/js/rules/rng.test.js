// static/js/rules/rng.js against rules.md "The piece sequence" (server/rules/rng.py), with the
// shared vectors of tests/vectors/rng.json.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { createRng } from '../../../static/js/rules/rng.js';
import { loadVectors } from '../vectors.js';

test('rng.json: mulberry32 u32 and below(n)', async (t) => {
  for (const v of loadVectors('rng.json')) {
    await t.test(`seed ${v.seed}`, () => {
      const rng = createRng(v.seed);
      assert.deepEqual(v.u32.map(() => rng.nextU32()), v.u32);
      const fresh = createRng(v.seed);
      assert.deepEqual(v.below.values.map(() => fresh.below(v.below.n)), v.below.values);
    });
  }
});

describe('rng', () => {
  test('mulberry32 matches the pseudocode of rules.md (computed by hand in Python)', () => {
    const rng = createRng(42);
    assert.deepEqual([1, 2, 3].map(() => rng.nextU32()), [2581720956, 1925393290, 3661312704]);
    const top = createRng(0xFFFFFFFF);
    assert.equal(top.nextU32(), 3850105811);
    const seven = createRng(2024);
    assert.deepEqual([...Array(10)].map(() => seven.below(7)), [5, 4, 4, 4, 3, 4, 2, 1, 3, 4]);
  });

  test('bad seeds and bounds are refused', () => {
    assert.throws(() => createRng(-1), /seed/);
    assert.throws(() => createRng(2 ** 32), /seed/);
    assert.throws(() => createRng(1.5), /seed/);
    assert.throws(() => createRng(1).below(0), /below/);
  });
});
