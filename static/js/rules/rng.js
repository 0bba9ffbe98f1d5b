// mulberry32 over unsigned 32-bit integers (rules.md "The piece sequence"), as
// server/rules/rng.py draws it, so Python and JavaScript draw the same numbers.

export function createRng(seed) {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xFFFFFFFF) {
    throw new RangeError(`seed: expected an integer in [0, 2^32), got ${seed}`);
  }
  let state = seed;
  const nextU32 = () => {
    state = (state + 0x6D2B79F5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61); // ^ reduces the sum mod 2^32
    return (t ^ (t >>> 14)) >>> 0;
  };
  const below = (n) => {
    if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 32) {
      throw new RangeError(`below: expected an integer in [1, 2^32], got ${n}`);
    }
    // (u32 * n) >>> 32, exact: a double holds the product only while it stays under 2^53.
    return Number((BigInt(nextU32()) * BigInt(n)) >> 32n);
  };
  return Object.freeze({ nextU32, below });
}
