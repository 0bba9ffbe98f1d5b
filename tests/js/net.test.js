// The browser's network layer without a network: frame parsing, the `timestamp > now` filter,
// client stamps, reconnect, and the messages it builds (docs/protocol.md).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  FluxSchedule, MAX_DATAGRAM, cleanName, connectMessage, endSummary, errorText, fluxMessage,
  leaveMessage,
} from '../../static/js/messages.js';
import {
  Connection, RttMeter, Stamper, TimestampFilter, backoffDelay, parseFrame, wsUrl,
} from '../../static/js/net.js';
import { dropSeat, loadSeat, saveSeat } from '../../static/js/seats.js';

const flux = (timestamp) => ({ command: 'game_flux', timestamp });

describe('parseFrame', () => {
  test('returns the object of a JSON object frame with a command', () => {
    assert.deepEqual(parseFrame('{"command":"waiting","game_name":"abc"}'),
      { command: 'waiting', game_name: 'abc' });
  });

  for (const bad of ['', 'not json', '[1,2]', 'null', '"text"', '42', '{"command":7}', '{}']) {
    test(`ignores ${JSON.stringify(bad)}`, () => assert.equal(parseFrame(bad), null));
  }

  test('ignores binary data', () => assert.equal(parseFrame(new Uint8Array([123, 125])), null));
});

describe('TimestampFilter', () => {
  test('delivers strictly newer game_flux and drops equal or older ones', () => {
    const filter = new TimestampFilter();
    assert.equal(filter.accept(flux(100)), true);
    assert.equal(filter.accept(flux(100)), false);
    assert.equal(filter.accept(flux(99)), false);
    assert.equal(filter.accept(flux(101)), true);
    assert.equal(filter.lastApplied, 101);
  });

  test('game_start and game_flux share one mark', () => {
    const filter = new TimestampFilter();
    assert.equal(filter.accept({ command: 'game_start', timestamp: 500 }), true);
    assert.equal(filter.accept(flux(400)), false);
    assert.equal(filter.accept({ command: 'game_start', timestamp: 450 }), false);
  });

  test('a stale frame does not move the mark', () => {
    const filter = new TimestampFilter();
    filter.accept(flux(10));
    filter.accept(flux(5));
    assert.equal(filter.accept(flux(6)), false);
    assert.equal(filter.accept(flux(11)), true);
  });

  test('drops ordered frames without an integer timestamp', () => {
    const filter = new TimestampFilter();
    for (const timestamp of [undefined, null, '100', 1.5, NaN, Infinity]) {
      assert.equal(filter.accept(flux(timestamp)), false, String(timestamp));
    }
    assert.equal(filter.lastApplied, -Infinity);
  });

  test('always delivers waiting, game_end and error, whatever their timestamp', () => {
    const filter = new TimestampFilter();
    filter.accept(flux(1000));
    assert.equal(filter.accept({ command: 'game_end', timestamp: 1 }), true);
    assert.equal(filter.accept({ command: 'waiting', timestamp: 2 }), true);
    assert.equal(filter.accept({ command: 'error', reason: 'bad_field' }), true);
    assert.equal(filter.lastApplied, 1000);
  });
});

describe('Stamper', () => {
  test('follows the clock and stays strictly increasing within one millisecond', () => {
    let now = 1000.7;
    const stamper = new Stamper(() => now);
    assert.equal(stamper.next(), 1000);
    assert.equal(stamper.next(), 1001);
    now = 1500;
    assert.equal(stamper.next(), 1500);
    now = 900; // the wall clock stepped back
    assert.equal(stamper.next(), 1501);
  });
});

describe('RttMeter', () => {
  test('measures from the oldest unanswered request and smooths', () => {
    const rtt = new RttMeter();
    rtt.replied(5); // a push with nothing outstanding measures nothing
    assert.equal(rtt.estimate, null);
    rtt.sent(100);
    rtt.sent(120);
    rtt.replied(140);
    assert.equal(rtt.estimate, 40);
    rtt.sent(200);
    rtt.replied(280);
    assert.equal(rtt.estimate, 45); // 40 + (80 - 40) / 8
  });
});

test('wsUrl uses wss on https and the page host', () => {
  assert.equal(wsUrl({ protocol: 'https:', host: 'example.org' }, '/blockattack/ws'),
    'wss://example.org/blockattack/ws');
  assert.equal(wsUrl({ protocol: 'http:', host: '127.0.0.1:8080' }, '/ws'),
    'ws://127.0.0.1:8080/ws');
});

test('backoffDelay doubles from 250 ms and stays under 5 s with jitter', () => {
  const mid = () => 0.5;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, mid)),
    [250, 500, 1000, 2000, 4000, 5000, 5000]);
  assert.equal(backoffDelay(0, () => 0), 188);
  assert.equal(backoffDelay(20, () => 0.999999), 6250);
});

class FakeSocket {
  static made = [];

  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.listeners = {};
    FakeSocket.made.push(this);
  }

  addEventListener(type, fn) {
    (this.listeners[type] ??= []).push(fn);
  }

  emit(type, event = {}) {
    if (type === 'open') this.readyState = 1;
    if (type === 'close') this.readyState = 3;
    for (const fn of this.listeners[type] ?? []) fn(event);
  }

  send(text) {
    this.sent.push(text);
  }

  close() {
    this.emit('close');
  }
}

describe('Connection', () => {
  const open = () => {
    FakeSocket.made = [];
    const log = { messages: [], states: [], opens: 0 };
    const conn = new Connection('ws://x/ws', {
      onMessage: (msg) => log.messages.push(msg),
      onState: (state) => log.states.push(state),
      onOpen: () => { log.opens += 1; },
    }, { WebSocketImpl: FakeSocket });
    conn.open();
    return { conn, log, socket: FakeSocket.made[0] };
  };

  test('delivers parsed frames through the timestamp filter and ignores junk', () => {
    const { log, socket } = open();
    socket.emit('open');
    for (const data of ['garbage', '{"command":"game_flux","timestamp":5}',
      '{"command":"game_flux","timestamp":5}', '[]', '{"command":"error","reason":"x"}']) {
      socket.emit('message', { data });
    }
    assert.deepEqual(log.messages.map((m) => m.command), ['game_flux', 'error']);
    assert.deepEqual(log.states, ['connecting', 'online']);
    assert.equal(log.opens, 1);
  });

  test('send refuses while the socket is not open, then sends JSON', () => {
    const { conn, socket } = open();
    assert.equal(conn.send({ command: 'connect', self: 'a' }), false);
    socket.emit('open');
    assert.equal(conn.send({ command: 'connect', self: 'a' }), true);
    assert.deepEqual(socket.sent.map((s) => JSON.parse(s)), [{ command: 'connect', self: 'a' }]);
  });

  test('an unexpected close reconnects; close() does not', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { conn, log, socket } = open();
    socket.emit('open');
    socket.emit('close');
    assert.equal(log.states.at(-1), 'reconnecting');
    t.mock.timers.tick(400);
    assert.equal(FakeSocket.made.length, 2);
    FakeSocket.made[1].emit('open');
    assert.equal(log.opens, 2);
    assert.equal(log.states.at(-1), 'online');
    conn.close();
    t.mock.timers.tick(10000);
    assert.equal(FakeSocket.made.length, 2);
  });
});

describe('messages', () => {
  test('cleanName trims and enforces the name rules', () => {
    assert.equal(cleanName('  alice  '), 'alice');
    assert.equal(cleanName('Zoë_2.x-y'), 'Zoë_2.x-y');
    for (const bad of ['', '   ', 'a'.repeat(17), '<b>', 'a/b', null]) {
      assert.equal(cleanName(bad), null, String(bad));
    }
  });

  test('connectMessage: open, challenge, join by link, rejoin with token', () => {
    assert.deepEqual(connectMessage({ self: 'a' }),
      { command: 'connect', self: 'a', opponent: null });
    assert.deepEqual(connectMessage({ self: 'a', opponent: 'b' }),
      { command: 'connect', self: 'a', opponent: 'b' });
    assert.deepEqual(connectMessage({ self: 'b', gameName: 'G' }),
      { command: 'connect', self: 'b', game_name: 'G' });
    assert.deepEqual(connectMessage({ self: 'b', gameName: 'G', token: 'T' }),
      { command: 'connect', self: 'b', game_name: 'G', token: 'T' });
  });

  test('leaveMessage forfeits', () => {
    assert.deepEqual(leaveMessage({ timestamp: 9, gameName: 'G', token: 'T' }),
      { timestamp: 9, command: 'leave', game_name: 'G', token: 'T', intent: 'forfeit' });
  });

  const full = Array(20).fill('GGGGGGGGG.');
  const lock = (n) => ({ n, i: n, piece: 'T', r: 2, x: 3, y: 18, spin: false });
  const fluxArgs = (locks) => ({
    timestamp: 1764071003000, gameName: 'a'.repeat(22), token: 'b'.repeat(22),
    userRows: full, opponentRows: full, score: 123456, locks,
  });

  test('fluxMessage carries the seed fields, the token and the locks oldest first', () => {
    const msg = fluxMessage(fluxArgs([lock(0), lock(1)]));
    assert.equal(msg.command, 'game_flux');
    assert.deepEqual(msg.locks.map((l) => l.n), [0, 1]);
    assert.equal(msg.power_used, null);
    assert.deepEqual(msg.powers_available, []);
    assert.equal(msg.user_blocks, full);
    assert.equal(msg.token, 'b'.repeat(22));
  });

  test('fluxMessage drops the newest locks until the datagram fits 1,200 bytes', () => {
    const msg = fluxMessage(fluxArgs(Array.from({ length: 10 }, (_, n) => lock(100000 + n))));
    const size = new TextEncoder().encode(JSON.stringify(msg)).length;
    assert.ok(size <= MAX_DATAGRAM, `${size} bytes`);
    assert.ok(msg.locks.length >= 1 && msg.locks.length < 8, `${msg.locks.length} locks`);
    assert.deepEqual(msg.locks.map((l) => l.n), msg.locks.map((_, k) => 100000 + k));
  });

  test('FluxSchedule: every 100 ms with pending locks, else every second', () => {
    const schedule = new FluxSchedule();
    assert.equal(schedule.due(0, 0), true);
    schedule.sent(0);
    assert.equal(schedule.due(99, 1), false);
    assert.equal(schedule.due(100, 1), true);
    assert.equal(schedule.due(999, 0), false);
    assert.equal(schedule.due(1000, 0), true);
  });

  test('endSummary words every reason from both sides', () => {
    const msg = {
      command: 'game_end', winner: 'alice', score: { alice: 2300, bob: 1200 },
      reason: 'top_out', user_score: 1200, opponent_score: 2300,
    };
    const bob = endSummary(msg, 'bob');
    assert.equal(bob.title, 'alice wins');
    assert.equal(bob.outcome, 'loss');
    assert.equal(bob.reason, 'You topped out');
    assert.deepEqual(bob.scores, [{ name: 'bob', score: 1200 }, { name: 'alice', score: 2300 }]);
    const alice = endSummary({ ...msg, user_score: 2300, opponent_score: 1200 }, 'alice');
    assert.equal(alice.title, 'You win!');
    assert.equal(alice.reason, 'bob topped out');
    assert.equal(endSummary({ ...msg, reason: 'time_up' }, 'bob').reason, "Time's up");
    assert.equal(endSummary({ ...msg, reason: 'disconnect' }, 'alice').reason,
      'bob lost connection');
    assert.equal(endSummary({ ...msg, reason: 'forfeit' }, 'alice').reason, 'bob left the match');
    const draw = endSummary({ ...msg, winner: null, reason: 'time_up' }, 'bob');
    assert.equal(draw.title, 'Draw');
    assert.equal(draw.outcome, 'draw');
  });

  test('errorText explains known reasons and names unknown ones', () => {
    assert.match(errorText('unknown_game'), /no longer exists/);
    assert.match(errorText('game_full'), /two players/);
    assert.match(errorText('weird'), /weird/);
  });
});

describe('seats', () => {
  const memory = () => {
    const map = new Map();
    return {
      getItem: (k) => (map.has(k) ? map.get(k) : null),
      setItem: (k, v) => map.set(k, String(v)),
      removeItem: (k) => map.delete(k),
    };
  };

  test('a saved seat loads back by game_name and can be dropped', () => {
    const storage = memory();
    saveSeat(storage, 'G1', { self: 'alice', token: 'T', total: 180000 });
    assert.deepEqual(loadSeat(storage, 'G1'), { self: 'alice', token: 'T', total: 180000 });
    assert.equal(loadSeat(storage, 'G2'), null);
    dropSeat(storage, 'G1');
    assert.equal(loadSeat(storage, 'G1'), null);
  });

  test('damaged entries and missing names load as no seat', () => {
    const storage = memory();
    storage.setItem('blockattack.seat.G', '{not json');
    assert.equal(loadSeat(storage, 'G'), null);
    storage.setItem('blockattack.seat.G', '{"self":"a"}');
    assert.equal(loadSeat(storage, 'G'), null);
    assert.equal(loadSeat(storage, null), null);
  });
});
