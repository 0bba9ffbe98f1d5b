// What the player just did, in the words of the HUD's callout (Tetris, T-spin double, combo ×3,
// back-to-back, perfect clear, lines sent) and the sound it makes. Pure: from the outcome of a
// lock as the JS rules compute it (rules/board.js applyLock's result) and the board's counters
// before and after it.
import { isDifficult } from './rules/scoring.js';

const COUNT = ['', 'single', 'double', 'triple'];

// The name of the clear itself: null for a plain single, double or triple (nothing to call).
function clearName(lines, spin) {
  if (spin === 'tspin') return lines === 0 ? 'T-spin' : `T-spin ${COUNT[lines]}`;
  if (spin === 'mini') return lines === 0 ? 'Mini T-spin' : `Mini T-spin ${COUNT[lines]}`;
  return lines === 4 ? 'Tetris' : null;
}

/**
 * The callout of one lock: {words: [...], sent, cue} or null when there is nothing to call.
 * result: {linesCleared, spin: 'none' | 'mini' | 'tspin', attack, perfectClear};
 * after: {combo, b2b} of the board after the lock; b2bBefore: its b2b before.
 * `cue` is the sound (sound.js): 'lock', 'clear', 'tetris' or 'tspin'.
 */
export function calloutFor(result, after, b2bBefore) {
  const lines = result.linesCleared;
  const spin = result.spin ?? 'none';
  const difficult = isDifficult(lines, spin);
  const words = [];
  const name = clearName(lines, spin);
  if (name !== null) words.push(name);
  if (difficult && b2bBefore) words.push('Back-to-back');
  if (lines > 0 && after.combo >= 1) words.push(`Combo ×${after.combo}`);
  if (result.perfectClear) words.push('Perfect clear');
  const sent = result.attack ?? 0;
  let cue = lines > 0 ? 'clear' : 'lock';
  if (spin !== 'none') cue = 'tspin';
  else if (lines === 4) cue = 'tetris';
  if (words.length === 0 && sent === 0) return { words, sent, cue, shown: false };
  return { words, sent, cue, shown: true };
}

/** "Tetris · Back-to-back · 5 lines sent" */
export function calloutText({ words, sent }) {
  const parts = [...words];
  if (sent > 0) parts.push(`${sent} line${sent === 1 ? '' : 's'} sent`);
  return parts.join(' · ');
}

export const CALLOUT_MS = 1100; // how long a callout shows, fading
