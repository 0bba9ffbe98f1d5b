// The local game loop and a match as the browser plays it, with the real engine and prediction:
// gravity, lock delay, spins, hard drop, and the game_flux requests that follow a lock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { LOCK_DELAY_MS, LocalGame, gravityMs, levelAt } from '../../static/js/game.js';
import { newMatch as newTestMatch } from './match-harness.js';
import { Prediction } from '../../static/js/prediction.js';

const EMPTY = Array(20).fill('..........');
const start = (overrides = {}) => ({
  timestamp: 1000, command: 'game_start', game_name: 'G'.repeat(22), self: 'alice',
  opponent: 'bob', user_blocks: EMPTY, opponent_blocks: EMPTY,
  next_block: ['T', 'I', 'O', 'S', 'Z', 'J', 'L', 'I', 'T', 'O', 'Z', 'S', 'L', 'J'],
  time_left: 180000, user_score: 0, opponent_score: 0, powers_available: [], token: 'tok',
  piece_index: 0, hold: null, ack: 0, ...overrides,
});

function newGame() {
  const prediction = new Prediction();
  prediction.applyServer(start());
  const locks = [];
  const game = new LocalGame(prediction, { onLock: (result, lock) => locks.push(lock) });
  return { prediction, game, locks };
}

describe('gravity', () => {
  test('levels rise with match time and rows fall faster', () => {
    assert.equal(levelAt(0), 1);
    assert.equal(levelAt(29999), 1);
    assert.equal(levelAt(30000), 2);
    assert.equal(levelAt(10 ** 9), 15);
    assert.equal(gravityMs(1), 1000);
    assert.ok(gravityMs(2) < gravityMs(1) && gravityMs(15) < 10);
  });
});

describe('LocalGame', () => {
  test('the piece falls one row per gravity interval', () => {
    const { prediction, game } = newGame();
    assert.equal(prediction.active.y, -2);
    game.update(999, 0, []);
    assert.equal(prediction.active.y, -2);
    game.update(1, 0, []);
    assert.equal(prediction.active.y, -1);
  });

  test('hard drop locks at the floor at once and claims no spin', () => {
    const { prediction, game, locks } = newGame();
    game.update(1, 0, [{ kind: 'rotate', dir: 1 }, { kind: 'hardDrop' }]);
    assert.deepEqual(locks, [{ i: 0, piece: 'T', r: 1, x: 3, y: 17, last: null }]);
    assert.equal(prediction.active.piece, 'I');
    assert.deepEqual(prediction.pendingLocks().map((l) => l.n), [0]);
  });

  test('a grounded piece locks after the lock delay, not before', () => {
    const { game, locks } = newGame();
    game.update(1, 0, [{ kind: 'soft', steps: Infinity }]);
    game.update(LOCK_DELAY_MS - 10, 0, []);
    assert.equal(locks.length, 0);
    game.update(10, 0, []);
    assert.equal(locks.length, 1);
    assert.equal(locks[0].y, 18);
  });

  test('moving on the ground resets the lock delay, at most 15 times', () => {
    const { game, locks } = newGame();
    game.update(1, 0, [{ kind: 'soft', steps: Infinity }]);
    for (let k = 0; k < 15; k += 1) {
      game.update(400, 0, [{ kind: 'shift', dx: k % 2 ? 1 : -1, steps: 1 }]);
    }
    assert.equal(locks.length, 0, 'fifteen resets keep it alive');
    game.update(100, 0, [{ kind: 'shift', dx: 1, steps: 1 }]);
    assert.equal(locks.length, 1, 'the sixteenth move resets nothing: 400 + 100 ms locks it');
  });

  test('a rotation as the last action before locking claims a spin', () => {
    const { game, locks } = newGame();
    game.update(1, 0, [{ kind: 'soft', steps: Infinity }, { kind: 'rotate', dir: 1 }]);
    game.update(1, 0, [{ kind: 'hardDrop' }]);
    // SRS 0→1 on the floor kicks (-1, +1): x 2, y 17; a hard drop of zero rows keeps the claim
    assert.deepEqual(locks, [{ i: 0, piece: 'T', r: 1, x: 2, y: 17, last: { rot: 'cw', kick: 2 } }]);
    const { game: other, locks: otherLocks } = newGame();
    other.update(1, 0, [{ kind: 'rotate', dir: 1 }, { kind: 'soft', steps: Infinity }]);
    other.update(LOCK_DELAY_MS, 0, []);
    assert.equal(otherLocks[0].last, null, 'falling after the turn is not a spin');
  });

  test('shift with Infinity steps stops at the wall; hold swaps the piece', () => {
    const { prediction, game } = newGame();
    game.update(1, 0, [{ kind: 'shift', dx: -1, steps: Infinity }]);
    assert.equal(prediction.active.x, 0);
    game.update(1, 0, [{ kind: 'hold' }]);
    assert.equal(prediction.holdPiece, 'T');
    assert.equal(prediction.active.piece, 'I');
  });
});

describe('Match', () => {
  const newMatch = () => newTestMatch(start());

  test('a hard drop sends game_flux at once with the lock and the token', () => {
    const { match, sent } = newMatch();
    match.handling.press('hardDrop');
    match.step(8, 8);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].command, 'game_flux');
    assert.equal(sent[0].token, 'tok');
    assert.equal(sent[0].locks.length, 1);
    // as rules.md "Locks" names them, with fx: the last effect applied before it (none yet)
    assert.deepEqual(sent[0].locks[0],
      { n: 0, i: 0, piece: 'T', r: 0, x: 3, y: 18, fx: 0 });
    assert.equal(sent[0].user_blocks[19], '...TTT....');
    assert.equal(sent[0].power_used, null);
  });

  test('fields the server leaves out read as null or false', () => {
    const { match, warnings } = newMatch();
    const { hold, rejected, ...rest } = start();
    assert.equal(hold, null);
    assert.equal(rejected, undefined);
    assert.equal(match.apply({ ...rest, command: 'game_flux', timestamp: 2000, ack: 0,
      opponent_away: true }, 10), true);
    assert.equal(match.away, true);
    // opponent_away, hold, rejected and power_rejected all missing: back, nothing held
    assert.equal(match.apply({ ...rest, command: 'game_flux', timestamp: 2001, ack: 0 }, 20), true);
    assert.equal(match.away, false);
    assert.equal(match.prediction.holdPiece, null);
    assert.deepEqual(match.takeEvents(), []);
    assert.deepEqual(warnings, []);
  });

  test('unacknowledged locks are resent after 100-200 ms; an ack stops that', () => {
    const { match, sent } = newMatch();
    match.handling.press('hardDrop');
    match.step(8, 0);
    match.tick(50);
    assert.equal(sent.length, 1);
    match.tick(200); // the first resend's jitter spans 100-200 ms (messages.js FluxSchedule)
    assert.equal(sent.length, 2);
    assert.equal(sent[1].locks.length, 1);
    assert.ok(sent[1].timestamp > sent[0].timestamp);
    match.apply({
      ...start(), command: 'game_flux', timestamp: 2000, ack: 1, piece_index: 1,
      user_blocks: [...EMPTY.slice(0, 19), '...TTT....'], next_block: ['I', 'O', 'S'],
      opponent_score: 300, opponent_lines: 2, time_left: 170000, opponent_away: true,
    }, 150);
    match.tick(250);
    assert.equal(sent.length, 2, 'nothing pending: the next request is a keep-alive');
    match.tick(1200);
    assert.equal(sent.length, 3);
    assert.deepEqual(sent[2].locks, []);
    assert.equal(match.opponentScore, 300);
    assert.equal(match.opponentLines, 2);
    assert.equal(match.away, true);
  });

  test('the clock counts down locally between messages and stops at zero', () => {
    const { match } = newMatch();
    assert.equal(match.timeLeftAt(1000), 179000);
    assert.equal(match.timeLeftAt(10 ** 7), 0);
  });

  test('a broken server message changes nothing', () => {
    const { match, warnings } = newMatch();
    const before = match.prediction.board;
    assert.equal(match.apply({
      command: 'game_flux', timestamp: 3000, game_name: 'G'.repeat(22), user_blocks: 7,
    }, 10), false);
    assert.equal(match.prediction.board, before);
    assert.equal(match.timeLeft, 180000);
    assert.deepEqual(warnings,
      ['ignored a server message: game_flux.user_blocks: expected an array of 20 rows, got 7']);
  });

  test('the player view has a ghost at the floor and five next pieces', () => {
    const { match } = newMatch();
    const view = match.playerView();
    assert.equal(view.active.piece, 'T');
    assert.equal(view.ghost.y, 18);
    assert.deepEqual(view.next, ['I', 'O', 'S', 'Z', 'J']);
    assert.equal(view.hold, null);
  });
});
