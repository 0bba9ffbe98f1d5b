// One player's board and the lock that changes it (rules.md "Locks", "Effects and when they
// apply", "Top-out"), as server/rules/board.py judges it: lockPiece writes one piece into a field
// and scores it (place_piece); applyLock is the lock with the effects around it (Board.apply_lock);
// applyPendingEffects takes the effects due at a lock boundary. Given the piece in hand after
// them (`inHand`, a letter), both also judge a block out (rules.md "Top-out").
//
// A board is {field, combo, b2b, lines, score, fx, incoming}: `fx` the id of the last effect
// applied, `incoming` the ones not applied yet, oldest first (ids fx + 1, fx + 2, …).
import { applyEffect, cancelGarbage, expectCount, parseEffect } from './effects.js';
import { Field } from './field.js';
import { canSpawn, verifyLast } from './movement.js';
import { TURNS, checkPiece, checkState, pieceCells } from './pieces.js';
import { detectSpin, scoreLock } from './scoring.js';

// The counters of a board: {field, combo, b2b, lines, score}; checkEffects checks fx, incoming.
export function checkBoard(board) {
  if (board === null || typeof board !== 'object' || !(board.field instanceof Field)) {
    throw new TypeError('board.field: expected a Field');
  }
  if (!Number.isSafeInteger(board.combo) || board.combo < -1) {
    throw new TypeError(`board.combo: expected an integer >= -1, got ${board.combo}`);
  }
  if (typeof board.b2b !== 'boolean') throw new TypeError('board.b2b: expected true or false');
  for (const key of ['lines', 'score']) {
    if (!Number.isSafeInteger(board[key]) || board[key] < 0) {
      throw new TypeError(`board.${key}: expected a non-negative integer, got ${board[key]}`);
    }
  }
}

// A lock as the client sends it: a piece state and, when its last action was a turn, `last`:
// {rot: 'cw' | 'ccw' | '180', kick: the 0-based test that placed it}.
export function checkLock(lock) {
  checkState(lock, 'lock');
  const last = lock.last ?? null;
  if (last !== null && (!Object.hasOwn(TURNS, last.rot) || !Number.isSafeInteger(last.kick)
      || last.kick < 0)) {
    throw new TypeError('lock.last: expected null or {rot: cw|ccw|180, kick: a test number}');
  }
}

// rules.md "Spins": the corners decide, but only for a claim that turn can have ended in (an
// unverifiable claim is ignored, never an error). The search runs only when the corners say spin.
function judgedSpin(field, lock) {
  const last = lock.last ?? null;
  const spin = detectSpin(field, lock, last);
  return spin === 'none' || verifyLast(field, lock, last) ? spin : 'none';
}

// rules.md "Top-out": the piece in hand after a lock or an effect must fit at its spawn.
function blockedOut(field, inHand) {
  if (inHand === null) return false;
  checkPiece(inHand, 'inHand');
  return !canSpawn(field, inHand);
}

// rules.md "Locks", "Scoring", "Attack", "Top-out": the piece locks into the board's field as it
// stands. No effects here: applyLock takes the pending ones before calling this and cancels
// garbage with the attack after. Returns the board {field, combo, b2b, lines, score} and what the
// lock did; `topOut` is 'lock_out', 'block_out' (of `inHand`, the next piece) or null.
export function lockPiece(board, lock, inHand = null) {
  checkBoard(board);
  checkLock(lock);
  if (!board.field.fits(lock)) throw new RangeError('lock: the piece does not fit (collision)');
  const spin = judgedSpin(board.field, lock);
  const { field, cleared } = board.field.place(lock).clearFullRows();
  const outcome = scoreLock(cleared, spin, board.combo, board.b2b, board.lines,
    cleared > 0 && field.isEmpty());
  // rules.md "Top-out": a lock out (the piece wholly above view), else a block out.
  const lockedAbove = pieceCells(lock.piece, lock.r).every(([, dy]) => lock.y + dy < 0);
  const topOut = (lockedAbove && 'lock_out') || (blockedOut(field, inHand) && 'block_out') || null;
  return Object.freeze({
    board: Object.freeze({
      field,
      combo: outcome.combo,
      b2b: outcome.b2b,
      lines: board.lines + cleared,
      score: board.score + outcome.score,
    }),
    result: Object.freeze({
      linesCleared: cleared,
      spin: outcome.spin,
      scoreDelta: outcome.score,
      attack: outcome.attack,
      perfectClear: outcome.perfectClear,
      toppedOut: topOut !== null,
      topOut,
    }),
  });
}

// rules.md "Locks", its three cases, as Board._deduce_hold: the books {next, hold} after a lock
// of sequence index `i` from `next` (the next unconsumed index) and `hold` ({i, piece} or null),
// or null when no case allows that index (out_of_order). `sequence[k]`: the letter of index k.
export function deduceHold(next, hold, i, sequence) {
  if (i === next) return { next: i + 1, hold }; // 1. the piece in hand, no hold
  const held = { i: next, piece: sequence[next] }; // 2 and 3: `next` goes into the slot
  if (hold === null && i === next + 1) return { next: i + 1, hold: held };
  if (hold !== null && i === hold.i) return { next: next + 1, hold: held };
  return null;
}

// A board's effects, checked: they apply in id order, so the incoming ids are fx + 1, fx + 2, …
function checkEffects(board) {
  const fx = expectCount(board.fx ?? 0, 'board.fx');
  const list = board.incoming ?? [];
  if (!Array.isArray(list)) throw new TypeError('board.incoming: expected an array of effects');
  const incoming = list.map((effect, k) => {
    const parsed = parseEffect(effect, `board.incoming[${k}]`);
    if (parsed.id !== fx + 1 + k) {
      throw new TypeError(`board.incoming[${k}].id: expected ${fx + 1 + k}, got ${parsed.id}`);
    }
    return parsed;
  });
  return { fx, incoming };
}

// Apply incoming effects in order up to id `upTo` (all by default), stopping at a top-out: a
// garbage out, or a block out of `inHand` once they are all in.
function takeEffects(field, fx, incoming, upTo, inHand) {
  let current = { field, fx, topOut: null };
  const applied = [];
  for (const effect of incoming) {
    if (effect.id > upTo || current.topOut !== null) break;
    const after = applyEffect(current.field, effect);
    current = { field: after.field, fx: effect.id, topOut: after.toppedOut ? 'garbage' : null };
    applied.push(effect);
  }
  if (current.topOut === null && applied.length > 0 && blockedOut(current.field, inHand)) {
    current.topOut = 'block_out';
  }
  return {
    ...current, toppedOut: current.topOut !== null, applied, incoming: incoming.slice(applied.length),
  };
}

// Apply the board's incoming effects (those with id <= upTo) now: the client does so right
// after each lock, the boundary before its next piece. Returns the new board, the effects
// applied (oldest first) and whether they topped the player out (`topOut` says how).
export function applyPendingEffects(board, upTo = Infinity, inHand = null) {
  checkBoard(board);
  const { fx, incoming } = checkEffects(board);
  if (typeof upTo !== 'number' || Number.isNaN(upTo)) {
    throw new TypeError(`upTo: expected an effect id, got ${upTo}`);
  }
  const taken = takeEffects(board.field, fx, incoming, upTo, inHand);
  return Object.freeze({
    board: Object.freeze({
      ...board, field: taken.field, fx: taken.fx, incoming: Object.freeze(taken.incoming),
    }),
    applied: Object.freeze(taken.applied),
    toppedOut: taken.toppedOut,
    topOut: taken.topOut,
  });
}

// A lock that is never played because an effect before it topped the player out.
function toppedOutBeforeLock(board, taken) {
  const result = Object.freeze({
    linesCleared: 0, spin: 'none', scoreDelta: 0, attack: 0, sent: 0, perfectClear: false,
    toppedOut: true, topOut: taken.topOut, applied: Object.freeze(taken.applied),
  });
  const newBoard = Object.freeze({
    ...board, field: taken.field, fx: taken.fx, incoming: Object.freeze(taken.incoming),
  });
  return { board: newBoard, result };
}

// rules.md "Effects and when they apply": the effects up to lock.fx (default: the board's fx,
// none new) apply first, then the lock (lockPiece), then its attack cancels the garbage still
// pending. `inHand`: the piece in hand after the lock, for a block out (with `before`, the one
// in hand before it, which the effects ahead of the lock must leave room for).
export function applyLock(board, lock, inHand = null, before = null) {
  checkBoard(board);
  const effects = checkEffects(board);
  checkLock(lock);
  const lockFx = expectCount(lock.fx ?? effects.fx, 'lock.fx');
  const newest = effects.fx + effects.incoming.length;
  if (lockFx > newest) {
    throw new RangeError(`lock.fx: unknown_effect ${lockFx} (the newest known is ${newest})`);
  }
  const taken = takeEffects(board.field, effects.fx, effects.incoming, lockFx, before);
  if (taken.toppedOut) return toppedOutBeforeLock(board, taken);
  const locked = lockPiece({ ...board, field: taken.field }, lock, inHand);
  const {
    linesCleared, spin, scoreDelta, attack, perfectClear, toppedOut, topOut,
  } = locked.result;
  const { incoming, sent } = cancelGarbage(taken.incoming, attack);
  const result = Object.freeze({
    linesCleared,
    spin,
    scoreDelta,
    attack,
    sent,
    perfectClear,
    toppedOut,
    topOut,
    applied: Object.freeze(taken.applied),
  });
  const newBoard = Object.freeze({
    ...locked.board, fx: taken.fx, incoming: Object.freeze(incoming),
  });
  return { board: newBoard, result };
}
