// static/js/session.js: the page's phases and transitions, driven by intents, server messages
// and the clock, checked by the actions they give (no DOM, no socket, no storage).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { MIN_CONNECT_BYTES, endSummary, errorText } from '../../static/js/messages.js';
import { RULES_VERSION } from '../../static/js/rules/pieces.js';
import {
  AFTER_KEEPALIVE_MS, CONNECT_RETRY_MS, Phase, Session, WATCH_REPEAT_MS,
} from '../../static/js/session.js';

const BASE = '/play/';
const SHARE = 'https://example.test/play/';
const GAME = 'Xk3aaaaaaaaaaaaaaaaaaa';
const OTHER = 'Yz9bbbbbbbbbbbbbbbbbbb';
const EMPTY = Array(20).fill('..........');

function newSession() {
  let stamp = 1000;
  const next = () => { stamp += 1; return stamp; };
  return new Session({ basePath: BASE, shareBase: SHARE, stamp: next });
}

const waiting = (timestamp, { gameName = GAME, token = 'wtok', opponent = null } = {}) => ({
  timestamp, command: 'waiting', game_name: gameName, self: 'alice', opponent, token,
});
const gameStart = (timestamp, { gameName = GAME, self = 'alice', timeLeft = 180000 } = {}) => ({
  timestamp, command: 'game_start', game_name: gameName, self, opponent: 'bob', token: 'stok',
  user_blocks: EMPTY, opponent_blocks: EMPTY, next_block: ['T', 'I', 'O', 'S', 'Z', 'J', 'L'],
  time_left: timeLeft, user_score: 0, opponent_score: 0, powers_available: [], piece_index: 0,
  ack: 0, fx: 0, effects: [], power_ack: 0, rules: RULES_VERSION,
});
const flux = (timestamp, gameName = GAME) => ({
  ...gameStart(timestamp, { gameName }), command: 'game_flux', echo: 999,
});
const gameEnd = (timestamp, gameName = GAME) => ({
  timestamp, command: 'game_end', game_name: gameName, winner: 'alice',
  score: { alice: 2300, bob: 1200 }, reason: 'time_up', user_score: 2300, opponent_score: 1200,
});
const error = (reason) => ({ command: 'error', reason });

const types = (actions) => actions.map((action) => action.type);
const sent = (actions) => actions.filter((a) => a.type === 'send').map((a) => a.message);
const shown = (actions) => actions.filter((a) => a.type === 'show');
const withoutPad = ({ pad, ...message }) => message;
const bytes = (message) => new TextEncoder().encode(JSON.stringify(message)).length;

// A session that created a match and waits in it (the server answered with a token).
function waitingSession() {
  const session = newSession();
  session.create({ self: 'alice' }, 0);
  session.receive(waiting(10), 5);
  return session;
}

function playingSession() {
  const session = waitingSession();
  session.receive(gameStart(20), 100);
  return session;
}

describe('the start page', () => {
  test('the phases are a frozen set of names', () => {
    assert.ok(Object.isFrozen(Phase));
    assert.throws(() => { Phase.HOME = 'x'; }, TypeError);
    assert.equal(newSession().phase, Phase.HOME);
  });

  test('a tab with nothing to come back to shows the start page and sends nothing', () => {
    const session = newSession();
    assert.deepEqual(session.restore({ gameName: null, seat: null, waiting: null }, 0),
      [{ type: 'show', view: 'home' }]);
    assert.equal(session.phase, Phase.HOME);
    assert.deepEqual(session.tick(5000), []);
    assert.deepEqual(session.socketOpened(5000), []);
    assert.deepEqual(session.leave(), []);
  });

  test('create: connecting, with a padded connect open to anyone', () => {
    const session = newSession();
    const actions = session.create({ self: 'alice' }, 0);
    assert.equal(session.phase, Phase.CONNECTING);
    assert.equal(session.live, false);
    assert.deepEqual(shown(actions),
      [{ type: 'show', view: 'message', title: 'Connecting…', text: '', home: false }]);
    const [connect] = sent(actions);
    assert.deepEqual(withoutPad(connect),
      { command: 'connect', self: 'alice', opponent: null, timestamp: 1001 });
    assert.ok(bytes(connect) >= MIN_CONNECT_BYTES);
  });

  test('every connect carries the tab key it was given', () => {
    const key = 'k'.repeat(22);
    const session = new Session({ basePath: BASE, shareBase: SHARE, stamp: () => 1, key });
    const [connect] = sent(session.create({ self: 'alice' }, 0));
    assert.equal(connect.key, key);
    session.receive(waiting(5), 0);
    const [repeat] = sent(session.tick(CONNECT_RETRY_MS));
    assert.equal(repeat.key, key);
    assert.equal(repeat.token, 'wtok');
  });

  test('challenge names the opponent; join names the match', () => {
    const challenger = newSession();
    assert.equal(sent(challenger.challenge({ self: 'alice', opponent: 'bob' }, 0))[0].opponent,
      'bob');
    const guest = newSession();
    const connect = withoutPad(sent(guest.join({ self: 'bob', gameName: GAME }, 0))[0]);
    assert.deepEqual(connect,
      { command: 'connect', self: 'bob', game_name: GAME, timestamp: 1001 });
  });

  test('bad intents are refused and change nothing', () => {
    const session = newSession();
    assert.throws(() => session.create({ self: '' }, 0), /self: expected a name/);
    assert.throws(() => session.challenge({ self: 'alice', opponent: null }, 0), /opponent/);
    assert.throws(() => session.join({ self: 'alice' }, 0), /gameName/);
    assert.throws(() => session.rejoin({ self: 'alice', gameName: GAME }, 0), /token/);
    assert.equal(session.phase, Phase.HOME);
    assert.deepEqual(session.tick(5000), []);
  });

  test('one match at a time: a second start while connecting is ignored', () => {
    const session = newSession();
    session.create({ self: 'alice' }, 0);
    assert.deepEqual(session.join({ self: 'alice', gameName: OTHER }, 10), []);
    assert.equal(sent(session.tick(CONNECT_RETRY_MS))[0].game_name, undefined);
  });
});

describe('connecting and waiting', () => {
  test('connect is repeated once a second until an answer names the seat', () => {
    const session = newSession();
    session.create({ self: 'alice' }, 0);
    assert.deepEqual(session.tick(CONNECT_RETRY_MS - 1), []);
    const [again] = sent(session.tick(CONNECT_RETRY_MS));
    assert.equal(again.command, 'connect');
    assert.equal(again.timestamp, 1002, 'every retry is stamped anew');
    assert.deepEqual(session.tick(CONNECT_RETRY_MS + 500), []);
    assert.equal(sent(session.tick(2 * CONNECT_RETRY_MS)).length, 1);
  });

  test('waiting: the link to share, the URL, and the waiting match remembered', () => {
    const session = newSession();
    session.create({ self: 'alice' }, 0);
    const actions = session.receive(waiting(10), 5);
    assert.equal(session.phase, Phase.WAITING);
    assert.deepEqual(actions, [
      { type: 'store-waiting', gameName: GAME,
        entry: { self: 'alice', opponent: null, queue: null, token: 'wtok' } },
      { type: 'set-url', path: `${BASE}m/${GAME}` },
      { type: 'show', view: 'waiting', link: `${SHARE}m/${GAME}#host=alice`, opponent: null },
    ]);
  });

  test('a challenger waits for the named opponent and remembers whom', () => {
    const session = newSession();
    session.challenge({ self: 'alice', opponent: 'bob' }, 0);
    const actions = session.receive(waiting(10, { opponent: 'bob' }), 5);
    assert.deepEqual(actions[0].entry,
      { self: 'alice', opponent: 'bob', queue: null, token: 'wtok' });
    assert.equal(shown(actions)[0].opponent, 'bob');
  });

  test('after waiting, every retry names the seat with its token (a keep-alive)', () => {
    const session = waitingSession();
    const [retry] = sent(session.tick(CONNECT_RETRY_MS));
    assert.deepEqual(withoutPad(retry),
      { command: 'connect', self: 'alice', game_name: GAME, token: 'wtok', timestamp: 1002 });
  });

  test('a repeated waiting stores nothing new; a new match forgets the old one', () => {
    const session = waitingSession();
    assert.deepEqual(types(session.receive(waiting(11), 1000)), ['set-url', 'show']);
    const moved = session.receive(waiting(12, { gameName: OTHER, token: 'new' }), 2000);
    assert.deepEqual(moved.slice(0, 2), [
      { type: 'drop-waiting', gameName: GAME },
      { type: 'store-waiting', gameName: OTHER,
        entry: { self: 'alice', opponent: null, queue: null, token: 'new' } },
    ]);
  });

  test('a waiting without a token keeps asking with the open connect', () => {
    const session = newSession();
    session.create({ self: 'alice' }, 0);
    session.receive(waiting(10, { token: null }), 5);
    const [retry] = sent(session.tick(CONNECT_RETRY_MS));
    assert.equal(retry.game_name, undefined);
    assert.equal(retry.token, undefined);
  });

  test('Cancel withdraws the waiting match with its token and goes home', () => {
    const session = waitingSession();
    const actions = session.leave();
    assert.deepEqual(actions, [
      { type: 'send', message: { timestamp: 1002, command: 'leave', game_name: GAME,
        token: 'wtok', intent: 'forfeit' } },
      { type: 'drop-waiting', gameName: GAME },
      { type: 'set-url', path: BASE },
      { type: 'show', view: 'home' },
    ]);
    assert.equal(session.phase, Phase.HOME);
    assert.deepEqual(session.tick(10000), [], 'nothing is asked for any more');
    assert.deepEqual(session.receive(gameStart(30), 10000), [], 'a late game_start is not ours');
  });

  test('Cancel before any answer sends nothing and goes home', () => {
    const session = newSession();
    session.create({ self: 'alice' }, 0);
    assert.deepEqual(types(session.leave()), ['set-url', 'show']);
    assert.equal(session.phase, Phase.HOME);
  });

  test('a new socket while waiting claims the seat again at once', () => {
    const session = waitingSession();
    const [claim] = sent(session.socketOpened(300));
    assert.equal(claim.token, 'wtok');
    assert.deepEqual(session.tick(300 + CONNECT_RETRY_MS - 1), []);
  });
});

describe('playing', () => {
  test('game_start: the seat remembered, the waiting match forgotten, the match started', () => {
    const session = waitingSession();
    const start = gameStart(20);
    const actions = session.receive(start, 100);
    assert.equal(session.phase, Phase.PLAYING);
    assert.equal(session.live, true);
    assert.deepEqual(actions.map(({ message, ...rest }) => rest), [
      { type: 'store-seat', gameName: GAME, seat: { self: 'alice', token: 'stok', total: 180000 } },
      { type: 'drop-waiting', gameName: GAME },
      { type: 'start-match', total: 180000, countdownMs: 0 },
      { type: 'set-url', path: `${BASE}m/${GAME}` },
    ]);
    const { message } = actions[2];
    assert.equal(message.game_name, GAME);
    assert.equal(message.token, 'stok');
    assert.ok(Object.isFrozen(message), 'the match gets the parsed message');
    assert.deepEqual(session.tick(100 + 5 * CONNECT_RETRY_MS), [], 'no more connect retries');
  });

  test('a game_start of other rules plays nothing: out of date, the seat kept for a reload', () => {
    for (const rules of [RULES_VERSION + 1, undefined]) {
      const session = waitingSession();
      const actions = session.receive({ ...gameStart(20), rules }, 100);
      assert.equal(session.phase, Phase.REFUSED);
      assert.deepEqual(types(actions), ['store-seat', 'drop-waiting', 'set-url', 'show']);
      assert.equal(actions[2].path, `${BASE}m/${GAME}`, 'a reload comes back to this seat');
      const [message] = shown(actions);
      assert.equal(message.title, 'This page is out of date: reload');
      assert.match(message.text, rules === undefined ? /other rules/ : /rules version 3/);
      assert.deepEqual(session.receive(flux(30), 200), [], 'nothing is played');
      assert.deepEqual(session.tick(100 + 5 * CONNECT_RETRY_MS), [], 'nor asked again');
    }
  });

  test('a guest who joined by link starts without a waiting match to forget', () => {
    const session = newSession();
    session.join({ self: 'bob', gameName: GAME }, 0);
    assert.deepEqual(types(session.receive(gameStart(20, { self: 'bob' }), 5)),
      ['store-seat', 'start-match', 'set-url']);
  });

  test('game_flux of the running match is applied; of another match, ignored', () => {
    const session = playingSession();
    const actions = session.receive(flux(30), 200);
    assert.deepEqual(types(actions), ['apply']);
    assert.equal(actions[0].message.echo, 999);
    assert.deepEqual(session.receive(flux(31, OTHER), 210), []);
    assert.deepEqual(session.receive(gameStart(32, { gameName: OTHER }), 220), []);
  });

  test('a game_flux before game_start is ignored', () => {
    const session = waitingSession();
    assert.deepEqual(session.receive(flux(30), 200), []);
    assert.equal(session.phase, Phase.WAITING);
  });

  test('a new socket claims the seat with the token; game_flux waits for the rejoin', () => {
    const session = playingSession();
    const [claim] = sent(session.socketOpened(500));
    assert.deepEqual(withoutPad(claim),
      { command: 'connect', self: 'alice', game_name: GAME, token: 'stok', timestamp: 1002 });
    assert.equal(session.live, false, 'match.js does not send game_flux meanwhile');
    assert.equal(sent(session.tick(500 + CONNECT_RETRY_MS)).length, 1);
    const resumed = session.receive(gameStart(40), 1600);
    assert.deepEqual(types(resumed), ['resume-match']);
    assert.equal(session.live, true);
    assert.deepEqual(session.tick(5000), []);
  });

  test('Leave forfeits with the seat token; the server ends the match', () => {
    const session = playingSession();
    assert.deepEqual(session.leave(), [{ type: 'send', message: {
      timestamp: 1002, command: 'leave', game_name: GAME, token: 'stok', intent: 'forfeit',
    } }]);
    assert.equal(session.phase, Phase.PLAYING);
  });
});

describe('the end', () => {
  test('game_end stops the match, keeps the seat (for Rematch) and shows the summary', () => {
    const session = playingSession();
    const end = gameEnd(50);
    const actions = session.receive(end, 3000);
    assert.equal(session.phase, Phase.ENDED);
    assert.deepEqual(actions, [
      { type: 'stop-match' },
      { type: 'set-url', path: BASE },
      { type: 'show', view: 'end', summary: endSummary(end, 'alice'), rematch: true },
    ]);
    assert.equal(actions[2].summary.title, 'You win!');
    assert.deepEqual(session.receive(gameEnd(51), 3100), [], 'told once');
    assert.deepEqual(session.leave(), []);
    // the seat stays heard for a rematch: its connect, once a second, for a minute
    assert.deepEqual(session.tick(3999), []);
    assert.deepEqual(withoutPad(sent(session.tick(4000))[0]),
      { command: 'connect', self: 'alice', game_name: GAME, token: 'stok', timestamp: 1002 });
    assert.equal(sent(session.socketOpened(4500)).length, 1, 'a new socket is heard at once');
    assert.deepEqual(session.tick(3000 + AFTER_KEEPALIVE_MS), [], 'then it stops');
    assert.deepEqual(session.tick(9000 + AFTER_KEEPALIVE_MS), []);
  });

  test('a game_end of another match is not ours', () => {
    const session = playingSession();
    assert.deepEqual(session.receive(gameEnd(50, OTHER), 3000), []);
    assert.equal(session.phase, Phase.PLAYING);
  });

  test('a reloaded tab whose match has ended meanwhile shows its end', () => {
    const session = newSession();
    session.restore({ gameName: GAME, seat: { self: 'alice', token: 'stok', total: 180000 } }, 0);
    assert.deepEqual(types(session.receive(gameEnd(50), 10)), ['set-url', 'show']);
    assert.equal(session.phase, Phase.ENDED);
  });
});

describe('coming back after a reload', () => {
  test('a remembered seat rejoins with its token and keeps the match length', () => {
    const session = newSession();
    const actions = session.restore({
      gameName: GAME, seat: { self: 'alice', token: 'stok', total: 120000 }, waiting: null,
    }, 0);
    assert.equal(session.phase, Phase.CONNECTING);
    assert.equal(shown(actions)[0].title, 'Rejoining your match…');
    assert.deepEqual(withoutPad(sent(actions)[0]),
      { command: 'connect', self: 'alice', game_name: GAME, token: 'stok', timestamp: 1001 });
    const started = session.receive(gameStart(20, { timeLeft: 90000 }), 50);
    assert.equal(started.find((a) => a.type === 'start-match').total, 120000);
    assert.equal(started.find((a) => a.type === 'store-seat').seat.total, 120000);
  });

  test('a damaged remembered length falls back to the server\'s time_left', () => {
    const session = newSession();
    session.restore({ gameName: GAME, seat: { self: 'alice', token: 'stok', total: 'x' } }, 0);
    const started = session.receive(gameStart(20, { timeLeft: 90000 }), 50);
    assert.equal(started.find((a) => a.type === 'start-match').total, 90000);
  });

  test('a reloaded host comes back to its waiting match with the token', () => {
    const session = newSession();
    const actions = session.restore({
      gameName: GAME, seat: null, waiting: { self: 'alice', opponent: 'bob', token: 'wtok' },
    }, 0);
    assert.equal(sent(actions)[0].token, 'wtok');
    assert.deepEqual(types(session.receive(waiting(10, { opponent: 'bob' }), 5)),
      ['store-waiting', 'set-url', 'show']);
    assert.equal(session.phase, Phase.WAITING);
  });

  test('a reloaded host whose waiting match is gone opens a fresh one', () => {
    const session = newSession();
    session.restore({
      gameName: GAME, seat: null, waiting: { self: 'alice', opponent: 'bob', token: 'wtok' },
    }, 0);
    const actions = session.receive(error('unknown_game'), 10);
    assert.deepEqual(actions[0], { type: 'drop-waiting', gameName: GAME });
    assert.equal(session.phase, Phase.CONNECTING);
    assert.deepEqual(withoutPad(sent(actions)[0]),
      { command: 'connect', self: 'alice', opponent: 'bob', timestamp: 1002 });
    assert.equal(shown(actions)[0].title, 'Connecting…');
    // the fresh match has no fallback of its own: a refusal now is shown
    assert.equal(shown(session.receive(error('unknown_game'), 20))[0].title, 'Cannot join');
  });

  test('a remembered waiting match without a token is forgotten and opened afresh', () => {
    const session = newSession();
    const actions = session.restore({
      gameName: GAME, seat: null, waiting: { self: 'alice', opponent: null, token: null },
    }, 0);
    assert.deepEqual(actions[0], { type: 'drop-waiting', gameName: GAME });
    assert.deepEqual(withoutPad(sent(actions)[0]),
      { command: 'connect', self: 'alice', opponent: null, timestamp: 1001 });
  });
});

describe('refusals', () => {
  test('a bad or taken name goes back to the start page and is not asked again', () => {
    for (const reason of ['name_taken', 'bad_name']) {
      const session = newSession();
      session.join({ self: 'alice', gameName: GAME }, 0);
      assert.deepEqual(session.receive(error(reason), 10),
        [{ type: 'show', view: 'home', error: errorText(reason) }]);
      assert.equal(session.phase, Phase.HOME);
      assert.deepEqual(session.tick(5000), [], 'a refused request is forgotten');
      assert.deepEqual(session.socketOpened(5000), []);
      assert.equal(sent(session.create({ self: 'alice2' }, 6000)).length, 1, 'and may start anew');
    }
  });

  test('any other refusal of a connect shows why, with a way home', () => {
    const session = newSession();
    session.join({ self: 'carol', gameName: GAME }, 0);
    assert.deepEqual(session.receive(error('game_full'), 10), [{ type: 'show', view: 'message',
      title: 'Cannot join', text: errorText('game_full'), home: true }]);
    assert.equal(session.phase, Phase.REFUSED);
    assert.deepEqual(session.tick(5000), []);
    assert.deepEqual(session.socketOpened(5000), []);
  });

  test('a refused rejoin forgets the remembered seat and asks what the link leads to', () => {
    const session = newSession();
    session.restore({ gameName: GAME, seat: { self: 'alice', token: 'stok', total: 1 } }, 0);
    const actions = session.receive(error('bad_token'), 10);
    assert.deepEqual(types(actions), ['drop-seat', 'show', 'send']);
    assert.equal(sent(actions)[0].command, 'probe');
    assert.equal(session.phase, Phase.PROBING);
  });

  test('a waiting match that disappears is a refusal, not a fresh start', () => {
    const session = newSession();
    session.restore({
      gameName: GAME, seat: null, waiting: { self: 'alice', opponent: null, token: 'wtok' },
    }, 0);
    session.receive(waiting(10), 5);
    const actions = session.receive(error('unknown_game'), 2000);
    assert.equal(shown(actions)[0].title, 'Cannot join');
    assert.equal(session.phase, Phase.REFUSED);
  });

  test('a lost seat mid-match ends it with a message', () => {
    const session = playingSession();
    const actions = session.receive(error('not_in_game'), 500);
    assert.deepEqual(actions, [
      { type: 'stop-match' },
      { type: 'set-url', path: BASE },
      { type: 'show', view: 'message', title: 'Match over', text: errorText('not_in_game'),
        home: true },
    ]);
    assert.equal(session.phase, Phase.REFUSED);
    assert.deepEqual(session.receive(flux(60), 600), []);
  });

  test('other errors while playing, or at home, are only reported', () => {
    const session = playingSession();
    assert.deepEqual(session.receive({ ...error('bad_field'), detail: 'game_flux.locks' }, 500),
      [{ type: 'warn', text: 'server error: bad_field (game_flux.locks)' }]);
    assert.equal(session.phase, Phase.PLAYING);
    assert.deepEqual(newSession().receive(error('rate_limited'), 0),
      [{ type: 'warn', text: 'server error: rate_limited' }]);
  });
});

describe('what the server says, in order', () => {
  test('a message not newer than the last one applied is dropped, whatever its command', () => {
    const session = newSession();
    session.create({ self: 'alice' }, 0);
    session.receive(waiting(10), 5);
    assert.deepEqual(session.receive(waiting(10, { gameName: OTHER }), 6), [], 'a replay');
    session.receive(gameStart(20), 7);
    assert.deepEqual(session.receive(flux(20), 8), []);
    assert.deepEqual(session.receive(flux(15), 9), []);
    assert.deepEqual(session.receive(gameEnd(19), 10), [], 'an old game_end');
    assert.equal(session.phase, Phase.PLAYING);
    assert.deepEqual(types(session.receive(flux(21), 11)), ['apply']);
  });

  test('errors carry no timestamp and always pass', () => {
    const session = playingSession();
    session.receive(flux(100), 200);
    assert.equal(types(session.receive(error('bad_field'), 300))[0], 'warn');
  });

  test('a malformed message is reported with its reason and changes nothing', () => {
    const session = waitingSession();
    const bad = [
      [{ ...gameStart(30), user_blocks: EMPTY.slice(1) }, /game_start\.user_blocks/],
      [{ ...gameStart(30), token: 7 }, /game_start\.token/],
      [{ ...waiting(30), game_name: '' }, /waiting\.game_name/],
      [{ ...gameEnd(30), score: { alice: -1 } }, /game_end\.score\.alice/],
      [{ command: 'game_flux', game_name: GAME }, /game_flux\.timestamp/],
      [{ command: 'surprise', timestamp: 30 }, /command/],
    ];
    for (const [message, reason] of bad) {
      const [warning, ...rest] = session.receive(message, 100);
      assert.equal(warning.type, 'warn');
      assert.match(warning.text, reason);
      assert.deepEqual(rest, []);
      assert.equal(session.phase, Phase.WAITING);
    }
    // none of them moved the timestamp mark
    assert.deepEqual(types(session.receive(gameStart(30), 200)),
      ['store-seat', 'drop-waiting', 'start-match', 'set-url']);
  });
});
