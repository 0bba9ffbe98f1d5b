// static/js/server-messages.js: every server command checked and normalised in one place
// (docs/protocol.md), and the `timestamp > now` rule for every message that carries a timestamp.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { TimestampFilter, parseServerMessage } from '../../static/js/server-messages.js';

const GAME = 'Xk3aaaaaaaaaaaaaaaaaaa';
const EMPTY = Array(20).fill('..........');
const state = (command, extra = {}) => ({
  timestamp: 5, command, game_name: GAME, user_blocks: EMPTY, next_block: ['T', 'I'],
  piece_index: 0, ack: 0, user_score: 0, ...extra,
});
const start = (extra = {}) => state('game_start',
  { self: 'alice', opponent: 'bob', token: 'tok', ...extra });

describe('parseServerMessage', () => {
  test('waiting: the seat, its token, and whom it waits for', () => {
    const msg = parseServerMessage({ timestamp: 1, command: 'waiting', game_name: GAME,
      self: 'alice', opponent: null, token: 'tok', pad: '....' });
    assert.deepEqual(msg, { command: 'waiting', timestamp: 1, game_name: GAME, self: 'alice',
      opponent: null, token: 'tok', queue: null, queued_ms: null });
    assert.ok(Object.isFrozen(msg));
  });

  test('game_flux: fields the server leaves out read as what their absence means', () => {
    const msg = parseServerMessage(state('game_flux'));
    assert.equal(msg.hold, null);
    assert.equal(msg.hold_index, null);
    assert.equal(msg.rejected, null);
    assert.equal(msg.power_rejected, null);
    assert.equal(msg.opponent_away, false);
    assert.equal(msg.b2b, false);
    assert.equal(msg.combo, -1);
    assert.deepEqual([msg.lines, msg.fx, msg.power_ack], [0, 0, 0]);
    assert.deepEqual([msg.effects, msg.powers_available, msg.power_applied], [[], [], []]);
    // not in this message: the page keeps what it knew
    assert.deepEqual([msg.time_left, msg.opponent_blocks, msg.opponent_score, msg.echo],
      [null, null, null, null]);
  });

  test('game_flux: what the server sends comes through, checked', () => {
    const msg = parseServerMessage(state('game_flux', {
      hold: 'O', hold_index: 3, rejected: { n: 2, i: 4, reason: 'collision' }, combo: 1,
      b2b: true, lines: 4, fx: 2, effects: [{ id: 3, kind: 'garbage', from: 'bob', lines: 2,
        hole: 7 }], powers_available: ['quake'], power_ack: 1,
      power_rejected: { n: 0, power: 'nuke', reason: 'not_held' },
      power_applied: [{ id: 2, power: 'quake', from: 'bob' }], garbage_sent: 3,
      time_left: 1000, opponent_blocks: EMPTY, opponent_score: 300, opponent_lines: 2,
      opponent_pieces: 9, opponent_away: true, power_used: 'quake', echo: 4,
    }));
    assert.deepEqual(msg.rejected, { n: 2, i: 4, reason: 'collision' });
    assert.deepEqual(msg.effects, [{ id: 3, kind: 'garbage', from: 'bob', lines: 2, hole: 7 }]);
    assert.deepEqual(msg.power_applied, [{ id: 2, power: 'quake', from: 'bob' }]);
    assert.deepEqual([msg.opponent_score, msg.opponent_lines, msg.opponent_away, msg.echo],
      [300, 2, true, 4]);
  });

  test('game_end and error', () => {
    assert.deepEqual(parseServerMessage({ timestamp: 9, command: 'game_end', game_name: GAME,
      winner: null, score: { alice: 10, bob: 10 }, reason: 'time_up' }), {
      command: 'game_end', timestamp: 9, game_name: GAME, winner: null,
      score: { alice: 10, bob: 10 }, reason: 'time_up', user_score: null, opponent_score: null,
      top_out: null, left: false, stats: null, fields: null,
    });
    assert.deepEqual(parseServerMessage({ command: 'error', reason: 'bad_field' }),
      { command: 'error', timestamp: null, reason: 'bad_field', detail: null });
  });

  test('hidden rows: checked hex, read as none when left out; rules and the top-out kind', () => {
    const msg = parseServerMessage(start({ user_hidden: '0011ff', opponent_hidden: '200',
      rules: 2 }));
    assert.deepEqual([msg.user_hidden, msg.opponent_hidden, msg.rules], ['0011ff', '200', 2]);
    const bare = parseServerMessage(start());
    assert.deepEqual([bare.user_hidden, bare.opponent_hidden, bare.rules], ['', '', null]);
    const end = parseServerMessage({ timestamp: 9, command: 'game_end', game_name: GAME,
      winner: 'bob', score: { alice: 1, bob: 2 }, reason: 'top_out', top_out: 'block_out' });
    assert.equal(end.top_out, 'block_out');
  });

  const watched = (extra = {}) => ({
    name: 'alice', blocks: EMPTY, score: 0, lines: 0, pieces: 0, garbage: 0, away: false,
    ...extra,
  });
  const spectate = (players) => ({ timestamp: 5, command: 'spectate', game_name: GAME, players,
    time_left: 1000, countdown_ms: 0, log: [] });

  test('spectate: each player\'s held and coming pieces, none when left out', () => {
    const msg = parseServerMessage(spectate([
      watched({ hold: 'T', next: ['I', 'O', 'S', 'Z', 'J'] }), watched({ name: 'bob' })]));
    assert.equal(msg.players[0].hold, 'T');
    assert.deepEqual(msg.players[0].next, ['I', 'O', 'S', 'Z', 'J']);
    assert.equal(msg.players[1].hold, null);
    assert.deepEqual(msg.players[1].next, []);
  });

  test('a parsed message parses to itself', () => {
    const msg = parseServerMessage(start());
    assert.equal(parseServerMessage(msg), msg);
  });

  const bad = [
    [null, /server message: expected a JSON object/],
    [[], /server message: expected a JSON object/],
    [{ command: 'verify', cookie: 'x' }, /server message command: expected waiting \|/],
    [{ command: 'toString' }, /server message command/],
    [{ command: 'waiting', game_name: GAME, self: 'a' }, /waiting\.timestamp/],
    [{ command: 'waiting', timestamp: 1.5, game_name: GAME, self: 'a' }, /waiting\.timestamp/],
    [{ command: 'waiting', timestamp: 1, game_name: 7, self: 'a' }, /waiting\.game_name/],
    [{ command: 'waiting', timestamp: 1, game_name: GAME, self: 'a', token: 5 }, /waiting\.token/],
    [start({ token: undefined }), /game_start\.token/],
    [start({ opponent: null }), /game_start\.opponent/],
    [state('game_flux', { user_blocks: EMPTY.slice(1) }), /game_flux\.user_blocks/],
    [state('game_flux', { user_blocks: [...EMPTY.slice(1), '....X.....'] }),
      /game_flux\.user_blocks\[19\]: unexpected cell "X"/],
    [state('game_flux', { opponent_blocks: [] }), /game_flux\.opponent_blocks/],
    [state('game_flux', { next_block: ['T', 'Q'] }), /game_flux\.next_block\[1\]/],
    [state('game_flux', { ack: -1 }), /game_flux\.ack/],
    [state('game_flux', { hold: 'Q' }), /game_flux\.hold/],
    [state('game_flux', { b2b: 1 }), /game_flux\.b2b/],
    [state('game_flux', { opponent_away: 'yes' }), /game_flux\.opponent_away/],
    [state('game_flux', { rejected: 'no' }), /game_flux\.rejected/],
    [state('game_flux', { effects: [{ id: 2, kind: 'nuke' }] }), /effects\[0\]\.id: expected 1/],
    [state('game_flux', { power_applied: [{ id: 1 }] }), /power_applied\[0\]\.power/],
    [state('game_flux', { power_used: 'bomb' }), /game_flux\.power_used/],
    [state('game_flux', { time_left: -5 }), /game_flux\.time_left/],
    [state('game_flux', { user_hidden: '0011f' }), /game_flux\.user_hidden: expected up to 20/],
    [state('game_flux', { user_hidden: '00G' }), /game_flux\.user_hidden/],
    [state('game_flux', { opponent_hidden: '400' }), /opponent_hidden: row 0 has bits past x = 9/],
    [state('game_flux', { user_hidden: '001'.repeat(21) }), /game_flux\.user_hidden/],
    [start({ rules: 'two' }), /game_start\.rules/],
    [{ command: 'game_end', timestamp: 1, game_name: GAME, score: {}, reason: 'top_out',
      top_out: 3 }, /game_end\.top_out/],
    [{ command: 'game_end', timestamp: 1, game_name: GAME, score: [], reason: 'x' },
      /game_end\.score/],
    [{ command: 'game_end', timestamp: 1, game_name: GAME, score: {} }, /game_end\.reason/],
    [{ command: 'error' }, /error\.reason/],
    [spectate([watched({ hold: 'Q' }), watched()]), /spectate\.players\[0\]\.hold/],
    [spectate([watched(), watched({ next: ['T', 7] })]), /spectate\.players\[1\]\.next\[1\]/],
  ];
  for (const [msg, reason] of bad) {
    test(`refuses ${JSON.stringify(msg)?.slice(0, 70)}`, () => {
      assert.throws(() => parseServerMessage(msg), (error) => error instanceof TypeError
        && reason.test(error.message));
    });
  }
});

describe('TimestampFilter', () => {
  const stamped = (command, timestamp) => ({ command, timestamp });

  test('delivers strictly newer messages and drops equal or older ones', () => {
    const filter = new TimestampFilter();
    assert.equal(filter.accept(stamped('game_flux', 100)), true);
    assert.equal(filter.accept(stamped('game_flux', 100)), false);
    assert.equal(filter.accept(stamped('game_flux', 99)), false);
    assert.equal(filter.accept(stamped('game_flux', 101)), true);
    assert.equal(filter.lastApplied, 101);
  });

  test('every stamped command shares one mark', () => {
    const filter = new TimestampFilter();
    assert.equal(filter.accept(stamped('waiting', 100)), true);
    assert.equal(filter.accept(stamped('game_start', 200)), true);
    assert.equal(filter.accept(stamped('waiting', 150)), false);
    assert.equal(filter.accept(stamped('game_end', 200)), false);
    assert.equal(filter.accept(stamped('game_end', 201)), true);
    assert.equal(filter.accept(stamped('error', 201)), false, 'a stamped error is ordered too');
  });

  test('a stale message does not move the mark', () => {
    const filter = new TimestampFilter();
    filter.accept(stamped('game_flux', 10));
    filter.accept(stamped('game_flux', 5));
    assert.equal(filter.accept(stamped('game_flux', 6)), false);
    assert.equal(filter.accept(stamped('game_flux', 11)), true);
  });

  test('messages without a timestamp (errors) always pass and leave the mark', () => {
    const filter = new TimestampFilter();
    filter.accept(stamped('game_flux', 1000));
    assert.equal(filter.accept(parseServerMessage({ command: 'error', reason: 'bad_field' })),
      true);
    assert.equal(filter.lastApplied, 1000);
  });
});
