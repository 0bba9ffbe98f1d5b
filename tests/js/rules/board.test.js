// static/js/rules/board.js against rules.md "Locks", "Effects and when they apply" and "Top-out"
// (server/rules/board.py), with the shared vectors of tests/vectors/locks.json (place_piece's
// lock, lockPiece here) and battle.json (Board.apply_lock's, applyLock here).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  applyLock, applyPendingEffects, deduceHold, lockPiece,
} from '../../../static/js/rules/board.js';
import { Field, HEIGHT } from '../../../static/js/rules/field.js';
import { detectSpin } from '../../../static/js/rules/scoring.js';
import { EMPTY_ROWS, board, loadVectors, rowsWithBottom } from '../vectors.js';

describe('shared vectors', () => {
  test('locks.json: applying a lock, scoring, attack, top-out', async (t) => {
    for (const v of loadVectors('locks.json')) {
      await t.test(v.name, () => {
        const before = { ...v.before, field: Field.fromRows(v.before.field, v.before.hidden) };
        const { board: after, result } = lockPiece(before, v.lock);
        assert.deepEqual({
          field: after.field.toRows(), hidden: after.field.hiddenHex(), combo: after.combo, b2b: after.b2b, lines: after.lines,
          score: after.score, lines_cleared: result.linesCleared, spin: result.spin,
          score_delta: result.scoreDelta, attack: result.attack,
          perfect_clear: result.perfectClear, topped_out: result.toppedOut,
        }, v.after);
      });
    }
  });

  test('battle.json: effects up to lock.fx, the lock, then cancelling', async (t) => {
    for (const v of loadVectors('battle.json')) {
      await t.test(v.name, () => {
        const before = { ...v.before, field: Field.fromRows(v.before.field, v.before.hidden) };
        const { board: after, result } = applyLock(before, v.lock, v.hand.after, v.hand.before);
        assert.deepEqual({
          field: after.field.toRows(), hidden: after.field.hiddenHex(), combo: after.combo,
          b2b: after.b2b, lines: after.lines,
          score: after.score, fx: after.fx, incoming: after.incoming, sent: result.sent,
          lines_cleared: result.linesCleared, score_delta: result.scoreDelta,
          attack: result.attack, topped_out: result.toppedOut, top_out: result.topOut,
        }, v.after);
      });
    }
  });
});

// A column of blocks 40 rows high (the hidden rows too): any garbage pushes it out of the buffer.
const COLUMN = Array(HEIGHT).fill('G.........');
const BRIM = Field.fromRows(COLUMN, '001'.repeat(20));

describe('locks, spins and scores', () => {
  // A T-spin double slot: the T points down into (4, 19) under an overhang at (3, 17).
  const TSD_ROWS = rowsWithBottom('GGGG......', 'GGG...GGGG', 'GGGG.GGGGG');
  const TSD_LOCK = { piece: 'T', r: 2, x: 3, y: 17, last: { rot: 'cw', kick: 0 } };

  test('a T-spin double: 1200 x level, 4 lines sent, back-to-back set', () => {
    const { board: after, result } = applyLock(board(TSD_ROWS), TSD_LOCK);
    assert.deepEqual({ ...result }, {
      linesCleared: 2, spin: 'tspin', scoreDelta: 1200, attack: 4, sent: 4, perfectClear: false,
      toppedOut: false, topOut: null, applied: [],
    });
    assert.deepEqual(after.field.toRows(), rowsWithBottom('GGGG......'));
    assert.deepEqual({ ...after, field: null },
      { field: null, combo: 0, b2b: true, lines: 2, score: 1200, fx: 0, incoming: [] });
  });

  test('back-to-back scores 3/2 and sends 1 more; the level multiplies', () => {
    const b2b = applyLock(board(TSD_ROWS, { b2b: true, lines: 25, score: 7 }), TSD_LOCK);
    assert.equal(b2b.result.scoreDelta, 1800 * 3);
    assert.equal(b2b.result.attack, 5);
    assert.equal(b2b.board.score, 7 + 5400);
    assert.equal(b2b.board.lines, 27);
    const capped = applyLock(board(TSD_ROWS, { lines: 900 }), TSD_LOCK);
    assert.equal(capped.result.scoreDelta, 1200 * 15);
  });

  test('without the spin claim the same lock is a plain double that clears back-to-back', () => {
    const { board: after, result } = applyLock(board(TSD_ROWS, { b2b: true }),
      { ...TSD_LOCK, last: null });
    assert.equal(result.spin, 'none');
    assert.equal(result.scoreDelta, 300);
    assert.equal(result.attack, 1);
    assert.equal(after.b2b, false);
  });

  test('a mini T-spin: three corners, one front corner open, no line', () => {
    const rows = rowsWithBottom('.G........');
    const lock = { piece: 'T', r: 1, x: -1, y: 17, last: { rot: 'cw', kick: 1 } };
    assert.equal(detectSpin(Field.fromRows(rows), lock, lock.last), 'mini');
    assert.equal(detectSpin(Field.fromRows(rows), lock, null), 'none');
    const { board: after, result } = applyLock(board(rows, { b2b: true, combo: 3 }), lock);
    assert.equal(result.spin, 'mini');
    assert.equal(result.scoreDelta, 100);
    assert.equal(result.attack, 0);
    assert.equal(after.b2b, true); // a lock that clears nothing leaves the flag alone
    assert.equal(after.combo, -1);
  });

  test('a perfect clear single scores 100 + 800 and sends 10', () => {
    const rows = rowsWithBottom('....GGGGGG');
    const { board: after, result } = applyLock(board(rows),
      { piece: 'I', r: 0, x: 0, y: 18 });
    assert.equal(result.perfectClear, true);
    assert.equal(result.scoreDelta, 900);
    assert.equal(result.attack, 10);
    assert.ok(after.field.isEmpty());
  });

  test('combo: the fourth clear in a row scores 50 x 3 more and sends 1 more', () => {
    const rows = rowsWithBottom('G.........', '....GGGGGG');
    const { board: after, result } = applyLock(board(rows, { combo: 2 }),
      { piece: 'I', r: 0, x: 0, y: 18 });
    assert.equal(after.combo, 3);
    assert.equal(result.scoreDelta, 100 + 150);
    assert.equal(result.attack, 1);
  });

  test('a tetris is difficult: back-to-back after it', () => {
    const rows = rowsWithBottom('G.........', ...Array(4).fill('GGGGGGGGG.'));
    const { board: after, result } = applyLock(board(rows),
      { piece: 'I', r: 1, x: 7, y: 16 });
    assert.equal(result.linesCleared, 4);
    assert.equal(result.scoreDelta, 800);
    assert.equal(result.attack, 4);
    assert.equal(after.b2b, true);
  });

  test('a lock wholly in the hidden rows is a lock out; partly hidden plays on', () => {
    // applyLock judges only the lock (no piece in hand given): the floating states do not matter.
    const high = applyLock(board(EMPTY_ROWS), { piece: 'T', r: 0, x: 3, y: -1 });
    assert.deepEqual([high.result.toppedOut, high.result.topOut], [false, null]);
    assert.equal(high.board.field.hiddenHex(), '010');
    const above = applyLock(board(EMPTY_ROWS), { piece: 'O', r: 0, x: 3, y: -2 });
    assert.deepEqual([above.result.toppedOut, above.result.topOut], [true, 'lock_out']);
    const low = applyLock(board(EMPTY_ROWS), { piece: 'T', r: 0, x: 3, y: 0 });
    assert.equal(low.result.toppedOut, false);
  });

  test('a block out: the piece in hand after the lock overlaps at its spawn', () => {
    const rows = [EMPTY_ROWS[0], ...Array(HEIGHT - 1).fill('....G.....')];
    const lock = { piece: 'I', r: 1, x: 2, y: -3 }; // column 4, rows -3..0
    const out = applyLock(board(rows), lock, 'T');
    assert.deepEqual([out.result.toppedOut, out.result.topOut], [true, 'block_out']);
    assert.equal(out.board.field.hiddenHex(), '010010010');
    const fine = applyLock(board(rows), lock, 'I'); // an I spawns in row -1: blocked too
    assert.deepEqual([fine.result.toppedOut, fine.result.topOut], [true, 'block_out']);
  });

  test('bad locks and boards are refused and change nothing', () => {
    const before = board(TSD_ROWS);
    assert.throws(() => applyLock(before, { ...TSD_LOCK, y: 18 }), /collision/);
    assert.throws(() => applyLock(before, { ...TSD_LOCK, last: { rot: 'up', kick: 0 } }),
      /lock\.last/);
    assert.throws(() => applyLock(before, TSD_LOCK, 'X'), /inHand\.piece/);
    assert.throws(() => applyLock(before, { ...TSD_LOCK, piece: 'X' }), /lock\.piece/);
    assert.throws(() => applyLock({ ...before, field: TSD_ROWS }, TSD_LOCK), /board\.field/);
    assert.throws(() => applyLock({ ...before, combo: -2 }, TSD_LOCK), /board\.combo/);
    assert.deepEqual(before.field.toRows(), TSD_ROWS);
  });
});

describe('locks with effects (rules.md "Effects and when they apply", "Garbage")', () => {
  const garbage = (id, lines, hole = 0) => ({ id, kind: 'garbage', from: 'bob', lines, hole });
  const quake = (id) => ({ id, kind: 'quake', from: 'bob', shifts: Array(HEIGHT).fill(1) });
  const VERTICAL_I = { piece: 'I', r: 1, x: 7, y: 16 }; // column 9, rows 16-19
  const TETRIS_ROWS = rowsWithBottom('G.........', ...Array(4).fill('GGGGGGGGG.'));

  test('effects up to lock.fx apply first, then the lock; its attack cancels the rest', () => {
    const before = board(rowsWithBottom('GGGGGGGGG.'),
      { incoming: [garbage(1, 1, 9), garbage(2, 2, 0)] });
    const { board: after, result } = applyLock(before, { ...VERTICAL_I, fx: 1 });
    // Garbage 1 made a second row open at column 9; the I clears both (a double: attack 1).
    assert.deepEqual(after.field.toRows(), rowsWithBottom('.........I', '.........I'));
    assert.deepEqual(result.applied, [garbage(1, 1, 9)]);
    assert.equal(result.linesCleared, 2);
    assert.equal(result.attack, 1);
    assert.equal(result.sent, 0);
    assert.equal(after.fx, 1);
    assert.deepEqual(after.incoming, [garbage(2, 1, 0)]);
  });

  test('cancelling: oldest first, line for line; an effect cut to 0 stays; powers are skipped',
    () => {
      const incoming = [garbage(1, 1), quake(2), garbage(3, 3, 4), garbage(4, 2, 5)];
      const before = board(TETRIS_ROWS, { b2b: true, incoming });
      const { board: after, result } = applyLock(before, { ...VERTICAL_I, fx: 0 });
      assert.equal(result.attack, 5); // a back-to-back tetris
      assert.equal(result.sent, 0);
      assert.deepEqual(after.incoming,
        [garbage(1, 0), quake(2), garbage(3, 0, 4), garbage(4, 1, 5)]);
      assert.equal(after.fx, 0);
    });

  test('what the cancelling leaves is sent', () => {
    const before = board(TETRIS_ROWS, { fx: 6, incoming: [garbage(7, 1), quake(8)] });
    const { board: after, result } = applyLock(before, VERTICAL_I);
    assert.equal(result.sent, 3);
    assert.deepEqual(after.incoming, [garbage(7, 0), quake(8)]);
    assert.equal(after.fx, 6, 'a lock without fx takes no new effect');
  });

  test('an applied effect with 0 lines changes nothing', () => {
    const before = board(TETRIS_ROWS, { incoming: [garbage(1, 0, 3)] });
    const { board: after, result } = applyLock(before, { ...VERTICAL_I, fx: 1 });
    assert.equal(after.fx, 1);
    assert.equal(result.linesCleared, 4);
    assert.equal(result.sent, 4);
  });

  test('the lock is judged on the field after the effects', () => {
    const before = board(EMPTY_ROWS, { incoming: [garbage(1, 1)] });
    const flat = { piece: 'T', r: 0, x: 3, y: 18 };
    assert.doesNotThrow(() => applyLock(before, flat));
    assert.throws(() => applyLock(before, { ...flat, fx: 1 }), /collision/);
  });

  test('an effect that tops out before the lock ends it there', () => {
    const before = board(COLUMN, { field: BRIM, incoming: [garbage(1, 1, 5), garbage(2, 1)] });
    const { board: after, result } = applyLock(before,
      { piece: 'T', r: 0, x: 3, y: 17, fx: 2 });
    assert.deepEqual([result.toppedOut, result.topOut], [true, 'garbage']);
    assert.equal(result.linesCleared, 0);
    assert.equal(result.sent, 0);
    assert.equal(after.fx, 1);
    assert.deepEqual(after.field.toRows(), [...COLUMN.slice(1), 'GGGGG.GGGG']);
  });

  test('a lock.fx below the board fx is judged on the board as it is', () => {
    const before = board(TETRIS_ROWS, { fx: 4, incoming: [garbage(5, 2)] });
    const { board: after, result } = applyLock(before, { ...VERTICAL_I, fx: 2 });
    assert.equal(after.fx, 4);
    assert.deepEqual(after.incoming, [garbage(5, 0)]);
    assert.equal(result.sent, 2);
  });

  test('an unknown effect, a gap in the ids or a bad effect is refused', () => {
    const before = board(TETRIS_ROWS, { fx: 1, incoming: [garbage(2, 1)] });
    assert.throws(() => applyLock(before, { ...VERTICAL_I, fx: 3 }), /unknown_effect/);
    assert.throws(() => applyLock(before, { ...VERTICAL_I, fx: -1 }), /lock\.fx/);
    assert.throws(() => applyLock({ ...before, incoming: [garbage(3, 1)] }, VERTICAL_I),
      /board\.incoming\[0\]\.id: expected 2/);
    assert.throws(() => applyLock({ ...before, incoming: [garbage(2, 1, 12)] }, VERTICAL_I),
      /board\.incoming\[0\]\.hole/);
    assert.throws(() => applyLock({ ...before, fx: 'x' }, VERTICAL_I), /board\.fx/);
    assert.throws(() => applyLock({ ...before, incoming: {} }, VERTICAL_I), /board\.incoming/);
  });

  test('applyPendingEffects takes every effect now, or those up to an id', () => {
    const rows = rowsWithBottom('T.........');
    const before = board(rows, { incoming: [garbage(1, 1, 2), { id: 2, kind: 'clear_line' }] });
    const all = applyPendingEffects(before);
    assert.deepEqual(all.board.field.toRows(), rows);
    assert.deepEqual([all.board.fx, all.board.incoming, all.toppedOut], [2, [], false]);
    assert.deepEqual(all.applied.map((effect) => effect.id), [1, 2]);
    const first = applyPendingEffects(before, 1);
    assert.deepEqual(first.board.field.toRows(), rowsWithBottom('T.........', 'GG.GGGGGGG'));
    assert.deepEqual(first.board.incoming, [{ id: 2, kind: 'clear_line' }]);
    assert.equal(first.board.score, 0);
  });

  test('applyPendingEffects stops at a top-out', () => {
    const before = board(COLUMN, { field: BRIM, incoming: [garbage(1, 1), { id: 2, kind: 'nuke' }] });
    const { board: after, applied, toppedOut, topOut } = applyPendingEffects(before);
    assert.deepEqual([toppedOut, topOut], [true, 'garbage']);
    assert.equal(after.fx, 1);
    assert.deepEqual(applied.map((effect) => effect.id), [1]);
    assert.deepEqual(after.incoming, [{ id: 2, kind: 'nuke' }]);
  });
});

test('a spin claim no turn can have ended in is ignored, whatever the corners say', () => {
  // A sealed pocket: all four corners are blocks, but nothing can get in, let alone turn in.
  const rows = rowsWithBottom('GGGGGGGGG.', 'G...GGGGGG', 'GG.GGGGGGG', 'GGGGGGGGG.');
  const lock = { piece: 'T', r: 2, x: 1, y: 16, last: { rot: 'cw', kick: 0 } };
  assert.equal(detectSpin(Field.fromRows(rows), lock, lock.last), 'tspin');
  const { result } = lockPiece(board(rows), lock);
  assert.deepEqual([result.spin, result.linesCleared, result.scoreDelta, result.attack],
    ['none', 2, 300, 1]);
});

test('the books after a lock follow the three cases of rules.md "Locks"', () => {
  const sequence = ['T', 'I', 'O', 'S', 'Z'];
  // 1. the piece in hand, no hold: the slot stays as it was
  assert.deepEqual(deduceHold(2, null, 2, sequence), { next: 3, hold: null });
  // 2. `next` held from an empty slot, its successor locked
  assert.deepEqual(deduceHold(2, null, 3, sequence), { next: 4, hold: { i: 2, piece: 'O' } });
  // 3. the held piece swapped in: `next` goes into the slot, only it is consumed
  assert.deepEqual(deduceHold(2, { i: 0, piece: 'T' }, 0, sequence),
    { next: 3, hold: { i: 2, piece: 'O' } });
  // no case allows these: out of order
  assert.equal(deduceHold(2, { i: 0, piece: 'T' }, 3, sequence), null);
  assert.equal(deduceHold(2, null, 4, sequence), null);
  assert.equal(deduceHold(2, null, 1, sequence), null);
});
