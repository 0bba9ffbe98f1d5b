// Spins, score and attack of one lock (rules.md "Spins", "Scoring", "Attack"), as
// server/rules/scoring.py computes them.
import { EMPTY } from './field.js';
import { TURNS, checkState } from './pieces.js';

// rules.md "Scoring": base points by spin and lines cleared (missing entries cannot happen: a
// mini T-spin cannot clear 3 lines, nor a T 4).
const BASE_SCORE = {
  none: [0, 100, 300, 500, 800],
  mini: [100, 200, 400],
  tspin: [400, 800, 1200, 1600],
};
const COMBO_SCORE = 50; // × combo × level
const PERFECT_CLEAR_SCORE = [0, 800, 1200, 1800, 2000]; // × level
const MAX_LEVEL_LINES = 140;
const LINES_PER_LEVEL = 10;

// rules.md "Attack": lines sent by spin and lines cleared, and the bonuses on top.
const ATTACK = {
  none: [0, 0, 1, 2, 4],
  mini: [0, 0, 1],
  tspin: [0, 2, 4, 6],
};
const BACK_TO_BACK_ATTACK = 1;
const COMBO_ATTACK = [0, 0, 1, 1, 1, 2, 2, 3, 3, 4]; // indexed by min(combo, 9)
const PERFECT_CLEAR_ATTACK = 10;

// rules.md "Spins": the corners of the T's 3x3 box, and the two on the side it points to.
const T_CORNERS = [[0, 0], [2, 0], [0, 2], [2, 2]];
// tetris.wiki T-Spin: a 90° turn kicked by test 5 (the 1×2 offset: TST, Fin) is always full.
const FULL_SPIN_KICK = 4;
const T_FRONT_CORNERS = [
  [[0, 0], [2, 0]],
  [[2, 0], [2, 2]],
  [[0, 2], [2, 2]],
  [[0, 0], [0, 2]],
];

/** 1..15: one level per 10 lines, capped at 140 lines. */
export function levelFor(linesBefore) {
  return 1 + Math.floor(Math.min(linesBefore, MAX_LEVEL_LINES) / LINES_PER_LEVEL);
}

// The 3-corner rule on the field the piece locks into (before its letter is written). `last` is
// the lock's last turn {rot, kick}, taken as checked (board.js ignores a claim no turn can have
// ended in), or null when the last action was a move. Full when both front corners are taken or
// a 90° turn kicked by test 5; else mini. The lines cleared play no part.
export function detectSpin(field, state, last) {
  if (last !== null && !Object.hasOwn(TURNS, last?.rot)) {
    throw new TypeError('last: expected null or {rot: cw|ccw|180, kick}');
  }
  checkState(state);
  if (state.piece !== 'T' || last === null) return 'none';
  const occupied = ([dx, dy]) => field.get(state.x + dx, state.y + dy) !== EMPTY;
  if (T_CORNERS.filter(occupied).length < 3) return 'none';
  const full = T_FRONT_CORNERS[state.r].every(occupied)
    || (last.rot !== '180' && last.kick === FULL_SPIN_KICK);
  return full ? 'tspin' : 'mini';
}

// rules.md "Back-to-back": a Tetris or a spin that clears lines.
export function isDifficult(lines, spin) {
  return lines === 4 || (spin !== 'none' && lines > 0);
}

// Score and attack of a lock clearing `lines` with `spin` (as detectSpin found it), from the
// counters before it: {lines, spin, score, attack, combo, b2b, perfectClear}, combo and b2b as
// they are after the lock.
export function scoreLock(lines, spin, comboBefore, b2bBefore, linesBefore, perfectClear) {
  const level = levelFor(linesBefore);
  const difficult = isDifficult(lines, spin);
  const backToBack = difficult && b2bBefore;
  const combo = lines > 0 ? comboBefore + 1 : -1;
  let base = BASE_SCORE[spin][lines];
  if (backToBack) base = Math.floor((base * 3) / 2);
  const comboBonus = lines > 0 && combo >= 1 ? COMBO_SCORE * combo * level : 0;
  const perfectBonus = perfectClear ? PERFECT_CLEAR_SCORE[lines] * level : 0;
  const attack = lines === 0 ? 0 : ATTACK[spin][lines]
    + (backToBack ? BACK_TO_BACK_ATTACK : 0)
    + COMBO_ATTACK[Math.min(combo, COMBO_ATTACK.length - 1)]
    + (perfectClear ? PERFECT_CLEAR_ATTACK : 0);
  return Object.freeze({
    lines,
    spin,
    score: base * level + comboBonus + perfectBonus,
    attack,
    combo,
    b2b: difficult || (lines === 0 && b2bBefore),
    perfectClear,
  });
}
