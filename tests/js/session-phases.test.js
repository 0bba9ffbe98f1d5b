// static/js/session.js, the phases of issue 11: what a link leads to (probe), quick match,
// challenges, the countdown, watching, the rematch and a seat moved to another tab. Messages are
// shaped as docs/protocol.md says.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { MIN_CONNECT_BYTES, endSummary } from '../../static/js/messages.js';
import { RULES_VERSION } from '../../static/js/rules/pieces.js';
import { parseServerMessage } from '../../static/js/server-messages.js';
import {
  CONNECT_RETRY_MS, Phase, Session, WATCH_REPEAT_MS,
} from '../../static/js/session.js';

const BASE = '/';
const SHARE = 'https://example.test/';
const GAME = 'Xk3aaaaaaaaaaaaaaaaaaa';
const NEXT = 'Nx7ccccccccccccccccccc';
const EMPTY = Array(20).fill('..........');

function newSession() {
  let stamp = 1000;
  return new Session({ basePath: BASE, shareBase: SHARE, stamp: () => { stamp += 1; return stamp; } });
}

const gameStart = (timestamp, { gameName = GAME, countdown = 0, token = 'stok' } = {}) => ({
  timestamp, command: 'game_start', game_name: gameName, self: 'alice', opponent: 'bob', token,
  user_blocks: EMPTY, opponent_blocks: EMPTY, next_block: ['T', 'I', 'O', 'S', 'Z', 'J', 'L'],
  time_left: 180000, user_score: 0, opponent_score: 0, powers_available: [], piece_index: 0,
  ack: 0, fx: 0, effects: [], power_ack: 0, rules: RULES_VERSION, countdown_ms: countdown,
});
const gameEnd = (timestamp, extra = {}) => ({
  timestamp, command: 'game_end', game_name: GAME, winner: 'alice',
  score: { alice: 3200, bob: 2900 }, reason: 'time_up', ...extra,
});
const info = (timestamp, state, extra = {}) => ({
  timestamp, command: 'match_info', game_name: GAME, state, players: ['alice', 'bob'],
  invited: null, winner: null, score: {}, reason: null, rematch: null, watchers: 0, ...extra,
});
const rematch = (timestamp, state, from, next = null) => ({
  timestamp, command: 'rematch', game_name: GAME, state, from, next,
});
const player = (name) => ({
  name, blocks: EMPTY, score: 0, lines: 0, pieces: 0, garbage: 0, away: false,
});
const spectate = (timestamp) => ({
  timestamp, command: 'spectate', game_name: GAME, players: [player('alice'), player('bob')],
  time_left: 90000, countdown_ms: 0, log: [{ from: 'alice', to: 'bob', garbage: 2 }],
});

const types = (actions) => actions.map((action) => action.type);
const sent = (actions) => actions.filter((a) => a.type === 'send').map((a) => a.message);
const shown = (actions) => actions.filter((a) => a.type === 'show');
const status = (actions) => actions.find((a) => a.type === 'rematch-status');

function playing({ countdown = 0 } = {}) {
  const session = newSession();
  session.join({ self: 'alice', gameName: GAME }, 0);
  session.receive(gameStart(10, { countdown }), 100);
  return session;
}

function ended() {
  const session = playing();
  session.receive(gameEnd(20), 1000);
  return session;
}

describe('a link is probed before a name is asked for', () => {
  test('a link this tab holds nothing for sends a padded probe, repeated once a second', () => {
    const session = newSession();
    const actions = session.restore({ gameName: GAME, seat: null, waiting: null }, 0);
    assert.equal(session.phase, Phase.PROBING);
    const [probe] = sent(actions);
    assert.equal(probe.command, 'probe');
    assert.equal(probe.game_name, GAME);
    assert.ok(new TextEncoder().encode(JSON.stringify(probe)).length >= MIN_CONNECT_BYTES);
    assert.deepEqual(session.tick(CONNECT_RETRY_MS - 1), []);
    assert.equal(sent(session.tick(CONNECT_RETRY_MS))[0].command, 'probe');
    assert.equal(sent(session.socketOpened(CONNECT_RETRY_MS + 10))[0].command, 'probe');
  });

  test('waiting: the join form, with who invited whom', () => {
    const session = newSession();
    session.restore({ gameName: GAME }, 0);
    const actions = session.receive(info(5, 'waiting', { players: ['alice'], invited: 'bob' }), 1);
    assert.deepEqual(actions,
      [{ type: 'show', view: 'home', invite: { host: 'alice', invited: 'bob' } }]);
    assert.equal(session.phase, Phase.HOME);
    assert.deepEqual(session.tick(5000), [], 'the probe is answered: no more');
    assert.equal(sent(session.join({ self: 'bob', gameName: GAME }, 5000))[0].command, 'connect');
  });

  test('running: an offer to watch', () => {
    const session = newSession();
    session.restore({ gameName: GAME }, 0);
    const [view] = session.receive(info(5, 'running', { watchers: 2 }), 1);
    assert.equal(view.title, 'alice vs bob are playing');
    assert.match(view.text, /2 watching/);
    assert.deepEqual(view.buttons, [{ label: 'Watch', intent: 'watch', gameName: GAME }]);
  });

  test('ended: the result in words, and the rematch it led to', () => {
    const session = newSession();
    session.restore({ gameName: GAME }, 0);
    const [view] = session.receive(info(5, 'ended', {
      winner: 'alice', score: { alice: 3200, bob: 2900 }, reason: 'time_up', rematch: NEXT,
    }), 1);
    assert.equal(view.text, 'This match has ended: alice won 3,200 to 2,900.');
    assert.equal(view.home, true);
    assert.deepEqual(view.buttons, [{ label: 'Go to the rematch', href: `/m/${NEXT}` }]);
  });

  test('unknown: the link leads nowhere', () => {
    const session = newSession();
    session.restore({ gameName: GAME }, 0);
    const [view] = session.receive(info(5, 'unknown', { players: [] }), 1);
    assert.equal(view.title, 'This link doesn’t lead to a match');
    assert.equal(view.home, true);
  });

  test('a server that cannot probe: the join form, as before', () => {
    const session = newSession();
    session.restore({ gameName: GAME }, 0);
    assert.deepEqual(session.receive({ command: 'error', reason: 'bad_command' }, 1),
      [{ type: 'show', view: 'home' }]);
    assert.equal(session.phase, Phase.HOME);
  });

  test('a match_info of another link, or after the answer, is ignored', () => {
    const session = newSession();
    session.restore({ gameName: GAME }, 0);
    assert.deepEqual(session.receive({ ...info(5, 'running'), game_name: NEXT }, 1), []);
    session.receive(info(6, 'unknown'), 2);
    assert.deepEqual(session.receive(info(7, 'running'), 3), []);
  });
});

describe('quick match and challenges', () => {
  test('quick: a connect to the queue, then a live waiting time and Cancel', () => {
    const session = newSession();
    const [connect] = sent(session.quick({ self: 'alice' }, 0));
    assert.equal(connect.queue, 'quick');
    assert.equal(connect.opponent, undefined);
    const actions = session.receive({ timestamp: 5, command: 'waiting', game_name: GAME,
      self: 'alice', opponent: null, token: 'qtok', queue: 'quick', queued_ms: 1500 }, 2000);
    assert.equal(session.phase, Phase.WAITING);
    const [view] = shown(actions);
    assert.deepEqual(view, { type: 'show', view: 'waiting', link: null, opponent: null,
      quick: true, since: 500 });
    assert.equal(actions[0].entry.queue, 'quick', 'a reload comes back to the queue');
    const cancel = session.leave();
    assert.deepEqual(sent(cancel)[0], { timestamp: 1002, command: 'leave', game_name: GAME,
      token: 'qtok', intent: 'forfeit' });
    assert.equal(session.phase, Phase.HOME);
  });

  test('a reloaded queued tab whose queue match is gone queues again', () => {
    const session = newSession();
    session.restore({ gameName: GAME,
      waiting: { self: 'alice', opponent: null, token: 'qtok', queue: 'quick' } }, 0);
    const actions = session.receive({ command: 'error', reason: 'unknown_game' }, 10);
    assert.equal(sent(actions)[0].queue, 'quick');
  });

  test('challenges are asked for on the start page only, and told', () => {
    const session = newSession();
    assert.deepEqual(sent(session.askChallenges({ self: 'bob' })),
      [{ command: 'challenges', timestamp: 1001, self: 'bob' }]);
    assert.deepEqual(session.receive({ timestamp: 3, command: 'challenges', self: 'bob',
      from: ['alice'] }, 1), [{ type: 'challenged', self: 'bob', from: ['alice'] }]);
    session.create({ self: 'bob' }, 2);
    assert.deepEqual(session.askChallenges({ self: 'bob' }), []);
    assert.deepEqual(session.receive({ timestamp: 4, command: 'challenges', self: 'bob',
      from: ['carol'] }, 3), []);
  });
});

describe('the countdown', () => {
  test('a game_start with countdown_ms: the match starts, the pieces fall at GO', () => {
    const session = newSession();
    session.join({ self: 'alice', gameName: GAME }, 0);
    const actions = session.receive(gameStart(10, { countdown: 3000 }), 100);
    assert.equal(session.phase, Phase.COUNTDOWN);
    assert.equal(session.live, true, 'game_flux flows during the countdown');
    assert.equal(session.running, true, 'a key at GO plays before the tick that says GO');
    assert.equal(session.startAt, 3100);
    assert.equal(actions.find((a) => a.type === 'start-match').countdownMs, 3000);
    assert.deepEqual(session.tick(3099), []);
    assert.deepEqual(session.tick(3100), [{ type: 'go' }]);
    assert.equal(session.phase, Phase.PLAYING);
    assert.deepEqual(session.tick(3200), [], 'GO once');
  });

  test('a repeated game_start during the countdown moves the start to its countdown_ms', () => {
    const session = playing({ countdown: 3000 });
    const actions = session.receive(gameStart(11, { countdown: 2500 }), 700);
    assert.deepEqual(types(actions), ['resume-match']);
    assert.equal(actions[0].countdownMs, 2500);
    assert.equal(session.startAt, 3200);
    assert.deepEqual(types(session.receive(gameStart(12, { countdown: 0 }), 900)),
      ['resume-match', 'go']);
  });

  test('a game_end during the countdown ends it', () => {
    const session = playing({ countdown: 3000 });
    session.receive(gameEnd(11, { reason: 'forfeit', left: true }), 500);
    assert.equal(session.phase, Phase.ENDED);
    assert.equal(session.running, false);
    assert.deepEqual(session.tick(5000).filter((a) => a.type === 'go'), []);
  });

  test('Leave during the countdown forfeits', () => {
    assert.equal(sent(playing({ countdown: 3000 }).leave())[0].command, 'leave');
  });
});

describe('watching', () => {
  test('watch: a padded request, repeated; the first spectate shows the view', () => {
    const session = newSession();
    const actions = session.watch({ gameName: GAME }, 0);
    assert.equal(session.phase, Phase.WATCHING);
    assert.deepEqual(types(actions), ['show', 'set-url', 'send']);
    const [watch] = sent(actions);
    assert.equal(watch.command, 'watch');
    assert.ok(new TextEncoder().encode(JSON.stringify(watch)).length >= MIN_CONNECT_BYTES);
    assert.equal(sent(session.tick(CONNECT_RETRY_MS))[0].command, 'watch', 'until answered');
    const first = session.receive(spectate(5), 1100);
    assert.deepEqual(types(first), ['show', 'spectate']);
    assert.equal(first[0].view, 'watch');
    assert.deepEqual(types(session.receive(spectate(6), 1200)), ['spectate']);
    assert.deepEqual(session.tick(CONNECT_RETRY_MS + WATCH_REPEAT_MS - 1), []);
    assert.equal(sent(session.tick(CONNECT_RETRY_MS + WATCH_REPEAT_MS))[0].command, 'watch');
    assert.equal(session.live, false, 'a spectator never sends game_flux');
  });

  test('the end screen from a spectator’s side, then nothing more is asked', () => {
    const session = newSession();
    session.watch({ gameName: GAME }, 0);
    session.receive(spectate(5), 10);
    const end = gameEnd(6, { stats: { alice: { pieces: 50 }, bob: { pieces: 40 } } });
    const actions = session.receive(end, 20);
    assert.equal(session.phase, Phase.ENDED);
    assert.deepEqual(actions, [{ type: 'stop-watch' },
      { type: 'show', view: 'end', summary: endSummary(parseServerMessage(end), null),
        rematch: false }]);
    assert.equal(actions[1].summary.title, 'alice wins');
    assert.equal(actions[1].summary.outcome, 'watched');
    assert.deepEqual(session.tick(60000), []);
    assert.deepEqual(session.rematch(60000), [], 'a spectator has no rematch');
  });

  test('too many watchers: refused, said', () => {
    const session = newSession();
    session.watch({ gameName: GAME }, 0);
    const actions = session.receive({ command: 'error', reason: 'too_many_watchers' }, 5);
    assert.equal(session.phase, Phase.REFUSED);
    assert.equal(shown(actions)[0].title, 'Cannot watch');
    assert.deepEqual(session.tick(5000), []);
  });

  test('stop watching: home, nothing more sent', () => {
    const session = newSession();
    session.watch({ gameName: GAME }, 0);
    assert.deepEqual(types(session.leave()), ['stop-watch', 'set-url', 'show']);
    assert.deepEqual(session.tick(10000), []);
  });

  test('watch only from the start page', () => {
    const session = playing();
    assert.deepEqual(session.watch({ gameName: NEXT }, 0), []);
    assert.throws(() => newSession().watch({ gameName: '' }, 0), /gameName/);
  });
});

describe('the rematch', () => {
  test('ask: repeated until the server records it, then the seat is kept heard', () => {
    const session = ended();
    const actions = session.rematch(2000);
    assert.equal(session.phase, Phase.REMATCH);
    assert.deepEqual(sent(actions), [{ command: 'rematch', timestamp: 1002, game_name: GAME,
      token: 'stok', answer: 'ask' }]);
    assert.equal(status(actions).text, 'Asking bob for a rematch…');
    assert.deepEqual(session.rematch(2100), [], 'asked once');
    assert.equal(sent(session.tick(3000))[0].answer, 'ask');
    const recorded = session.receive(rematch(30, 'asked', 'alice'), 3100);
    assert.equal(status(recorded).text, 'Waiting for bob to accept…');
    assert.equal(sent(session.tick(4100))[0].command, 'connect', 'a keep-alive, not an ask');
  });

  test('accepted: started, then the new match with its token; the old seat forgotten', () => {
    const session = ended();
    session.rematch(2000);
    session.receive(rematch(30, 'asked', 'alice'), 2100);
    session.receive(rematch(31, 'asked', 'bob'), 2500);
    const started = session.receive(rematch(32, 'started', 'bob', NEXT), 2600);
    assert.equal(status(started).text, 'Starting the rematch…');
    const actions = session.receive(gameStart(33, { gameName: NEXT, token: 'new' }), 2700);
    assert.deepEqual(types(actions), ['store-seat', 'drop-seat', 'start-match', 'set-url']);
    assert.deepEqual(actions[0].seat, { self: 'alice', token: 'new', total: 180000 });
    assert.equal(actions[1].gameName, GAME);
    assert.equal(actions[3].path, `/m/${NEXT}`);
    assert.equal(session.phase, Phase.PLAYING);
  });

  test('an offer from the opponent: Accept sends accept; a game_start before "started" plays', () => {
    const session = ended();
    const offer = session.receive(rematch(30, 'asked', 'bob'), 2000);
    assert.deepEqual(status(offer),
      { type: 'rematch-status', text: 'bob wants a rematch', offer: true, canAsk: false });
    assert.equal(offer.find((a) => a.type === 'announce').text, 'bob wants a rematch');
    assert.equal(sent(session.rematch(2100))[0].answer, 'accept');
    // `started` overtaken by the game_start it announced: the match starts all the same
    session.receive(gameStart(33, { gameName: NEXT, countdown: 3000 }), 2200);
    assert.equal(session.phase, Phase.COUNTDOWN);
    assert.deepEqual(session.receive(rematch(32, 'started', 'bob', NEXT), 2300), []);
  });

  test('declined by the opponent, or by this player; expired', () => {
    const asked = ended();
    asked.rematch(2000);
    const declined = asked.receive(rematch(30, 'declined', 'bob'), 2100);
    assert.deepEqual(status(declined), { type: 'rematch-status',
      text: 'bob declined the rematch.', offer: false, canAsk: true });
    assert.equal(asked.phase, Phase.ENDED);

    const offered = ended();
    offered.receive(rematch(30, 'asked', 'bob'), 2000);
    const mine = offered.declineRematch(2100);
    assert.equal(sent(mine)[0].answer, 'decline');
    assert.equal(status(mine).text, 'You declined the rematch.');
    assert.deepEqual(offered.declineRematch(2200), [], 'no offer to decline any more');

    const late = ended();
    late.rematch(2000);
    assert.equal(status(late.receive(rematch(30, 'expired', 'alice'), 32000)).text,
      'The rematch offer expired.');
    assert.equal(late.phase, Phase.ENDED);
    assert.equal(sent(late.rematch(33000))[0].answer, 'ask', 'and may ask again');
  });

  test('no game_start starts a match on the end screen unless a rematch was wanted', () => {
    const session = ended();
    assert.deepEqual(session.receive(gameStart(30, { gameName: NEXT }), 2000), []);
    assert.equal(session.phase, Phase.ENDED);
  });

  test('the ended match gone from the server: the rematch is over', () => {
    const session = ended();
    session.rematch(2000);
    const actions = session.receive({ command: 'error', reason: 'unknown_game' }, 3000);
    assert.equal(status(actions).text, 'The rematch offer expired.');
    assert.deepEqual(session.tick(10000), []);
  });

  test('a rematch message of another match is ignored', () => {
    const session = ended();
    assert.deepEqual(session.receive({ ...rematch(30, 'asked', 'bob'), game_name: NEXT }, 1), []);
  });
});

describe('one seat, one tab', () => {
  test('moved: the match stops, nothing is sent, "Play here" takes the seat back', () => {
    const session = playing();
    const actions = session.receive({ command: 'error', reason: 'moved' }, 500);
    assert.equal(session.phase, Phase.MOVED);
    assert.deepEqual(types(actions), ['stop-match', 'show']);
    assert.equal(shown(actions)[0].title, 'This match is open in another tab');
    assert.deepEqual(shown(actions)[0].buttons, [{ label: 'Play here', intent: 'playHere' }]);
    assert.equal(session.live, false);
    assert.deepEqual(session.tick(10000), []);
    assert.deepEqual(session.socketOpened(10000), []);
    const back = session.playHere(11000);
    assert.equal(session.phase, Phase.CONNECTING);
    const [connect] = sent(back);
    assert.equal(connect.token, 'stok');
    assert.equal(connect.game_name, GAME);
    const resumed = session.receive(gameStart(40), 11100);
    assert.equal(resumed.find((a) => a.type === 'start-match').total, 180000);
    assert.equal(session.phase, Phase.PLAYING);
  });

  test('moved while waiting: the waiting match is taken back with its token', () => {
    const session = newSession();
    session.create({ self: 'alice' }, 0);
    session.receive({ timestamp: 5, command: 'waiting', game_name: GAME, self: 'alice',
      opponent: null, token: 'wtok' }, 10);
    session.receive({ command: 'error', reason: 'moved' }, 20);
    assert.equal(session.phase, Phase.MOVED);
    assert.equal(sent(session.playHere(30))[0].token, 'wtok');
  });

  test('moved on the start page means nothing', () => {
    const session = newSession();
    assert.equal(types(session.receive({ command: 'error', reason: 'moved' }, 0))[0], 'warn');
    assert.deepEqual(session.playHere(0), []);
  });
});

describe('the end, said', () => {
  test('a closed tab that did not come back: "bob left"', () => {
    const session = playing();
    const actions = session.receive(gameEnd(20, { winner: 'alice', reason: 'forfeit',
      left: true }), 1000);
    assert.equal(shown(actions)[0].summary.reason, 'bob left');
  });
});
