// The browser's network layer without a network: frame parsing, client stamps, reconnect, and the messages it builds (docs/protocol.md).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  FluxSchedule, MAX_DATAGRAM, MIN_CONNECT_BYTES, cleanName, connectMessage, endSummary, errorText,
  fluxMessage, leaveMessage, resendBounds,
} from '../../static/js/messages.js';
import {
  BUSY_CLOSE, Connection, LinkMonitor, OUTAGE_MS, POOR_RTT_MS, RTT_SAMPLES, RttEstimator,
  SILENT_MS, START_SKIP_MS, Stamper, backoffDelay, parseFrame, wsUrl,
} from '../../static/js/net.js';
import {
  dropSeat, dropWaiting, loadSeat, loadWaiting, saveSeat, saveWaiting, tabKey,
} from '../../static/js/seats.js';

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

describe('LinkMonitor', () => {
  const reply = (echo) => ({ command: 'game_flux', timestamp: 1, echo });
  const push = { command: 'game_flux', timestamp: 1 };

  test('round-trip time: wall clock minus echo for a request not remembered, the median', () => {
    const link = new LinkMonitor();
    link.heard(push, 0, 5000); // an unasked push carries no echo: no sample
    assert.equal(link.rtt, null);
    link.heard(reply(4960), 0, 5000);
    assert.equal(link.rtt, 40);
    link.heard(reply(5920), 0, 6000);
    assert.equal(link.rtt, 60); // the median of 40 and 80
    link.heard(reply(6950), 0, 7000);
    assert.deepEqual(link.status('online', 0), { state: 'online', text: 'online · 50 ms',
      silentMs: 0 });
  });

  test('a remembered request is timed on the monotonic clock, send to reply', () => {
    const link = new LinkMonitor();
    link.sent({ command: 'game_flux', timestamp: 5000 }, 1000);
    link.heard(reply(5000), 1012, 5500); // the wall clock plays no part
    assert.equal(link.rtt, 12);
  });

  test('an echo from the future or an absurd past is no sample', () => {
    const link = new LinkMonitor();
    link.heard(reply(5001), 0, 5000);
    link.heard(reply(1), 0, 5000000);
    link.heard(reply('4990'), 0, 5000);
    assert.equal(link.rtt, null);
    assert.equal(link.status('online', 0).text, 'online');
  });

  test('a slow round trip shows as a poor connection', () => {
    const link = new LinkMonitor();
    link.heard(reply(1000), 0, 1000 + POOR_RTT_MS + 120);
    assert.deepEqual(link.status('online', 0),
      { state: 'poor', text: `poor connection · ${POOR_RTT_MS + 120} ms`, silentMs: 0 });
  });

  test('requests without an answer turn "no reply for n s"; any answer clears it', () => {
    const link = new LinkMonitor();
    const flux = { command: 'game_flux', timestamp: 1 };
    link.sent({ command: 'leave' }, 500); // may go unanswered (a cancelled waiting match)
    link.sent(flux, 1000);
    link.sent(flux, 2000); // the oldest unanswered request counts
    link.heard(push, 2500, 0); // a push is no answer to our requests
    assert.equal(link.status('online', 1000 + SILENT_MS - 1).state, 'online');
    const silent = link.status('online', 4700);
    assert.deepEqual(silent, { state: 'poor', text: 'no reply for 3 s', silentMs: 3700 });
    link.heard({ command: 'waiting', game_name: 'G' }, 4800, 0);
    assert.equal(link.status('online', 9000).state, 'online');
  });

  test('a socket that is not open says so, whatever the replies', () => {
    const link = new LinkMonitor();
    link.sent({ command: 'connect' }, 0);
    assert.deepEqual(link.status('reconnecting', 60000),
      { state: 'reconnecting', text: 'reconnecting…', silentMs: 0 });
    assert.equal(link.status('connecting', 0).text, 'connecting…');
    link.forget(); // a new socket: nothing waits for an answer
    assert.equal(link.status('online', 60000).state, 'online');
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
  const open = (clocks = {}) => {
    FakeSocket.made = [];
    const log = { messages: [], states: [], opens: 0, rtts: [] };
    const conn = new Connection('ws://x/ws', {
      onMessage: (msg) => log.messages.push(msg),
      onRtt: (rtt) => log.rtts.push(rtt),
      onState: (status) => log.states.push(status.state),
      onOpen: () => { log.opens += 1; },
    }, { WebSocketImpl: FakeSocket, ...clocks });
    conn.open();
    return { conn, log, socket: FakeSocket.made[0] };
  };

  test('delivers every JSON object frame with a command and ignores junk', () => {
    const { log, socket } = open();
    socket.emit('open');
    for (const data of ['garbage', '{"command":"game_flux","timestamp":5}',
      '{"command":"game_flux","timestamp":5}', '[]', '{"command":"error","reason":"x"}']) {
      socket.emit('message', { data });
    }
    // the repeat too: the session's TimestampFilter (server-messages.js) drops replays
    assert.deepEqual(log.messages.map((m) => m.command), ['game_flux', 'game_flux', 'error']);
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

  test('measures the round trip from echo, even on a stale frame', () => {
    const clock = { now: 0, wall: 10000 };
    const { conn, log, socket } = open({ clock: () => clock.now, wallClock: () => clock.wall });
    const { rtts } = log;
    socket.emit('open');
    conn.send({ command: 'game_flux', timestamp: 9980 }); // right after the open: no sample
    socket.emit('message', { data: '{"command":"game_flux","timestamp":5,"echo":9980}' });
    assert.equal(conn.status().text, 'online');
    clock.now = START_SKIP_MS;
    conn.send({ command: 'game_flux', timestamp: 9990 });
    clock.now += 10;
    socket.emit('message', { data: '{"command":"game_flux","timestamp":7,"echo":9990}' });
    assert.equal(conn.status().text, 'online · 10 ms');
    socket.emit('message', { data: '{"command":"game_flux","timestamp":6,"echo":9970}' });
    assert.equal(conn.status().text, 'online · 10 ms', 'an overtaken reply is no sample');
    assert.deepEqual(rtts, [10], 'the match hears the fresh samples only');
    clock.now = 100000;
    conn.send({ command: 'game_flux', timestamp: 10001 });
    clock.now = 103000;
    assert.equal(conn.status().state, 'poor');
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

  test('a socket that opens and closes without a frame is retried with growing delays', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    t.mock.method(Math, 'random', () => 0.5); // no jitter: delays 250, 500, 1000, 2000 …
    open();
    const retryAfter = () => { // open and drop the newest socket; ms until the next one
      const before = FakeSocket.made.length;
      FakeSocket.made.at(-1).emit('open');
      FakeSocket.made.at(-1).emit('close');
      let waited = 0;
      while (FakeSocket.made.length === before) {
        t.mock.timers.tick(50);
        waited += 50;
      }
      return waited;
    };
    assert.deepEqual([retryAfter(), retryAfter(), retryAfter(), retryAfter()],
      [250, 500, 1000, 2000]);
    // a socket that carried a frame worked: its loss is retried quickly again
    FakeSocket.made.at(-1).emit('open');
    FakeSocket.made.at(-1).emit('message', { data: '{"command":"error","reason":"x"}' });
    FakeSocket.made.at(-1).emit('close');
    t.mock.timers.tick(250);
    assert.equal(FakeSocket.made.length, 6);
  });

  test('a bridge at capacity (close 1013) shows busy and is retried only after seconds', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    t.mock.method(Math, 'random', () => 0.5); // no jitter
    const { conn, log, socket } = open();
    socket.emit('open');
    socket.emit('close', { code: BUSY_CLOSE, reason: 'server busy' });
    assert.equal(log.states.at(-1), 'busy');
    assert.deepEqual(conn.status(), { state: 'busy', text: 'server busy · retrying…', silentMs: 0 });
    const before = FakeSocket.made.length;
    t.mock.timers.tick(4999);
    assert.equal(FakeSocket.made.length, before); // not the 250 ms of an ordinary drop
    t.mock.timers.tick(1);
    assert.equal(FakeSocket.made.length, before + 1);
    conn.close();
  });
});

describe('messages', () => {
  test('cleanName trims and enforces the name rules', () => {
    assert.equal(cleanName('  alice  '), 'alice');
    assert.equal(cleanName('Zoe_2.x-y'), 'Zoe_2.x-y');
    // docs/protocol.md: ASCII letters and digits only (the server refuses the rest)
    for (const bad of ['', '   ', 'a'.repeat(17), '<b>', 'a/b', null, 'Zoë', '名前', '١٢']) {
      assert.equal(cleanName(bad), null, String(bad));
    }
  });

  const withoutPad = ({ pad, ...msg }) => msg;
  const bytes = (msg) => new TextEncoder().encode(JSON.stringify(msg)).length;

  test('connectMessage: open, challenge, join by link, rejoin with token', () => {
    assert.deepEqual(withoutPad(connectMessage({ self: 'a' })),
      { command: 'connect', self: 'a', opponent: null });
    assert.deepEqual(withoutPad(connectMessage({ self: 'a', opponent: 'b' })),
      { command: 'connect', self: 'a', opponent: 'b' });
    assert.deepEqual(withoutPad(connectMessage({ self: 'b', gameName: 'G' })),
      { command: 'connect', self: 'b', game_name: 'G' });
    const rejoin = connectMessage({ self: 'b', gameName: 'G', token: 'T', timestamp: 7 });
    assert.deepEqual(withoutPad(rejoin),
      { command: 'connect', self: 'b', timestamp: 7, game_name: 'G', token: 'T' });
  });

  test('connectMessage carries the tab key, whatever else it asks for', () => {
    const key = 'k'.repeat(22);
    assert.equal(connectMessage({ self: 'a', key }).key, key);
    assert.equal(connectMessage({ self: 'b', gameName: 'G', token: 'T', key }).key, key);
    assert.ok(!('key' in connectMessage({ self: 'a' })));
    assert.equal(bytes(connectMessage({ self: 'a', key })), MIN_CONNECT_BYTES); // still padded
  });

  test('connectMessage pads to exactly 400 bytes so game_start fits 3x its size', () => {
    for (const args of [{ self: 'a' }, { self: 'Zoë', opponent: 'Ünal' },
      { self: 'b'.repeat(16), gameName: 'G'.repeat(22), token: 'T'.repeat(22), timestamp: 1 }]) {
      const msg = connectMessage(args);
      assert.equal(bytes(msg), MIN_CONNECT_BYTES, JSON.stringify(args));
      assert.match(msg.pad, /^\.+$/);
    }
    assert.ok(3 * MIN_CONNECT_BYTES >= 1200, 'a full datagram answers one connect');
  });

  test('leaveMessage forfeits', () => {
    assert.deepEqual(leaveMessage({ timestamp: 9, gameName: 'G', token: 'T' }),
      { timestamp: 9, command: 'leave', game_name: 'G', token: 'T', intent: 'forfeit' });
  });

  const full = Array(20).fill('GGGGGGGGG.');
  const lock = (n) => ({ n, i: n, piece: 'T', r: 2, x: 3, y: 18, last: { rot: 'ccw', kick: 4 } });
  const fluxArgs = (locks) => ({
    timestamp: 1764071003000, gameName: 'a'.repeat(22), token: 'b'.repeat(22),
    userRows: full, opponentRows: full, score: 123456, locks,
  });

  test('fluxMessage carries the seed fields, the token and the locks oldest first', () => {
    const msg = fluxMessage(fluxArgs([lock(0), lock(1)]));
    assert.equal(msg.command, 'game_flux');
    assert.deepEqual(msg.locks.map((l) => l.n), [0, 1]);
    assert.equal(msg.power_used, null);
    assert.equal('power_n' in msg, false);
    assert.deepEqual(msg.powers_available, []);
    assert.equal(msg.user_blocks, full);
    assert.equal(msg.token, 'b'.repeat(22));
  });

  test('fluxMessage names a pending power use with its number', () => {
    const msg = fluxMessage({ ...fluxArgs([]), power: { power_used: 'quake', power_n: 3 } });
    assert.equal(msg.power_used, 'quake');
    assert.equal(msg.power_n, 3);
  });

  test('fluxMessage drops the newest locks until the datagram fits 1,200 bytes', () => {
    const msg = fluxMessage(fluxArgs(Array.from({ length: 10 }, (_, n) => lock(100000 + n))));
    const size = new TextEncoder().encode(JSON.stringify(msg)).length;
    assert.ok(size <= MAX_DATAGRAM, `${size} bytes`);
    assert.ok(msg.locks.length >= 1 && msg.locks.length < 8, `${msg.locks.length} locks`);
    assert.deepEqual(msg.locks.map((l) => l.n), msg.locks.map((_, k) => 100000 + k));
  });

  // The waits between resends while something stays unacknowledged, with `random` fixed.
  const resendWaits = (random, count) => {
    const schedule = new FluxSchedule({ random: () => random });
    const waits = [];
    let now = 0;
    schedule.sent(now, 1); // the lock itself, sent at once
    for (let k = 0; k < count; k += 1) {
      const start = now;
      while (!schedule.due(now, 1)) now += 1;
      waits.push(now - start);
      schedule.sent(now, 1);
    }
    return waits;
  };

  test('FluxSchedule: resends back off from 100 ms, doubling, capped at 1 s', () => {
    assert.deepEqual(resendWaits(0, 6), [100, 200, 400, 500, 500, 500]);
    assert.deepEqual(resendWaits(0.999, 6), [200, 400, 800, 1000, 1000, 1000]);
  });

  test('FluxSchedule: jitter stays within each resend\'s bounds', () => {
    let seed = 7; // a tiny LCG: reproducible "random" numbers in [0, 1)
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const schedule = new FluxSchedule({ random });
    const seen = new Set();
    for (let k = 0; k < 40; k += 1) {
      schedule.sent(0, 1);
      const [low, high] = resendBounds(k);
      assert.ok(schedule.delay >= low && schedule.delay <= high, `${k}: ${schedule.delay}`);
      assert.ok(low >= 100 && high <= 1000);
      seen.add(Math.round(schedule.delay));
    }
    assert.ok(seen.size > 10, 'the delays vary');
  });

  test('FluxSchedule: an acknowledgement resets the backoff', () => {
    const schedule = new FluxSchedule({ random: () => 0 });
    for (let k = 0; k < 5; k += 1) schedule.sent(0, 1);
    assert.equal(schedule.delay, 500);
    schedule.acked();
    assert.equal(schedule.due(99, 1), false);
    assert.equal(schedule.due(100, 1), true);
    schedule.sent(100, 1);
    assert.equal(schedule.delay, 100);
  });

  test('FluxSchedule: a keep-alive every second when nothing waits for an ack', () => {
    const schedule = new FluxSchedule({ random: () => 0.5 });
    assert.equal(schedule.due(0, 0), true);
    schedule.sent(0, 0);
    assert.equal(schedule.due(999, 0), false);
    assert.equal(schedule.due(1000, 0), true);
    schedule.sent(1000, 0);
    assert.equal(schedule.due(1100, 1), true, 'a lock waiting after a keep-alive: 100 ms');
  });

  test('FluxSchedule: no resend before the round trip is expected back (RFC 6298)', () => {
    const fast = new FluxSchedule({ random: () => 0 });
    fast.measured(2); // a loopback round trip: the backoff alone decides
    fast.sent(0, 1);
    assert.equal(fast.delay, 100);
    const slow = new FluxSchedule({ random: () => 0 });
    slow.measured(300); // the first sample: srtt 300, rttvar 150
    assert.equal(slow.timeout, 900);
    slow.sent(0, 1);
    assert.equal(slow.delay, 900);
    assert.equal(slow.due(850, 1), false);
    assert.equal(slow.due(900, 1), true);
    for (let k = 0; k < 40; k += 1) slow.measured(300); // steady: the variation fades
    assert.ok(slow.timeout >= 300 && slow.timeout < 310, `${slow.timeout}`);
    slow.sent(1000, 1);
    assert.ok(slow.delay >= 300 && slow.delay < 310, `${slow.delay}`);
    slow.measured(5000); // however slow the link, a lost lock is resent within a second
    slow.sent(2000, 1);
    assert.equal(slow.delay, 1000);
    slow.measured(-1); // a clock that went back says nothing
    assert.ok(slow.srtt > 300);
    slow.acked(); // an ack starts the backoff again, but not below the round trip
    assert.equal(slow.delay, 1000);
    assert.equal(slow.due(2500, 1), false);
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
    const kinds = { lock_out: 'lock out', block_out: 'block out', garbage: 'garbage out' };
    for (const [kind, words] of Object.entries(kinds)) {
      assert.equal(endSummary({ ...msg, top_out: kind }, 'alice').reason,
        `bob topped out (${words})`);
    }
    assert.equal(endSummary({ ...msg, top_out: 'block_out' }, 'bob').reason,
      'You topped out (block out)');
    assert.equal(endSummary({ ...msg, reason: 'time_up' }, 'bob').reason, "Time's up");
    assert.equal(endSummary({ ...msg, reason: 'disconnect' }, 'alice').reason,
      'bob lost connection');
    assert.equal(endSummary({ ...msg, reason: 'forfeit' }, 'alice').reason, 'bob left the match');
    const draw = endSummary({ ...msg, winner: null, reason: 'time_up' }, 'bob');
    assert.equal(draw.title, 'Draw');
    assert.equal(draw.outcome, 'draw');
    // ends no player caused: the bridge's server_lost comes with no scores at all
    const lost = endSummary({ command: 'game_end', winner: null, score: {}, reason: 'server_lost' },
      'bob');
    assert.equal(lost.title, 'Match stopped');
    assert.equal(lost.reason, 'The connection to the game server was lost');
    assert.deepEqual(lost.scores, [{ name: 'bob', score: 0 }, { name: 'Opponent', score: 0 }]);
    const shutdown = endSummary({ ...msg, winner: null, reason: 'server_shutdown' }, 'alice');
    assert.equal(shutdown.title, 'Match stopped');
    assert.match(shutdown.reason, /server shut down/);
  });

  test('errorText explains known reasons and names unknown ones', () => {
    assert.match(errorText('unknown_game'), /no longer exists/);
    assert.match(errorText('game_full'), /two players/);
    assert.match(errorText('server_full'), /try again/i);
    assert.match(errorText('too_many_waiting'), /4 matches waiting/);
    assert.match(errorText('too_many_matches'), /too many matches.*try again in a minute/i);
    assert.match(errorText('server_shutdown'), /shutting down/);
    assert.match(errorText('directory_unavailable'), /try again/i);
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

  test('a waiting match is remembered with its token, and without one still loads', () => {
    const storage = memory();
    saveWaiting(storage, 'W', { self: 'alice', opponent: null, token: 'T' });
    assert.deepEqual(loadWaiting(storage, 'W'),
      { self: 'alice', opponent: null, token: 'T', queue: null });
    storage.setItem('blockattack.waiting.V', '{"self":"bob","opponent":"carol"}');
    assert.deepEqual(loadWaiting(storage, 'V'),
      { self: 'bob', opponent: 'carol', token: null, queue: null });
    saveWaiting(storage, 'Q', { self: 'dan', opponent: null, token: 'T', queue: 'quick' });
    assert.equal(loadWaiting(storage, 'Q').queue, 'quick', 'a queued tab comes back to the queue');
    dropWaiting(storage, 'W');
    assert.equal(loadWaiting(storage, 'W'), null);
  });

  test('the tab key is made once from crypto, kept, and remade when damaged', () => {
    const storage = memory();
    let calls = 0;
    const random = {
      getRandomValues: (bytes) => { calls += 1; return bytes.fill(calls === 1 ? 251 : 7); },
    };
    const key = tabKey(storage, random);
    assert.match(key, /^[A-Za-z0-9_-]{22}$/); // 128 bits, base64url: the server's key pattern
    assert.ok(key.includes('-') || key.includes('_'), 'URL-safe alphabet, not + and /');
    assert.equal(tabKey(storage, random), key); // a reloaded tab sends the same one
    assert.equal(calls, 1);
    storage.setItem('blockattack.key', '"short"');
    const fresh = tabKey(storage, random);
    assert.notEqual(fresh, key);
    assert.match(fresh, /^[A-Za-z0-9_-]{22}$/);
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
