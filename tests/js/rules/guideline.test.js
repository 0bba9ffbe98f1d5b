// The hand-written guideline cases of tests/vectors/guideline.json (written from public sources,
// each cites its own; never generated from the Python rules), played on static/js/rules/ as
// tests/test_guideline.py plays them on server/rules/: every input from the spawn, then the lock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { applyLock, applyPendingEffects } from '../../../static/js/rules/board.js';
import { EMPTY, Field, HEIGHT, HIDDEN, WIDTH } from '../../../static/js/rules/field.js';
import {
  drop, move, rotationKick, spawnState,
} from '../../../static/js/rules/movement.js';
import { TURNS } from '../../../static/js/rules/pieces.js';
import { loadVectors } from '../vectors.js';

const MOVES = { left: [-1, 0], right: [1, 0], down: [0, 1] };
const EMPTY_ROW = EMPTY.repeat(WIDTH);

// The case's bottom rows ('X' filled, top first); more than 20 reach into the hidden rows.
function fieldOf(rows) {
  const letters = rows.map((row) => row.replaceAll('X', 'G'));
  const padding = Array(HIDDEN + HEIGHT - letters.length).fill(EMPTY_ROW);
  return Field.fromAllRows([...padding, ...letters]);
}

// All 40 rows as 'X'/'.', without the empty rows on top (the form of `field_after`).
function occupancy(field) {
  const rows = field.allRows().map((row) => row.replace(/[^.]/g, 'X'));
  const top = rows.findIndex((row) => row !== EMPTY_ROW);
  return top < 0 ? [] : rows.slice(top);
}

// The piece after its inputs: its state, the lock's `last` (the last action, when a turn) and
// the kick of its last turn (even if moves followed).
function play(field, piece, inputs) {
  let state = spawnState(piece);
  let last = null;
  let kick;
  for (const input of inputs) {
    if (input in TURNS) {
      const turned = rotationKick(field, state, TURNS[input]);
      assert.ok(turned, `${input} fails at ${JSON.stringify(state)}`);
      ({ state, kick } = turned);
      last = { rot: input, kick };
    } else if (input === 'soft_drop') {
      const dropped = drop(field, state);
      if (dropped.y !== state.y) [state, last] = [dropped, null];
    } else {
      const moved = move(field, state, ...MOVES[input]);
      assert.ok(moved, `${input} fails at ${JSON.stringify(state)}`);
      [state, last] = [moved, null];
    }
  }
  assert.equal(move(field, state, 0, 1), null, 'the piece rests');
  return { state, last, kick };
}

describe('guideline.json: hand-written cases from public sources', () => {
  for (const c of loadVectors('guideline.json')) {
    test(c.name, () => {
      const pieces = c.pieces.map((p) => p.piece);
      const sequence = [...pieces, c.next ?? 'T'];
      let board = {
        field: fieldOf(c.field), combo: -1, b2b: false, lines: 0, score: 0, ...c.before,
      };
      let topOut = null;
      if (c.garbage) {
        board = { ...board, fx: 0, incoming: [{ id: 1, kind: 'garbage', ...c.garbage }] };
        const taken = applyPendingEffects(board, 1, sequence[0]);
        ({ board, topOut } = taken);
      }
      const got = c.pieces.map((spec, n) => {
        assert.equal(topOut, null, 'still playing');
        const { state, last, kick } = play(board.field, spec.piece, spec.inputs);
        const locked = applyLock(board, { ...state, last }, sequence[n + 1], spec.piece);
        ({ board } = locked);
        ({ topOut } = locked.result);
        const r = locked.result;
        const row = {
          spin: r.spin, lines: r.linesCleared, score: r.scoreDelta, attack: r.attack,
          combo: board.combo, b2b: board.b2b,
        };
        if ('kick' in c.expect[n]) row.kick = kick;
        return row;
      });
      assert.deepEqual(got, c.expect);
      assert.equal(topOut, c.top_out ?? null);
      if (c.field_after) assert.deepEqual(occupancy(board.field), c.field_after);
    });
  }
});
