// static/js/rules/pieces.js against rules.md "Pieces and rotation" (server/rules/pieces.py).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { spawnState } from '../../../static/js/rules/movement.js';
import { PIECES, pieceCells } from '../../../static/js/rules/pieces.js';

function sortedCells(cells) {
  return cells.map(([dx, dy]) => `${dx},${dy}`).sort();
}

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

  test('bad pieces and rotations are refused', () => {
    assert.throws(() => pieceCells('X', 0), /piece/);
    assert.throws(() => pieceCells('T', 4), /\.r/);
    assert.throws(() => spawnState('t'), /piece/);
  });
});
