// static/js/callouts.js: the HUD's words for a lock, and its sound.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { calloutFor, calloutText } from '../../static/js/callouts.js';

const lock = (linesCleared, spin = 'none', extra = {}) => ({
  linesCleared, spin, attack: 0, perfectClear: false, ...extra,
});
const quiet = { combo: -1, b2b: false };

describe('calloutFor', () => {
  test('a plain lock or single: nothing to call, the lock and clear sounds', () => {
    assert.deepEqual(calloutFor(lock(0), quiet, false),
      { words: [], sent: 0, cue: 'lock', shown: false });
    assert.deepEqual(calloutFor(lock(1), { combo: 0, b2b: false }, false),
      { words: [], sent: 0, cue: 'clear', shown: false });
  });

  test('Tetris, T-spins full and mini, by lines', () => {
    const name = (lines, spin) => calloutFor(lock(lines, spin), quiet, false).words[0];
    assert.equal(name(4, 'none'), 'Tetris');
    assert.equal(name(0, 'tspin'), 'T-spin');
    assert.equal(name(1, 'tspin'), 'T-spin single');
    assert.equal(name(2, 'tspin'), 'T-spin double');
    assert.equal(name(3, 'tspin'), 'T-spin triple');
    assert.equal(name(0, 'mini'), 'Mini T-spin');
    assert.equal(name(1, 'mini'), 'Mini T-spin single');
    assert.equal(calloutFor(lock(4), quiet, false).cue, 'tetris');
    assert.equal(calloutFor(lock(2, 'tspin'), quiet, false).cue, 'tspin');
  });

  test('back-to-back only for a difficult clear after one; combo from the second clear on', () => {
    const b2b = { combo: 0, b2b: true };
    assert.deepEqual(calloutFor(lock(4), b2b, true).words, ['Tetris', 'Back-to-back']);
    assert.deepEqual(calloutFor(lock(4), b2b, false).words, ['Tetris']);
    assert.deepEqual(calloutFor(lock(2), { combo: 3, b2b: true }, true).words, ['Combo ×3']);
    assert.deepEqual(calloutFor(lock(0), { combo: -1, b2b: true }, true).words, []);
  });

  test('perfect clear and lines sent', () => {
    const outcome = calloutFor(lock(4, 'none', { attack: 14, perfectClear: true }),
      { combo: 0, b2b: true }, true);
    assert.deepEqual(outcome.words, ['Tetris', 'Back-to-back', 'Perfect clear']);
    assert.equal(calloutText(outcome), 'Tetris · Back-to-back · Perfect clear · 14 lines sent');
    const single = calloutFor(lock(2, 'none', { attack: 1 }), { combo: 1, b2b: false }, false);
    assert.equal(single.shown, true);
    assert.equal(calloutText(single), 'Combo ×1 · 1 line sent');
  });
});
