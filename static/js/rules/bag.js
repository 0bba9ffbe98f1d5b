// The endless, seeded 7-bag piece sequence both players of a match draw from
// (rules.md "The piece sequence"), as server/rules/bag.py draws it.
import { PIECES } from './pieces.js';
import { createRng } from './rng.js';

/** The first `count` pieces of the sequence of `seed`. */
export function bagSequence(seed, count) {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count: expected a non-negative integer, got ${count}`);
  }
  const rng = createRng(seed);
  const sequence = [];
  while (sequence.length < count) {
    // Fisher–Yates from the last position down.
    const bag = [...PIECES];
    for (let i = bag.length - 1; i >= 1; i -= 1) {
      const j = rng.below(i + 1);
      [bag[i], bag[j]] = [bag[j], bag[i]];
    }
    sequence.push(...bag);
  }
  return sequence.slice(0, count);
}
