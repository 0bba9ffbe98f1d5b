// static/js/engine.js and effects.js against docs/rules.md: the shared vectors written by the
// Python core (tests/vectors/*.json, all of them, every case) and a few cases checked by hand.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import {
  applyEffect, applyLock, applyPendingEffects, parseEffect,
} from '../../static/js/effects.js';
import {
  Field, HEIGHT, HIDDEN, PIECES, WIDTH, bagSequence, createRng, detectSpin, drop, move, pieceCells,
  rotate, spawnState,
} from '../../static/js/engine.js';

const VECTORS = new URL('../vectors/', import.meta.url);
const EMPTY_ROWS = Array(HEIGHT).fill('..........');

// A missing or empty vector file is a failure, never a silent pass: the vectors are the contract.
function loadVectors(name) {
  let text;
  try {
    text = readFileSync(new URL(name, VECTORS), 'utf8');
  } catch (error) {
    throw new Error(`tests/vectors/${name} is missing (the Python suite writes it): ${error.code}`);
  }
  const cases = JSON.parse(text);
  assert.ok(Array.isArray(cases) && cases.length > 0, `tests/vectors/${name}: no cases`);
  return cases;
}

// The given rows (top first) are the bottom of the field; the rows above them are empty.
function rowsWithBottom(...bottom) {
  return [...EMPTY_ROWS.slice(bottom.length), ...bottom];
}

function board(rows, overrides = {}) {
  return { field: Field.fromRows(rows), combo: -1, b2b: false, lines: 0, score: 0, ...overrides };
}

function sortedCells(cells) {
  return cells.map(([dx, dy]) => `${dx},${dy}`).sort();
}

describe('shared vectors', () => {
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

  test('bag.json: the 7-bag sequence', async (t) => {
    for (const v of loadVectors('bag.json')) {
      await t.test(`seed ${v.seed}`, () => {
        assert.equal(bagSequence(v.seed, v.pieces.length).join(''), v.pieces);
      });
    }
  });

  test('rotation.json: SRS rotations and kicks', async (t) => {
    for (const v of loadVectors('rotation.json')) {
      await t.test(v.name, () => {
        const result = rotate(Field.fromRows(v.field), v.state, v.dir);
        assert.deepEqual(result === null ? null : { ...result }, v.result);
      });
    }
  });

  test('locks.json: applying a lock, scoring, attack, top-out', async (t) => {
    for (const v of loadVectors('locks.json')) {
      await t.test(v.name, () => {
        const before = { ...v.before, field: Field.fromRows(v.before.field) };
        const { board: after, result } = applyLock(before, v.lock);
        assert.deepEqual({
          field: after.field.toRows(), combo: after.combo, b2b: after.b2b, lines: after.lines,
          score: after.score, lines_cleared: result.linesCleared, spin: result.spin,
          score_delta: result.scoreDelta, attack: result.attack,
          perfect_clear: result.perfectClear, topped_out: result.toppedOut,
        }, v.after);
      });
    }
  });

  test('effects.json: one effect on a field, full rows removed after it', async (t) => {
    for (const v of loadVectors('effects.json')) {
      await t.test(v.name, () => {
        const { field, toppedOut } = applyEffect(Field.fromRows(v.field), v.effect);
        assert.deepEqual({ field: field.toRows(), topped_out: toppedOut }, v.after);
      });
    }
  });

  test('battle.json: effects up to lock.fx, the lock, then cancelling', async (t) => {
    for (const v of loadVectors('battle.json')) {
      await t.test(v.name, () => {
        const before = { ...v.before, field: Field.fromRows(v.before.field) };
        const { board: after, result } = applyLock(before, v.lock);
        assert.deepEqual({
          field: after.field.toRows(), combo: after.combo, b2b: after.b2b, lines: after.lines,
          score: after.score, fx: after.fx, incoming: after.incoming, sent: result.sent,
          lines_cleared: result.linesCleared, score_delta: result.scoreDelta,
          attack: result.attack, topped_out: result.toppedOut,
        }, v.after);
      });
    }
  });
});

describe('pieces', () => {
  test('rotation 0 cells are the table of rules.md', () => {
    assert.deepEqual(pieceCells('T', 0), [[1, 0], [0, 1], [1, 1], [2, 1]]);
    assert.deepEqual(pieceCells('I', 0), [[0, 1], [1, 1], [2, 1], [3, 1]]);
  });

  test('turning clockwise maps (dx, dy) to (n-1-dy, dx); O never changes', () => {
    assert.deepEqual(sortedCells(pieceCells('T', 1)), ['1,0', '1,1', '1,2', '2,1']);
    assert.deepEqual(sortedCells(pieceCells('T', 2)), ['0,1', '1,1', '1,2', '2,1']);
    assert.deepEqual(sortedCells(pieceCells('I', 1)), ['2,0', '2,1', '2,2', '2,3']);
    for (const r of [1, 2, 3]) assert.deepEqual(pieceCells('O', r), pieceCells('O', 0));
    for (const piece of PIECES) assert.equal(new Set(sortedCells(pieceCells(piece, 3))).size, 4);
  });

  test('every piece spawns at x 3, y -2, rotation 0, inside the hidden rows', () => {
    const field = Field.empty();
    for (const piece of PIECES) {
      const state = spawnState(piece);
      assert.deepEqual({ ...state }, { piece, r: 0, x: 3, y: -2 });
      assert.ok(field.fits(state));
      assert.ok(pieceCells(piece, 0).every(([, dy]) => state.y + dy < 0));
    }
    const oColumns = pieceCells('O', 0).map(([dx]) => 3 + dx);
    assert.deepEqual([...new Set(oColumns)], [4, 5]);
  });

  test('bad pieces and rotations are refused', () => {
    assert.throws(() => pieceCells('X', 0), /piece/);
    assert.throws(() => pieceCells('T', 4), /\.r/);
    assert.throws(() => spawnState('t'), /piece/);
  });
});

describe('Field', () => {
  test('round-trips 20 rows and reads cells, walls outside', () => {
    const rows = rowsWithBottom('G........T');
    const field = Field.fromRows(rows);
    assert.deepEqual(field.toRows(), rows);
    assert.equal(field.get(0, 19), 'G');
    assert.equal(field.get(9, 19), 'T');
    assert.equal(field.get(1, 19), '.');
    assert.equal(field.get(0, -4), '.');
    for (const [x, y] of [[-1, 0], [WIDTH, 0], [0, -HIDDEN - 1], [0, HEIGHT]]) {
      assert.equal(field.get(x, y), '#');
    }
  });

  test('fromRows refuses bad rows with a message that says where', () => {
    assert.throws(() => Field.fromRows(EMPTY_ROWS.slice(1)), /20 strings/);
    assert.throws(() => Field.fromRows('..........'), /20 strings/);
    assert.throws(() => Field.fromRows(rowsWithBottom('.........')), /rows\[19\].*10 char/);
    assert.throws(() => Field.fromRows(rowsWithBottom('.........x')), /rows\[19\].*"x"/);
    assert.throws(() => Field.fromRows([1, ...EMPTY_ROWS.slice(1)]), /rows\[0\]/);
  });

  test('is immutable and cannot be built directly', () => {
    const field = Field.empty();
    assert.throws(() => new Field(), /Field.empty/);
    assert.throws(() => { field.extra = 1; }, TypeError);
    field.toRows()[0] = 'GGGGGGGGGG';
    assert.equal(field.get(0, 0), '.');
  });

  test('fits checks walls, floor and blocks', () => {
    const field = Field.fromRows(rowsWithBottom('....G.....'));
    assert.ok(field.fits({ piece: 'T', r: 0, x: 0, y: 17 }));
    assert.ok(!field.fits({ piece: 'T', r: 0, x: 3, y: 18 })); // its (4, 19) is taken
    assert.ok(!field.fits({ piece: 'T', r: 0, x: 8, y: 0 })); // right wall
    assert.ok(!field.fits({ piece: 'T', r: 0, x: 0, y: 19 })); // floor
    assert.ok(!field.fits({ piece: 'I', r: 1, x: 0, y: -5 })); // above the hidden rows
    assert.throws(() => field.fits({ piece: 'T', r: 0, x: 0.5, y: 0 }), /\.x/);
  });
});

describe('moves and rotations', () => {
  test('moves stop at the walls and the floor; drop goes all the way down', () => {
    const field = Field.empty();
    let state = spawnState('T');
    for (let k = 0; k < 3; k += 1) state = move(field, state, -1, 0);
    assert.equal(state.x, 0);
    assert.equal(move(field, state, -1, 0), null);
    assert.deepEqual({ ...drop(field, state) }, { piece: 'T', r: 0, x: 0, y: 18 });
    assert.equal(move(field, drop(field, state), 0, 1), null);
    assert.throws(() => drop(field, { piece: 'T', r: 0, x: -1, y: 0 }), /does not fit/);
  });

  test('a free rotation turns in place; ccw goes back', () => {
    const field = Field.empty();
    const turned = rotate(field, { piece: 'T', r: 0, x: 3, y: 5 }, 1);
    assert.deepEqual({ ...turned }, { piece: 'T', r: 1, x: 3, y: 5 });
    assert.deepEqual({ ...rotate(field, turned, -1) }, { piece: 'T', r: 0, x: 3, y: 5 });
    assert.deepEqual({ ...rotate(field, turned, 1) }, { piece: 'T', r: 2, x: 3, y: 5 });
    assert.deepEqual({ ...rotate(field, { piece: 'T', r: 0, x: 3, y: 5 }, -1) },
      { piece: 'T', r: 3, x: 3, y: 5 });
  });

  test('I against the left wall takes the third kick of 1>2, (+2, 0)', () => {
    // Vertical I in column 0; turned flat at x -2 or -3 it is in the wall, at x 0 it fits.
    const result = rotate(Field.empty(), { piece: 'I', r: 1, x: -2, y: 5 }, 1);
    assert.deepEqual({ ...result }, { piece: 'I', r: 2, x: 0, y: 5 });
  });

  test('T on the floor 0>3 kicks up: (+1, +1) in y-up is one row higher', () => {
    // T flat on the floor: turning in place or one right would poke through the floor.
    const result = rotate(Field.empty(), { piece: 'T', r: 0, x: 3, y: 18 }, -1);
    assert.deepEqual({ ...result }, { piece: 'T', r: 3, x: 4, y: 17 });
  });

  test('a rotation with no fitting test fails; O turns without moving', () => {
    const walled = Field.fromRows(Array(HEIGHT).fill('GGG...GGGG'));
    assert.equal(rotate(walled, { piece: 'I', r: 1, x: 2, y: 5 }, 1), null);
    assert.deepEqual({ ...rotate(Field.empty(), spawnState('O'), 1) },
      { piece: 'O', r: 1, x: 3, y: -2 });
    assert.throws(() => rotate(Field.empty(), spawnState('T'), 2), /dir/);
  });
});

describe('rng and bag', () => {
  test('mulberry32 matches the pseudocode of rules.md (computed by hand in Python)', () => {
    const rng = createRng(42);
    assert.deepEqual([1, 2, 3].map(() => rng.nextU32()), [2581720956, 1925393290, 3661312704]);
    const top = createRng(0xFFFFFFFF);
    assert.equal(top.nextU32(), 3850105811);
    const seven = createRng(2024);
    assert.deepEqual([...Array(10)].map(() => seven.below(7)), [5, 4, 4, 4, 3, 4, 2, 1, 3, 4]);
  });

  test('the sequence is bags of all seven pieces', () => {
    assert.equal(bagSequence(1, 14).join(''), 'JTZOLISTIJOLZS');
    const sequence = bagSequence(7, 70);
    for (let k = 0; k < 70; k += 7) {
      assert.deepEqual([...sequence.slice(k, k + 7)].sort(), [...PIECES]);
    }
    assert.deepEqual(bagSequence(7, 5), sequence.slice(0, 5));
  });

  test('bad seeds and bounds are refused', () => {
    assert.throws(() => createRng(-1), /seed/);
    assert.throws(() => createRng(2 ** 32), /seed/);
    assert.throws(() => createRng(1.5), /seed/);
    assert.throws(() => createRng(1).below(0), /below/);
    assert.throws(() => bagSequence(1, -1), /count/);
  });
});

describe('locks, spins and scores', () => {
  // A T-spin double slot: the T points down into (4, 19) under an overhang at (3, 17).
  const TSD_ROWS = rowsWithBottom('GGGG......', 'GGG...GGGG', 'GGGG.GGGGG');
  const TSD_LOCK = { piece: 'T', r: 2, x: 3, y: 17, spin: true };

  test('a T-spin double: 1200 x level, 4 lines sent, back-to-back set', () => {
    const { board: after, result } = applyLock(board(TSD_ROWS), TSD_LOCK);
    assert.deepEqual({ ...result }, {
      linesCleared: 2, spin: 'tspin', scoreDelta: 1200, attack: 4, sent: 4, perfectClear: false,
      toppedOut: false, applied: [],
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
      { ...TSD_LOCK, spin: false });
    assert.equal(result.spin, 'none');
    assert.equal(result.scoreDelta, 300);
    assert.equal(result.attack, 1);
    assert.equal(after.b2b, false);
  });

  test('a mini T-spin: three corners, one front corner open, no line', () => {
    const rows = rowsWithBottom('.G........');
    const lock = { piece: 'T', r: 1, x: -1, y: 17, spin: true };
    assert.equal(detectSpin(Field.fromRows(rows), lock, true), 'mini');
    assert.equal(detectSpin(Field.fromRows(rows), lock, false), 'none');
    const { board: after, result } = applyLock(board(rows, { b2b: true, combo: 3 }), lock);
    assert.equal(result.spin, 'mini');
    assert.equal(result.scoreDelta, 100);
    assert.equal(result.attack, 0);
    assert.equal(after.b2b, true); // a lock that clears nothing leaves the flag alone
    assert.equal(after.combo, -1);
  });

  test('two corners are no spin; only T spins', () => {
    const open = { piece: 'T', r: 0, x: 3, y: 18 };
    assert.equal(detectSpin(Field.empty(), open, true), 'none');
    assert.equal(detectSpin(Field.fromRows(TSD_ROWS), { ...TSD_LOCK, piece: 'L' }, true), 'none');
  });

  test('a perfect clear single scores 100 + 800 and sends 10', () => {
    const rows = rowsWithBottom('....GGGGGG');
    const { board: after, result } = applyLock(board(rows),
      { piece: 'I', r: 0, x: 0, y: 18, spin: false });
    assert.equal(result.perfectClear, true);
    assert.equal(result.scoreDelta, 900);
    assert.equal(result.attack, 10);
    assert.ok(after.field.isEmpty());
  });

  test('combo: the fourth clear in a row scores 50 x 3 more and sends 1 more', () => {
    const rows = rowsWithBottom('G.........', '....GGGGGG');
    const { board: after, result } = applyLock(board(rows, { combo: 2 }),
      { piece: 'I', r: 0, x: 0, y: 18, spin: false });
    assert.equal(after.combo, 3);
    assert.equal(result.scoreDelta, 100 + 150);
    assert.equal(result.attack, 1);
  });

  test('a tetris is difficult: back-to-back after it', () => {
    const rows = rowsWithBottom('G.........', ...Array(4).fill('GGGGGGGGG.'));
    const { board: after, result } = applyLock(board(rows),
      { piece: 'I', r: 1, x: 7, y: 16, spin: false });
    assert.equal(result.linesCleared, 4);
    assert.equal(result.scoreDelta, 800);
    assert.equal(result.attack, 4);
    assert.equal(after.b2b, true);
  });

  test('locking in the hidden rows tops out', () => {
    const high = applyLock(board(EMPTY_ROWS), { piece: 'T', r: 0, x: 3, y: -1, spin: false });
    assert.equal(high.result.toppedOut, true);
    const above = applyLock(board(EMPTY_ROWS), { piece: 'O', r: 0, x: 3, y: -2, spin: false });
    assert.equal(above.result.toppedOut, true);
    const low = applyLock(board(EMPTY_ROWS), { piece: 'T', r: 0, x: 3, y: 0, spin: false });
    assert.equal(low.result.toppedOut, false);
  });

  test('bad locks and boards are refused and change nothing', () => {
    const before = board(TSD_ROWS);
    assert.throws(() => applyLock(before, { ...TSD_LOCK, y: 18 }), /collision/);
    assert.throws(() => applyLock(before, { ...TSD_LOCK, spin: 'yes' }), /spin/);
    assert.throws(() => applyLock(before, { ...TSD_LOCK, piece: 'X' }), /lock\.piece/);
    assert.throws(() => applyLock({ ...before, field: TSD_ROWS }, TSD_LOCK), /board\.field/);
    assert.throws(() => applyLock({ ...before, combo: -2 }, TSD_LOCK), /board\.combo/);
    assert.deepEqual(before.field.toRows(), TSD_ROWS);
  });
});

describe('effects (rules.md "Effect kinds")', () => {
  const garbage = (id, lines, hole = 0) => ({ id, kind: 'garbage', from: 'bob', lines, hole });
  const afterEffect = (rows, effect) => {
    const { field, toppedOut } = applyEffect(Field.fromRows(rows), effect);
    return { rows: field.toRows(), toppedOut };
  };

  test('garbage pushes rows full but for the hole in at the bottom; the stack rises', () => {
    assert.deepEqual(afterEffect(rowsWithBottom('IIII......'), garbage(1, 2, 3)), {
      rows: rowsWithBottom('IIII......', 'GGG.GGGGGG', 'GGG.GGGGGG'), toppedOut: false,
    });
    assert.deepEqual(afterEffect(rowsWithBottom('IIII......'), garbage(1, 0, 3)),
      { rows: rowsWithBottom('IIII......'), toppedOut: false }, '0 lines change nothing');
  });

  test('garbage or add_line pushing a block into the hidden rows tops out', () => {
    const top = ['....O.....', ...EMPTY_ROWS.slice(1)];
    const pushed = applyEffect(Field.fromRows(top), garbage(1, 1, 9));
    assert.equal(pushed.toppedOut, true);
    assert.equal(pushed.field.get(4, -1), 'O');
    assert.deepEqual(pushed.field.toRows(), rowsWithBottom('GGGGGGGGG.'));
    assert.equal(afterEffect(top, { id: 1, kind: 'add_line', hole: 0 }).toppedOut, true);
    const low = [...EMPTY_ROWS.slice(0, 3), 'T.........', ...EMPTY_ROWS.slice(4)];
    assert.equal(afterEffect(low, garbage(1, 3)).toppedOut, false);
    assert.equal(afterEffect(low, garbage(1, 4)).toppedOut, true);
    assert.equal(afterEffect(low, garbage(1, 99)).toppedOut, true);
    // Pushed past the top hidden row: lost, and topped out though the hidden rows are empty.
    const past = applyEffect(Field.fromRows(top), garbage(1, 5, 9));
    assert.equal(past.field.hasHiddenBlocks(), false);
    assert.equal(past.toppedOut, true);
  });

  test('add_line pushes one garbage row', () => {
    const rows = rowsWithBottom('T.........');
    assert.deepEqual(afterEffect(rows, { id: 2, kind: 'add_line', hole: 9 }),
      { rows: rowsWithBottom('T.........', 'GGGGGGGGG.'), toppedOut: false });
  });

  test('clear_line removes the bottom row; everything above falls one row', () => {
    assert.deepEqual(afterEffect(rowsWithBottom('T.........', 'GGGGGGGG.G'),
      { id: 1, kind: 'clear_line' }), { rows: rowsWithBottom('T.........'), toppedOut: false });
    assert.deepEqual(afterEffect(EMPTY_ROWS, { id: 1, kind: 'clear_line' }).rows, EMPTY_ROWS);
  });

  test('nuke empties the field', () => {
    const rows = rowsWithBottom('T.........', 'GGGGGGGG.G', 'JJJ.LLL.SS');
    assert.deepEqual(afterEffect(rows, { id: 1, kind: 'nuke', from: 'alice' }),
      { rows: EMPTY_ROWS, toppedOut: false });
  });

  test('gravity: every column falls, keeping its order', () => {
    const rows = rowsWithBottom('J.L.......', '..........', '.Z........', 'S.........');
    assert.deepEqual(afterEffect(rows, { id: 1, kind: 'gravity' }).rows,
      rowsWithBottom('J.........', 'SZL.......'));
  });

  test('gravity: rows it fills are removed', () => {
    const rows = rowsWithBottom('T...G.....', 'GGGG.GGGGG');
    assert.deepEqual(afterEffect(rows, { id: 1, kind: 'gravity' }).rows,
      rowsWithBottom('T.........'));
  });

  test('quake rotates each visible row by its shift, wrapping around', () => {
    const shifts = Array(HEIGHT).fill(0);
    [shifts[16], shifts[17], shifts[18], shifts[19]] = [-12, 13, -1, 1];
    const rows = rowsWithBottom('Z.........', 'S.........', 'IJ........', '.........T');
    assert.deepEqual(afterEffect(rows, { id: 1, kind: 'quake', shifts }), {
      rows: rowsWithBottom('........Z.', '...S......', 'J........I', 'T.........'),
      toppedOut: false,
    });
  });

  test('full rows are removed after a quake', () => {
    const shifts = Array(HEIGHT).fill(1);
    const rows = rowsWithBottom('T.........', 'GGGGGGGGGG');
    assert.deepEqual(afterEffect(rows, { id: 1, kind: 'quake', shifts }).rows,
      rowsWithBottom('.T........'));
  });

  test('switch: the rows sent are the bottom, everything above empty', () => {
    const mine = rowsWithBottom(...Array(12).fill('GGGGGGGGG.'));
    const sent = ['...GG.....', 'GGGG.GGGGG'];
    assert.deepEqual(afterEffect(mine, { id: 1, kind: 'switch', from: 'bob', rows: sent }),
      { rows: rowsWithBottom(...sent), toppedOut: false });
    assert.deepEqual(afterEffect(mine, { id: 1, kind: 'switch', rows: [] }).rows, EMPTY_ROWS);
  });

  test('a bad effect is refused with the field named, and changes nothing', () => {
    const field = Field.fromRows(rowsWithBottom('T.........'));
    const bad = [
      [null, /effect: expected an object/],
      [{ kind: 'nuke' }, /effect\.id/],
      [{ id: 0, kind: 'nuke' }, /effect\.id/],
      [{ id: 1, kind: 'bomb' }, /effect\.kind.*bomb/],
      [{ id: 1, kind: 'nuke', from: 7 }, /effect\.from/],
      [garbage(1, -1), /effect\.lines/],
      [garbage(1, 2, 10), /effect\.hole/],
      [{ id: 1, kind: 'add_line' }, /effect\.hole/],
      [{ id: 1, kind: 'quake', shifts: [1, 2] }, /effect\.shifts/],
      [{ id: 1, kind: 'quake', shifts: [...Array(19).fill(0), 0.5] }, /effect\.shifts\[19\]/],
      [{ id: 1, kind: 'switch', rows: Array(21).fill('..........') }, /effect\.rows/],
      [{ id: 1, kind: 'switch', rows: ['..........', '....x.....'] }, /effect\.rows\[1\]/],
    ];
    for (const [effect, error] of bad) assert.throws(() => applyEffect(field, effect), error);
    assert.throws(() => applyEffect(rowsWithBottom('T.........'), garbage(1, 1)), /field/);
    assert.deepEqual(field.toRows(), rowsWithBottom('T.........'));
  });

  test('parseEffect keeps only what the kind needs, frozen', () => {
    const parsed = parseEffect({ id: 3, kind: 'nuke', from: 'bob', lines: 4 });
    assert.deepEqual({ ...parsed }, { id: 3, kind: 'nuke', from: 'bob' });
    assert.ok(Object.isFrozen(parsed));
  });
});

describe('locks with effects (rules.md "Effects and when they apply", "Garbage")', () => {
  const garbage = (id, lines, hole = 0) => ({ id, kind: 'garbage', from: 'bob', lines, hole });
  const quake = (id) => ({ id, kind: 'quake', from: 'bob', shifts: Array(HEIGHT).fill(1) });
  const VERTICAL_I = { piece: 'I', r: 1, x: 7, y: 16, spin: false }; // column 9, rows 16-19
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
    const flat = { piece: 'T', r: 0, x: 3, y: 18, spin: false };
    assert.doesNotThrow(() => applyLock(before, flat));
    assert.throws(() => applyLock(before, { ...flat, fx: 1 }), /collision/);
  });

  test('an effect that tops out before the lock ends it there', () => {
    const before = board(['G.........', ...EMPTY_ROWS.slice(1)],
      { incoming: [garbage(1, 1, 5), garbage(2, 1)] });
    const { board: after, result } = applyLock(before,
      { piece: 'T', r: 0, x: 3, y: 17, spin: false, fx: 2 });
    assert.equal(result.toppedOut, true);
    assert.equal(result.linesCleared, 0);
    assert.equal(result.sent, 0);
    assert.equal(after.fx, 1);
    assert.deepEqual(after.field.toRows(), rowsWithBottom('GGGGG.GGGG'));
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
    const before = board(['G.........', ...EMPTY_ROWS.slice(1)],
      { incoming: [garbage(1, 1), { id: 2, kind: 'nuke' }] });
    const { board: after, applied, toppedOut } = applyPendingEffects(before);
    assert.equal(toppedOut, true);
    assert.equal(after.fx, 1);
    assert.deepEqual(applied.map((effect) => effect.id), [1]);
    assert.deepEqual(after.incoming, [{ id: 2, kind: 'nuke' }]);
  });
});

test('Field.fromAllRows takes exactly 24 valid rows and nothing else', () => {
  const empty = '.'.repeat(10);
  const rows = Array(24).fill(empty);
  rows[23] = 'GGGGGGGGG.';
  assert.deepEqual(Field.fromAllRows(rows).toRows().at(-1), 'GGGGGGGGG.');
  assert.throws(() => Field.fromAllRows(Array(20).fill(empty)), /24|rows/);
  assert.throws(() => Field.fromAllRows([...Array(23).fill(empty), 'GGGGGGGGGX']), /row|X|cell/i);
});
