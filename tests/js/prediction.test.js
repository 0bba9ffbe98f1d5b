// static/js/prediction.js: hold and lock bookkeeping (rules.md "Hold", "Locks") and the
// reconciliation of docs/protocol.md, checked against a small model of the server's rules.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Prediction } from '../../static/js/prediction.js';
import { bagSequence } from '../../static/js/rules/bag.js';
import { applyLock, applyPendingEffects } from '../../static/js/rules/board.js';
import { Field, HEIGHT } from '../../static/js/rules/field.js';
import { drop, move, rotate, rotationKick } from '../../static/js/rules/movement.js';
import { createRng } from '../../static/js/rules/rng.js';
import { serverConstants } from './vectors.js';

const EMPTY_ROWS = Array(HEIGHT).fill('..........');
const SEQUENCE = bagSequence(12345, 70);
const PREVIEW = serverConstants().preview; // next_block's length, as the server sends it

// rules.md "Locks": the three cases the server accepts, as the server states them.
function serverAccept(books, lock) {
  const { next, hold } = books;
  assert.equal(lock.piece, SEQUENCE[lock.i], `lock ${lock.n}: wrong_piece`);
  if (lock.i === next) return { next: lock.i + 1, hold };
  if (hold === null && lock.i === next + 1) return { next: lock.i + 1, hold: next };
  if (hold !== null && lock.i === hold) return { next: next + 1, hold: next };
  assert.fail(`lock ${lock.n}: out_of_order (i ${lock.i}, next ${next}, hold ${hold})`);
}

// A server message as the server would send it for a player whose books are given.
function serverMessage({
  rows = EMPTY_ROWS, next = 0, hold = null, ack = 0, rejected = null, score = 0,
  command = 'game_flux', preview = PREVIEW, extra = {},
} = {}) {
  return {
    timestamp: 1, command, game_name: 'G', self: 'alice', opponent: 'bob', token: 'T',
    user_blocks: rows, opponent_blocks: EMPTY_ROWS,
    next_block: SEQUENCE.slice(next, next + preview), piece_index: next,
    hold: hold === null ? null : SEQUENCE[hold], ack, rejected, user_score: score,
    combo: -1, b2b: false, lines: 0, time_left: 1000, ...extra,
  };
}

function started(options = {}) {
  const prediction = new Prediction();
  prediction.applyServer(serverMessage({ command: 'game_start', ...options }));
  return prediction;
}

// Slide the piece in hand dx columns (as far as it goes), drop it and lock it.
function placeAndLock(prediction, dx = 0) {
  const field = prediction.board.field;
  let state = prediction.active;
  for (let k = 0; k < Math.abs(dx); k += 1) state = move(field, state, Math.sign(dx), 0) ?? state;
  prediction.setActive(drop(field, state));
  const lock = prediction.active;
  prediction.lock(null);
  return lock;
}

function snapshot(prediction) {
  return {
    field: prediction.board.field.toRows(), score: prediction.board.score,
    active: prediction.active && { ...prediction.active }, locks: prediction.pendingLocks(99),
    hold: prediction.holdPiece,
  };
}

describe('the first server state', () => {
  test('nothing is known before it', () => {
    const prediction = new Prediction();
    assert.equal(prediction.active, null);
    assert.equal(prediction.board, null);
    assert.deepEqual(prediction.pendingLocks(), []);
    assert.throws(() => prediction.lock(null), /no piece in hand/);
  });

  test('pieces come from next_block by piece_index', () => {
    const prediction = started({ next: 5 });
    assert.deepEqual({ ...prediction.active }, { i: 5, piece: SEQUENCE[5], r: 0, x: 3, y: -2 });
    assert.deepEqual(prediction.preview(5), SEQUENCE.slice(6, 11));
    assert.deepEqual(prediction.preview(99), SEQUENCE.slice(6, 5 + PREVIEW));
    assert.deepEqual({ ...prediction.board, field: null },
      { field: null, combo: -1, b2b: false, lines: 0, score: 0, fx: 0, incoming: [] });
  });

  test('bad messages are refused and change nothing', () => {
    const prediction = started();
    placeAndLock(prediction);
    const before = snapshot(prediction);
    const bad = [
      [serverMessage({ rows: EMPTY_ROWS.slice(1) }), /user_blocks/],
      [serverMessage({ extra: { next_block: ['T', 'X'] } }), /next_block\[1\]/],
      [serverMessage({ extra: { piece_index: -1 } }), /piece_index/],
      [serverMessage({ extra: { ack: '1' } }), /ack/],
      [serverMessage({ extra: { hold: 'Q' } }), /hold/],
      [{ ...serverMessage(), command: 'game_end' }, /game_start or game_flux/],
      [null, /game_start or game_flux/],
    ];
    for (const [message, error] of bad) {
      assert.throws(() => prediction.applyServer(message), error);
      assert.deepEqual(snapshot(prediction), before);
    }
  });
});

describe('locks', () => {
  test('a lock is queued, applied to the predicted board, and the next piece spawns', () => {
    const prediction = started();
    const state = placeAndLock(prediction);
    assert.deepEqual(prediction.pendingLocks(),
      [{ n: 0, i: 0, piece: state.piece, r: state.r, x: state.x, y: state.y, fx: 0 }]);
    const expected = applyLock({ ...prediction.board, field: Field.empty() },
      { ...state }).board.field;
    assert.deepEqual(prediction.board.field.toRows(), expected.toRows());
    assert.equal(prediction.active.i, 1);
    assert.equal(prediction.active.piece, SEQUENCE[1]);
  });

  test('pendingLocks gives the oldest 8 by default', () => {
    const prediction = started();
    for (let k = 0; k < 10; k += 1) placeAndLock(prediction, [-4, 0, 4, -2, 2][k % 5]);
    assert.deepEqual(prediction.pendingLocks().map((lock) => lock.n), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(prediction.pendingLocks(20).length, 10);
  });

  test('a floating piece is not locked, and nothing changes', () => {
    const prediction = started();
    const before = snapshot(prediction);
    assert.throws(() => prediction.lock(null), /floating/);
    assert.deepEqual(snapshot(prediction), before);
  });

  test('the spin claim is "the last change was a rotation" unless given', () => {
    const prediction = started({ next: SEQUENCE.indexOf('T') });
    const field = prediction.board.field;
    prediction.setActive(drop(field, prediction.active));
    // A T flat on the floor turned clockwise kicks up one row and rests there.
    const turned = rotationKick(field, prediction.active, 1);
    prediction.setActive(turned.state, { rot: 'cw', kick: turned.kick });
    assert.deepEqual({ ...prediction.active, i: 0 }, { i: 0, piece: 'T', r: 1, x: 2, y: 17 });
    prediction.setActive(prediction.active); // no change: a rotation is still the last one
    prediction.lock();
    assert.deepEqual(prediction.pendingLocks()[0].last, { rot: 'cw', kick: 2 });

    const moved = started();
    moved.setActive(rotate(moved.board.field, moved.active, 1), { rot: 'cw', kick: 0 });
    moved.setActive(move(moved.board.field, moved.active, -1, 0));
    moved.setActive(drop(moved.board.field, moved.active));
    moved.lock();
    assert.equal('last' in moved.pendingLocks()[0], false);
  });

  test('setActive refuses another piece or a state that does not fit', () => {
    const prediction = started();
    const other = SEQUENCE[0] === 'T' ? 'I' : 'T';
    assert.throws(() => prediction.setActive({ ...prediction.active, piece: other }), /piece/);
    assert.throws(() => prediction.setActive({ ...prediction.active, y: 30 }), /does not fit/);
  });

  test('a piece not known yet leaves no piece in hand until the server names it', () => {
    const prediction = started({ preview: 2 });
    placeAndLock(prediction);
    placeAndLock(prediction, 4);
    assert.equal(prediction.active, null);
    assert.deepEqual(prediction.preview(3), []);
    prediction.applyServer(serverMessage({ next: 0, preview: 5 }));
    assert.deepEqual({ ...prediction.active }, { i: 2, piece: SEQUENCE[2], r: 0, x: 3, y: -2 });
    assert.equal(prediction.pendingLocks().length, 2);
  });

  test('a lock wholly above the visible field tops out: no piece in hand any more', () => {
    const rows = ['GGGGGGGGG.', ...EMPTY_ROWS.slice(1)];
    const prediction = started({ rows });
    placeAndLock(prediction);
    assert.equal(prediction.pendingLocks().length, 1);
    assert.equal(prediction.toppedOut, true);
    assert.equal(prediction.active, null);
    assert.equal(prediction.canHold, false);
    assert.throws(() => prediction.lock(null), /no piece in hand/);
  });
});

describe('hold', () => {
  test('all three cases name the indices the server accepts, in order', () => {
    const prediction = started();
    let books = { next: 0, hold: null };
    const expected = [];
    const steps = [
      [false, 0], // case 1: the piece in hand
      [true, 2], // case 2: slot empty, 1 held, 2 locked
      [true, 1], // case 3: 3 in hand swapped with the held 1, which is locked
      [false, 4], // case 1
      [true, 3], // case 3 again: 5 goes into the slot, the held 3 is locked
      [false, 6],
    ];
    steps.forEach(([useHold, i], k) => {
      if (useHold) {
        assert.equal(prediction.canHold, true);
        assert.equal(prediction.hold(), true);
        assert.equal(prediction.canHold, false);
        assert.equal(prediction.hold(), false, 'one hold per piece');
      }
      assert.equal(prediction.active.i, i);
      assert.equal(prediction.active.piece, SEQUENCE[i]);
      placeAndLock(prediction, [-4, 0, 4][k % 3]);
      expected.push(i);
    });
    const locks = prediction.pendingLocks();
    assert.deepEqual(locks.map((lock) => lock.i), expected);
    assert.deepEqual(locks.map((lock) => lock.n), [0, 1, 2, 3, 4, 5]);
    for (const lock of locks) books = serverAccept(books, lock);
    assert.deepEqual(books, { next: 7, hold: 5 });
    assert.equal(prediction.holdPiece, SEQUENCE[5]);
  });

  test('the preview skips what the hold took', () => {
    const prediction = started();
    prediction.hold(); // slot: 0, hand: 1
    assert.deepEqual(prediction.preview(2), SEQUENCE.slice(2, 4));
    placeAndLock(prediction); // next: 2
    prediction.hold(); // slot: 2, hand: 0
    assert.equal(prediction.active.i, 0);
    assert.deepEqual(prediction.preview(2), SEQUENCE.slice(3, 5));
  });

  test('the held piece spawns anew', () => {
    const prediction = started();
    prediction.setActive(move(prediction.board.field, prediction.active, -2, 0));
    prediction.hold();
    prediction.hold(); // refused: still the same piece
    placeAndLock(prediction);
    prediction.hold();
    assert.deepEqual({ ...prediction.active }, { i: 0, piece: SEQUENCE[0], r: 0, x: 3, y: -2 });
  });
});

describe('reconciliation', () => {
  // Three locks made ahead of the server: pieces 0, 2 (1 held) and 3.
  function ahead() {
    const prediction = started();
    const locks = [placeAndLock(prediction, -4)];
    prediction.hold();
    locks.push(placeAndLock(prediction, 0), placeAndLock(prediction, 4));
    return { prediction, locks };
  }

  function fieldAfter(rows, states) {
    let board = { field: Field.fromRows(rows), combo: -1, b2b: false, lines: 0, score: 0 };
    for (const state of states) board = applyLock(board, { ...state }).board;
    return board.field.toRows();
  }

  test('acknowledged locks are dropped; the rest are replayed on the server board', () => {
    const { prediction, locks } = ahead();
    // The server applied the first lock, and its field differs from ours: garbage came in.
    const rows = fieldAfter(['G.........', ...EMPTY_ROWS.slice(1)], locks.slice(0, 1));
    prediction.setActive(move(prediction.board.field, prediction.active, 1, 0));
    const hand = { ...prediction.active };
    assert.equal(prediction.applyServer(serverMessage({ rows, next: 1, ack: 1, score: 40 })), true);
    assert.deepEqual(prediction.pendingLocks().map((lock) => lock.n), [1, 2]);
    assert.deepEqual(prediction.board.field.toRows(), fieldAfter(rows, locks.slice(1)));
    assert.equal(prediction.board.score, 40);
    assert.deepEqual({ ...prediction.active }, hand, 'the piece in hand is kept');
    assert.equal(prediction.diverged, false);
    assert.equal(prediction.ack, 1);

    prediction.applyServer(serverMessage({
      rows: fieldAfter(rows, locks.slice(1)), next: 4, hold: 1, ack: 3,
    }));
    assert.deepEqual(prediction.pendingLocks(), []);
    assert.deepEqual({ ...prediction.active }, hand);
    placeAndLock(prediction);
    assert.deepEqual(prediction.pendingLocks().map((lock) => [lock.n, lock.i]), [[3, 4]]);
  });

  test('the server\'s hidden rows are part of the board the locks are replayed on', () => {
    const towers = Array(HEIGHT).fill('G........G'); // blocks may stand above row 0
    const prediction = started({ rows: towers, extra: { user_hidden: '201201' } });
    assert.equal(prediction.board.field.hiddenHex(), '201201');
    assert.equal(prediction.board.field.get(9, -2), 'G');
    const lock = placeAndLock(prediction, 0);
    // The server has not applied the lock yet, and its hidden rows changed (a line cleared).
    prediction.applyServer(serverMessage({ rows: towers, extra: { user_hidden: '201' } }));
    const server = { field: Field.fromRows(towers, '201'), combo: -1, b2b: false, lines: 0,
      score: 0 };
    const expected = applyLock(server, { ...lock }).board.field;
    assert.deepEqual(prediction.board.field.allRows(), expected.allRows());
    assert.equal(prediction.board.field.hiddenHex(), '201');
    assert.deepEqual(prediction.pendingLocks().map((pending) => pending.n), [0]);
  });

  test('an older or repeated message does not roll the state back', () => {
    const { prediction, locks } = ahead();
    const acked2 = serverMessage({
      rows: fieldAfter(EMPTY_ROWS, locks.slice(0, 2)), next: 3, hold: 1, ack: 2,
    });
    prediction.applyServer(acked2);
    const after = snapshot(prediction);
    const older = serverMessage({
      rows: fieldAfter(EMPTY_ROWS, locks.slice(0, 1)), next: 1, ack: 1,
    });
    assert.equal(prediction.applyServer(older), false);
    assert.deepEqual(snapshot(prediction), after);
    assert.equal(prediction.applyServer(acked2), true);
    assert.deepEqual(snapshot(prediction), after);
    assert.deepEqual(prediction.pendingLocks().map((lock) => lock.n), [2]);
  });

  test('rejected: the unacknowledged locks go and the server state is taken as it is', () => {
    const { prediction, locks } = ahead();
    const rows = fieldAfter(EMPTY_ROWS, locks.slice(0, 1));
    prediction.applyServer(serverMessage({
      rows, next: 1, ack: 1, rejected: { n: 1, reason: 'collision' },
    }));
    assert.deepEqual(prediction.pendingLocks(), []);
    assert.deepEqual(prediction.board.field.toRows(), rows);
    assert.equal(prediction.holdPiece, null);
    assert.deepEqual({ ...prediction.active }, { i: 1, piece: SEQUENCE[1], r: 0, x: 3, y: -2 });
    placeAndLock(prediction);
    assert.deepEqual(prediction.pendingLocks().map((lock) => [lock.n, lock.i]), [[1, 1]]);
  });

  test('a rejection keeps the index of a piece held before it', () => {
    const { prediction, locks } = ahead();
    prediction.applyServer(serverMessage({
      rows: fieldAfter(EMPTY_ROWS, locks.slice(0, 2)), next: 3, hold: 1, ack: 2,
      rejected: { n: 2, reason: 'floating' },
    }));
    assert.equal(prediction.holdPiece, SEQUENCE[1]);
    assert.equal(prediction.hold(), true);
    placeAndLock(prediction);
    const [lock] = prediction.pendingLocks();
    assert.deepEqual([lock.n, lock.i], [2, 1]);
    assert.deepEqual(serverAccept({ next: 3, hold: 1 }, lock), { next: 4, hold: 3 });
  });

  test('the server naming books that our locks do not explain is a reset too', () => {
    const { prediction } = ahead();
    // ack beyond every lock we made (say, another tab of ours played on).
    prediction.applyServer(serverMessage({ next: 9, ack: 7 }));
    assert.deepEqual(prediction.pendingLocks(), []);
    assert.equal(prediction.active.i, 9);
    placeAndLock(prediction);
    assert.deepEqual(prediction.pendingLocks().map((lock) => lock.n), [7]);
  });

  test('a rejoin with a held piece: swappable only if its index is known', () => {
    const unknown = started({ next: 9, hold: 4, ack: 7 });
    assert.equal(unknown.holdPiece, SEQUENCE[4]);
    assert.equal(unknown.canHold, false);

    const known = started({ next: 9, hold: 4, ack: 7, extra: { hold_index: 4 } });
    assert.equal(known.hold(), true);
    placeAndLock(known);
    assert.deepEqual(serverAccept({ next: 9, hold: 4 }, known.pendingLocks()[0]),
      { next: 10, hold: 9 });
  });

  test('a lock the new field no longer fits stops the replay; the hand starts over', () => {
    const { prediction } = ahead();
    // Garbage filled the rows our second and third locks went into.
    const rows = [...EMPTY_ROWS.slice(0, 12), ...Array(8).fill('GGGGGGGGG.')];
    prediction.applyServer(serverMessage({ rows, next: 1, ack: 1 }));
    assert.equal(prediction.diverged, true);
    assert.deepEqual(prediction.board.field.toRows(), rows);
    assert.equal(prediction.pendingLocks().length, 2, 'kept until the server rejects them');
    assert.ok(prediction.board.field.fits(prediction.active));
  });

  test('a hand that no longer fits is lifted until it fits', () => {
    const prediction = started();
    prediction.setActive(drop(prediction.board.field, prediction.active));
    const { piece, r, x } = prediction.active;
    const rows = [...EMPTY_ROWS.slice(0, 15), ...Array(5).fill('GGGGGGGGG.')];
    prediction.applyServer(serverMessage({ rows }));
    const lifted = drop(Field.fromRows(rows), { piece, r, x, y: -2 });
    assert.deepEqual({ ...prediction.active }, { i: 0, ...lifted });
    assert.equal(prediction.toppedOut, false);
  });
});

describe('effects (rules.md "Effects and when they apply")', () => {
  const garbage = (id, lines, hole = 0) => ({ id, kind: 'garbage', from: 'bob', lines, hole });
  const FULL_SHIFT = { id: 2, kind: 'quake', from: 'bob', shifts: Array(HEIGHT).fill(1) };

  function battleBoard(rows = EMPTY_ROWS, fx = 0, incoming = []) {
    return { field: Field.fromRows(rows), combo: -1, b2b: false, lines: 0, score: 0, fx, incoming };
  }

  // The server's board after these locks (the engine is the server's rules: the vectors say so).
  function serverAfter(board, locks) {
    return locks.reduce((current, lock) => applyLock(current, lock).board, board);
  }

  // What the server sends for that board.
  function battleMessage(board, options = {}) {
    return serverMessage({
      rows: board.field.toRows(), score: board.score, ...options,
      extra: {
        fx: board.fx, effects: board.incoming, combo: board.combo, b2b: board.b2b,
        lines: board.lines, ...options.extra,
      },
    });
  }

  function startedWith(board, options = {}) {
    const prediction = new Prediction();
    prediction.applyServer({ ...battleMessage(board, options), command: 'game_start' });
    return prediction;
  }

  const fieldRows = (prediction) => prediction.board.field.toRows();

  // Lock the I, vertical, into column 9 (the piece in hand must be an I).
  function lockIRight(prediction) {
    const field = prediction.board.field;
    let state = rotate(field, prediction.active, 1);
    for (let k = 0; k < 4; k += 1) state = move(field, state, 1, 0);
    prediction.setActive(drop(field, state));
    prediction.lock(null);
  }

  test('pending effects wait for the lock, apply right after it, and the lock carries fx', () => {
    const prediction = startedWith(battleBoard(EMPTY_ROWS, 0, [garbage(1, 2, 4)]));
    assert.deepEqual(fieldRows(prediction), EMPTY_ROWS, 'not applied before a lock');
    assert.deepEqual(prediction.incoming, [garbage(1, 2, 4)]);
    assert.equal(prediction.incomingGarbageLines, 2);
    assert.deepEqual(prediction.takeAppliedEffects(), []);

    const first = placeAndLock(prediction, -4);
    assert.equal(prediction.pendingLocks()[0].fx, 0, 'no effect applied before the first lock');
    // The piece on the floor first, then the garbage pushed in under it.
    const locked = applyLock(battleBoard(), { ...first }).board.field.toRows();
    assert.deepEqual(fieldRows(prediction),
      [...locked.slice(2), 'GGGG.GGGGG', 'GGGG.GGGGG']);
    assert.equal(prediction.board.fx, 1);
    assert.deepEqual(prediction.incoming, []);
    assert.equal(prediction.incomingGarbageLines, 0);
    assert.deepEqual(prediction.takeAppliedEffects(), [garbage(1, 2, 4)]);
    assert.deepEqual(prediction.takeAppliedEffects(), []);
    assert.deepEqual({ ...prediction.active },
      { i: 1, piece: SEQUENCE[1], r: 0, x: 3, y: -2 }, 'the next piece spawns on the new field');

    placeAndLock(prediction, 4);
    assert.deepEqual(prediction.pendingLocks().map((lock) => lock.fx), [0, 1]);
  });

  test('the lock\'s attack cancels pending garbage first; only the rest comes in', () => {
    const rows = [...EMPTY_ROWS.slice(0, 15), 'G.........', ...Array(4).fill('GGGGGGGGG.')];
    const incoming = [garbage(1, 1), FULL_SHIFT, garbage(3, 5, 2)];
    const prediction = startedWith(battleBoard(rows, 0, incoming),
      { next: SEQUENCE.indexOf('I') });
    assert.equal(prediction.incomingGarbageLines, 6);
    lockIRight(prediction); // a tetris: attack 4
    const shown = prediction.takeAppliedEffects();
    assert.deepEqual(shown, [garbage(1, 0), FULL_SHIFT, garbage(3, 2, 2)]);
    // Garbage 1 was cancelled to nothing; the quake moved the G right; 2 rows came in.
    assert.deepEqual(fieldRows(prediction),
      [...EMPTY_ROWS.slice(0, 17), '.G........', 'GG.GGGGGGG', 'GG.GGGGGGG']);
  });

  test('an effect applied is never applied or shown twice: re-sends, repeats, reconciles', () => {
    const start = battleBoard(EMPTY_ROWS, 0, [garbage(1, 2, 4)]);
    const prediction = startedWith(start);
    const lock0 = { ...placeAndLock(prediction, -4), fx: 0 };
    const seen = prediction.takeAppliedEffects();
    assert.deepEqual(seen.map((effect) => effect.id), [1]);
    const local = fieldRows(prediction);

    // The same effect list again, before the server has our lock, then with it acknowledged.
    assert.equal(prediction.applyServer(battleMessage(start)), true);
    assert.deepEqual(fieldRows(prediction), local);
    const acked = serverAfter(start, [lock0]);
    prediction.applyServer(battleMessage(acked, { next: 1, ack: 1 }));
    prediction.applyServer(battleMessage(acked, { next: 1, ack: 1 }));
    assert.deepEqual(fieldRows(prediction), local);
    assert.equal(prediction.board.fx, 1);
    assert.deepEqual(prediction.takeAppliedEffects(), []);

    // The server takes effect 1 with our next lock; an older message then changes nothing.
    const lock1 = { ...placeAndLock(prediction, 4), fx: 1 };
    const after1 = serverAfter(acked, [lock1]);
    prediction.applyServer(battleMessage(after1, { next: 2, ack: 2 }));
    assert.equal(prediction.applyServer(battleMessage(acked, { next: 1, ack: 2 })), false);
    assert.deepEqual(fieldRows(prediction), after1.field.toRows());
    assert.deepEqual(prediction.takeAppliedEffects(), []);

    // A rejection resets to the server's field: what was shown stays shown, once.
    prediction.applyServer(battleMessage(after1, {
      next: 2, ack: 2, rejected: { n: 2, reason: 'collision' },
    }));
    assert.deepEqual(prediction.takeAppliedEffects(), []);
    assert.equal(prediction.board.fx, 1);
  });

  test('each replayed lock takes the effects of its own fx', () => {
    const start = battleBoard(EMPTY_ROWS, 0, [garbage(1, 1, 4)]);
    const prediction = startedWith(start);
    placeAndLock(prediction, -4); // fx 0; then effect 1 applies
    placeAndLock(prediction, 4); // fx 1
    const local = fieldRows(prediction);
    // The server has neither lock yet: it still sends effect 1 as pending.
    prediction.applyServer(battleMessage(start));
    assert.deepEqual(prediction.pendingLocks().map((lock) => lock.fx), [0, 1]);
    assert.deepEqual(fieldRows(prediction), local);
    assert.equal(prediction.diverged, false);
    assert.deepEqual(prediction.takeAppliedEffects().map((effect) => effect.id), [1]);
    const server = serverAfter(start, prediction.pendingLocks());
    assert.deepEqual(server.field.toRows(), local, 'the server computes the same field');
  });

  test('a new effect that arrives between locks waits for the next lock', () => {
    const prediction = startedWith(battleBoard());
    placeAndLock(prediction, -4);
    const before = fieldRows(prediction);
    const board = { ...serverAfter(battleBoard(), prediction.pendingLocks()),
      incoming: [garbage(1, 3)] };
    prediction.applyServer(battleMessage(board, { next: 1, ack: 1 }));
    assert.deepEqual(fieldRows(prediction), before);
    assert.equal(prediction.incomingGarbageLines, 3);
    assert.deepEqual(prediction.takeAppliedEffects(), []);
    placeAndLock(prediction, 4);
    assert.deepEqual(prediction.takeAppliedEffects(), [garbage(1, 3)]);
    assert.deepEqual(prediction.pendingLocks().map((lock) => lock.fx), [0]);
  });

  test('a forced effect (the server\'s fx jumps ahead) lifts the piece in hand', () => {
    const start = battleBoard();
    const prediction = startedWith(start);
    const lock0 = { ...placeAndLock(prediction, -4) };
    const acked = serverAfter(start, [lock0]);
    prediction.applyServer(battleMessage({ ...acked, incoming: [garbage(1, 3, 9)] },
      { next: 1, ack: 1 }));
    prediction.setActive(drop(prediction.board.field, move(prediction.board.field,
      prediction.active, 2, 0)));
    const hand = prediction.active;

    // The grace period ran out: the server applied effect 1 itself.
    const forced = applyPendingEffects({ ...acked, incoming: [garbage(1, 3, 9)] }).board;
    prediction.applyServer(battleMessage(forced, { next: 1, ack: 1 }));
    assert.deepEqual(fieldRows(prediction), forced.field.toRows());
    assert.deepEqual(prediction.takeAppliedEffects(), [garbage(1, 3, 9)], 'shown once');
    const { piece, r, x, y } = prediction.active;
    assert.deepEqual({ i: prediction.active.i, piece, r, x }, { i: 1, piece: hand.piece,
      r: hand.r, x: hand.x });
    assert.equal(y, hand.y - 3, 'lifted as far as the garbage rose');
    assert.ok(prediction.board.field.fits(prediction.active));
    assert.equal(prediction.toppedOut, false);

    prediction.applyServer(battleMessage(forced, { next: 1, ack: 1 }));
    assert.deepEqual(prediction.takeAppliedEffects(), []);
    prediction.lock(null);
    assert.deepEqual(prediction.pendingLocks().map((lock) => [lock.n, lock.fx]), [[1, 1]]);
  });

  test('an effect forced before an unacknowledged lock: judged on the server\'s field', () => {
    const start = battleBoard(EMPTY_ROWS, 0, [garbage(1, 2)]);
    const prediction = startedWith(start);
    placeAndLock(prediction, -4); // fx 0, then effect 1 is applied here
    const shown = prediction.takeAppliedEffects();
    // The server forced effect 1 before our lock arrived: the garbage rose into where the lock
    // lies, so the server will refuse it; until then the field is the server's.
    const forced = applyPendingEffects(start).board;
    prediction.applyServer(battleMessage(forced));
    assert.deepEqual(shown.map((effect) => effect.id), [1]);
    assert.deepEqual(prediction.takeAppliedEffects(), [], 'not shown a second time');
    assert.equal(prediction.diverged, true);
    assert.deepEqual(fieldRows(prediction), forced.field.toRows());
    assert.equal(prediction.board.fx, 1);
    assert.ok(prediction.board.field.fits(prediction.active));

    prediction.applyServer(battleMessage(forced, { rejected: { n: 0, reason: 'collision' } }));
    assert.deepEqual(prediction.pendingLocks(), []);
    assert.deepEqual(prediction.takeAppliedEffects(), []);
    placeAndLock(prediction);
    assert.deepEqual(prediction.pendingLocks().map((lock) => [lock.n, lock.fx]), [[0, 1]]);
  });

  test('an effect forced before an unacknowledged lock that still fits: replayed on it', () => {
    // The first piece (slid left) rests on a stack; a quake moves the stack one cell right,
    // under the piece still, and the server takes the lock on the quaked field.
    const rows = [...EMPTY_ROWS.slice(0, 10), ...Array(10).fill('GGG.......')];
    const start = battleBoard(rows, 0, [{ ...FULL_SHIFT, id: 1 }]);
    const prediction = startedWith(start);
    const lock0 = { ...placeAndLock(prediction, -4), fx: 0 };
    const local = fieldRows(prediction);
    prediction.takeAppliedEffects();
    const forced = applyPendingEffects(start).board;
    prediction.applyServer(battleMessage(forced));
    assert.equal(prediction.diverged, false);
    assert.deepEqual(fieldRows(prediction), serverAfter(forced, [lock0]).field.toRows());
    assert.notDeepEqual(fieldRows(prediction), local, 'the lock now lies on the garbage');
    assert.deepEqual(prediction.takeAppliedEffects(), []);
  });

  test('an effect that pushes the stack into the hidden rows tops the player out', () => {
    const rows = [...EMPTY_ROWS.slice(0, 2), ...Array(18).fill('GGGG.GGGGG')];
    const prediction = startedWith(battleBoard(rows, 0, [garbage(1, 4)]));
    placeAndLock(prediction, -3);
    assert.equal(prediction.toppedOut, true);
    assert.equal(prediction.active, null);
    assert.deepEqual(prediction.takeAppliedEffects().map((effect) => effect.id), [1]);
  });

  test('a newer list replaces pending effects by id; a trimmed one keeps the newest', () => {
    const prediction = startedWith(battleBoard(EMPTY_ROWS, 0, [garbage(1, 4), garbage(2, 2)]));
    prediction.applyServer(battleMessage(battleBoard(EMPTY_ROWS, 0, [garbage(1, 1)])));
    assert.deepEqual(prediction.incoming, [garbage(1, 1), garbage(2, 2)]);
    assert.equal(prediction.incomingGarbageLines, 3);
  });

  test('bad effect lists are refused and change nothing', () => {
    const prediction = startedWith(battleBoard(EMPTY_ROWS, 0, [garbage(1, 2)]));
    const before = [fieldRows(prediction), prediction.incoming, prediction.board.fx];
    const bad = [
      [{ effects: {} }, /effects: expected an array/],
      [{ effects: [garbage(2, 1)] }, /effects\[0\]\.id: expected 1/],
      [{ effects: [garbage(1, 1), { id: 2, kind: 'bomb' }] }, /effects\[1\]\.kind/],
      [{ effects: [garbage(1, 1, 10)] }, /effects\[0\]\.hole/],
      [{ fx: -1 }, /fx/],
      [{ powers_available: ['nuke', 'bomb'] }, /powers_available\[1\]/],
      [{ power_rejected: { n: 'x' } }, /power_rejected\.n/],
      [{ power_ack: -1 }, /power_ack/],
    ];
    for (const [extra, error] of bad) {
      const msg = battleMessage(battleBoard(EMPTY_ROWS, 0, [garbage(1, 2)]));
      assert.throws(() => prediction.applyServer({ ...msg, ...extra }), error);
      assert.deepEqual([fieldRows(prediction), prediction.incoming, prediction.board.fx], before);
    }
  });
});

describe('powers (rules.md "Powers")', () => {
  function withPowers(powers, { ack = 0, rejected = null } = {}) {
    return serverMessage({
      extra: { powers_available: powers, power_ack: ack, power_rejected: rejected },
    });
  }

  test('uses are queued, numbered, and shown as spent until the server handles them', () => {
    const prediction = new Prediction();
    prediction.applyServer(withPowers(['quake', 'nuke', 'quake']));
    assert.deepEqual(prediction.pendingPower(), null);
    assert.deepEqual({ ...prediction.usePower('quake') }, { n: 0, power: 'quake' });
    assert.deepEqual({ ...prediction.usePower('nuke') }, { n: 1, power: 'nuke' });
    assert.equal(prediction.usePower('nuke'), null, 'not held any more');
    assert.equal(prediction.usePower('gravity'), null);
    assert.throws(() => prediction.usePower('bomb'), /usePower/);
    assert.deepEqual(prediction.powersAvailable, ['quake']);
    assert.deepEqual(prediction.pendingPower(), { power_used: 'quake', power_n: 0 });

    prediction.applyServer(withPowers(['quake', 'nuke', 'quake']));
    assert.deepEqual(prediction.pendingPower(), { power_used: 'quake', power_n: 0 }, 'repeated');
    prediction.applyServer(withPowers(['nuke', 'quake'], { ack: 1 }));
    assert.deepEqual(prediction.pendingPower(), { power_used: 'nuke', power_n: 1 });
    assert.deepEqual(prediction.powersAvailable, ['quake']);
    prediction.applyServer(withPowers(['quake'], { ack: 2 }));
    assert.equal(prediction.pendingPower(), null);
    assert.deepEqual(prediction.powersAvailable, ['quake']);
    assert.deepEqual({ ...prediction.usePower('quake') }, { n: 2, power: 'quake' });
  });

  test('a refused use is dropped and reported once', () => {
    const prediction = new Prediction();
    prediction.applyServer(withPowers(['switch']));
    prediction.usePower('switch');
    const refusal = { n: 0, power: 'switch', reason: 'not_held' };
    prediction.applyServer(withPowers([], { ack: 1, rejected: refusal }));
    assert.equal(prediction.pendingPower(), null);
    assert.deepEqual(prediction.powersAvailable, []);
    assert.deepEqual(prediction.takePowerRejections().map((r) => ({ ...r })), [refusal]);
    prediction.applyServer(withPowers([], { ack: 1, rejected: refusal }));
    assert.deepEqual(prediction.takePowerRejections(), []);
  });

  test('after a reload the numbering continues from power_ack; older news is ignored', () => {
    const prediction = new Prediction();
    prediction.applyServer({ ...withPowers(['gravity'], { ack: 5 }), command: 'game_start' });
    assert.deepEqual({ ...prediction.usePower('gravity') }, { n: 5, power: 'gravity' });
    assert.equal(prediction.applyServer(withPowers(['gravity', 'nuke'], { ack: 4 })), false);
    assert.deepEqual(prediction.powersAvailable, []);
    assert.deepEqual(prediction.pendingPower(), { power_used: 'gravity', power_n: 5 });
  });
});

describe('a battle against a model server', () => {
  // Lock the piece in hand where it rests lowest, so lines clear and the stack stays low.
  function placeLow(prediction) {
    const field = prediction.board.field;
    const rested = [];
    for (const turns of [0, 1, 2, 3]) {
      let state = prediction.active;
      for (let k = 0; k < turns && state; k += 1) state = rotate(field, state, 1);
      for (let dx = -5; dx <= 5 && state; dx += 1) {
        let moved = state;
        for (let k = 0; k < Math.abs(dx) && moved; k += 1) {
          moved = move(field, moved, Math.sign(dx), 0);
        }
        if (moved) rested.push(drop(field, moved));
      }
    }
    const low = rested.reduce((best, s) => (s.y > best.y ? s : best));
    prediction.setActive(low);
    prediction.lock(null);
  }

  // The server's rules are the engine's (the shared vectors keep them equal); this model adds
  // its books, effects arriving at any time, forced effects, and a network that repeats and
  // delays messages. Plays until the step limit or a top-out, then delivers what is left.
  function playBattle(seed) {
    const rng = createRng(seed);
    let server = { field: Field.empty(), combo: -1, b2b: false, lines: 0, score: 0, fx: 0,
      incoming: [] };
    let books = { next: 0, hold: null };
    let ack = 0;
    const message = (rejected = null) => serverMessage({
      rows: server.field.toRows(), next: books.next, ack, rejected, score: server.score,
      extra: { fx: server.fx, effects: server.incoming, combo: server.combo, b2b: server.b2b,
        lines: server.lines },
    });
    const prediction = new Prediction();
    prediction.applyServer({ ...message(), command: 'game_start' });
    const shown = [];
    let stale = message();
    let [rejections, forced] = [0, 0];
    const seen = new Set(); // ids of effects the client was told of
    const receive = (msg) => {
      if (prediction.applyServer(msg)) msg.effects.forEach((effect) => seen.add(effect.id));
    };

    const newEffect = () => {
      const id = server.fx + server.incoming.length + 1;
      const kinds = [
        { kind: 'garbage', lines: 1 + rng.below(2), hole: rng.below(10) },
        { kind: 'quake', shifts: [...Array(HEIGHT)].map(() => rng.below(7) - 3) },
        { kind: 'clear_line' }, { kind: 'clear_line' }, { kind: 'clear_line' },
      ];
      server = { ...server, incoming: [...server.incoming, { id, ...kinds[rng.below(5)] }] };
    };
    const deliverLocks = () => {
      let rejected = null;
      for (const lock of prediction.pendingLocks(99).filter((l) => l.n >= ack)) {
        const due = applyPendingEffects(server, lock.fx).board;
        if (!due.field.fits(lock)) {
          rejections += 1;
          rejected = { n: lock.n, i: lock.i, reason: 'collision' };
          break;
        }
        books = serverAccept(books, lock);
        server = applyLock(due, lock).board;
        ack += 1;
      }
      return message(rejected);
    };

    for (let step = 0; step < 120 && !prediction.toppedOut; step += 1) {
      if (rng.below(3) === 0) newEffect();
      if (rng.below(4) === 0 && server.incoming.length > 0) { // the grace period ran out
        server = applyPendingEffects(server).board;
        forced += 1;
      }
      if (prediction.active !== null && rng.below(3) > 0) placeLow(prediction);
      if (rng.below(2) === 0) {
        const reply = deliverLocks();
        receive(reply);
        if (rng.below(2) === 0) receive(reply); // a repeat
        stale = reply;
      } else {
        receive(stale); // an old one, late
      }
      shown.push(...prediction.takeAppliedEffects().map((effect) => effect.id));
    }
    receive(deliverLocks());
    shown.push(...prediction.takeAppliedEffects().map((effect) => effect.id));

    return { prediction, server, shown, seen, rejections, forced };
  }

  test('each effect told is shown once, in order, and the fields agree', async (t) => {
    let [rejections, forced] = [0, 0];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      await t.test(`seed ${seed}`, () => {
        const battle = playBattle(seed);
        const { prediction, server, shown } = battle;
        rejections += battle.rejections;
        forced += battle.forced;
        assert.ok(shown.length >= 10, `enough effects (${shown.length})`);
        // One the server made and forced between two messages that arrived is never seen.
        const told = [...battle.seen].filter((id) => id <= prediction.board.fx);
        assert.deepEqual(shown, told.sort((a, b) => a - b));
        assert.ok(prediction.board.fx >= server.fx);
        assert.deepEqual(prediction.pendingLocks(), []);
        const expected = applyPendingEffects(server, prediction.board.fx).board;
        assert.deepEqual(prediction.board.field.toRows(), expected.field.toRows());
        assert.equal(prediction.board.score, server.score);
      });
    }
    assert.ok(rejections > 0 && forced > 0, 'locks were refused and effects forced');
  });
});
