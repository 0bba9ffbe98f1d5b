// The page's phases as a pure machine: no DOM, no WebSocket, no timers, no storage (like
// prediction.js). The player's intents, the server's messages and the clock go in; a list of
// actions comes out, which main.js carries out in order.
//
//   const s = new Session({ basePath, shareBase, stamp }) // stamp() → a client timestamp
//   s.restore({ gameName, seat, waiting }, now) // at load: what this tab remembers of its link
//   s.create({ self }, now)      s.challenge({ self, opponent }, now)
//   s.computer({ self, bot: 'bot:medium' }, now)   // against the server's bot
//   s.join({ self, gameName }, now)    s.rejoin({ self, gameName, token, total, fallback }, now)
//   s.leave()                    // forfeit the match being played, or cancel the one waited in
//   s.socketOpened(now)          // a new socket is a new address: claim the seat again
//   s.receive(raw, now)          // a server frame: parsed, filtered by timestamp, handled
//   s.tick(now)                  // often (every 50 ms): `connect` again once a second until
//                                // game_start (a waiting host's keep-alive, and a lost datagram)
//   s.phase                      // one of Phase
//   s.live                       // playing, with the seat confirmed on this socket: game_flux
//                                // may flow (match.js decides when)
//
// Actions:
//   {type: 'send', message}
//   {type: 'show', view: 'home', error?}          {type: 'show', view: 'message', title, text,
//   {type: 'show', view: 'waiting', link, opponent}                    home: show a way home}
//   {type: 'show', view: 'end', summary}           (messages.js endSummary)
//   (a game_start of another rules version shows a message instead: "This page is out of date")
//   {type: 'set-url', path}
//   {type: 'store-seat', gameName, seat: {self, token, total}}     {type: 'drop-seat', gameName}
//   {type: 'store-waiting', gameName, entry: {self, opponent, token}}
//   {type: 'drop-waiting', gameName}                                   (seats.js)
//   {type: 'start-match', message, total}  // a new Match from this game_start; game_flux at once
//   {type: 'resume-match', message}        // the running match as it stands after a rejoin
//   {type: 'apply', message}               // a game_flux for the running match
//   {type: 'stop-match'}                   // the running match is over: its loop and keys stop
//   {type: 'warn', text}
import {
  challengesMessage, connectMessage, endSummary, errorText, leaveMessage, probeMessage,
  rematchMessage, resultText, watchMessage,
} from './messages.js';
import { RULES_VERSION } from './rules/pieces.js';
import { TimestampFilter, parseServerMessage } from './server-messages.js';

// The phases, in the order a match goes through them; #handlers decides what each server
// message means in each.
export const Phase = Object.freeze({
  HOME: 'home', // the start page (or what a link leads to): nothing held or sought
  PROBING: 'probing', // a link opened: asking the server what is behind it (probe → match_info)
  CONNECTING: 'connecting', // a connect is out (open, challenge, join, quick or rejoin)
  WAITING: 'waiting', // this tab's match is open (or queued) and waits for its opponent
  COUNTDOWN: 'countdown', // paired: pieces fall at the server's start instant, 3-2-1-GO
  PLAYING: 'playing',
  WATCHING: 'watching', // a spectator of a running match
  ENDED: 'ended', // the end screen of a match
  REMATCH: 'rematch', // this player wants a rematch: asked, waiting for the opponent and start
  MOVED: 'moved', // the seat moved to another tab: this one sends nothing until "Play here"
  REFUSED: 'refused', // the server refused the request or the seat; a message says why
});

// Phases that hold or seek a seat: a new socket claims it again.
const SEEKING = new Set([Phase.CONNECTING, Phase.WAITING, Phase.COUNTDOWN, Phase.PLAYING]);
// Phases in which an answer to `connect` is awaited.
const ASKING = new Set([Phase.CONNECTING, Phase.WAITING]);
// A match this tab plays: game_flux flows, the keys play (from GO).
const RUNNING = new Set([Phase.COUNTDOWN, Phase.PLAYING]);
// The end screen of a match this tab played, a rematch possible.
const AFTER = new Set([Phase.ENDED, Phase.REMATCH]);
// The seat or match a rejoin named is gone.
const LOST_SEAT = new Set(['unknown_game', 'bad_token', 'not_in_game']);
// Refusals the player fixes on the start page.
const FIX_AT_HOME = new Set(['name_taken', 'bad_name']);
export const CONNECT_RETRY_MS = 1000;
export const WATCH_REPEAT_MS = 2000; // a spectator not heard for 10 s is dropped
// The end screen keeps the seat heard this long (a rematch needs both players connected; the
// server's --rematch-seconds is 30).
export const AFTER_KEEPALIVE_MS = 60000;

function expectName(value, where) {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${where}: expected a name, got ${JSON.stringify(value)}`);
  }
  return value;
}

export class Session {
  #basePath;
  #shareBase;
  #stamp;
  #key; // the tab's own secret, sent with every connect (seats.js tabKey)
  #order = new TimestampFilter();
  #phase = Phase.HOME;
  // The connect fields to (re)send: {self, opponent} to open or challenge, {self, queue} to
  // wait in the quick-match queue, {self, gameName} to join by link, {self, gameName, token} to
  // come back to a seat; `fallback` ({self, opponent, queue}) opens a fresh match if a reloaded
  // host's waiting match is gone; `total`: the match length remembered by a reloaded tab.
  #intent = null;
  #needConnect = false;
  #lastConnect = -Infinity;
  // Any other request repeated until answered (probe, watch, rematch, the end screen's
  // keep-alive): {every, last, until, build()} or null.
  #repeat = null;
  #waitingIn = null; // game_name of the match this tab opened and waits in
  #game = null; // {gameName, self, opponent, token, total} of the running match
  #startAt = null; // when the running match's pieces start to fall (the countdown's end)
  #link = null; // game_name of the link being probed
  #watching = null; // {gameName, seen} of the match watched
  #ended = null; // {gameName, self, opponent, token} of the match on the end screen
  #rematch = { mine: false, offered: false, next: null }; // the rematch on the end screen
  #moved = null; // the rejoin intent a "Play here" sends

  constructor({ basePath, shareBase, stamp, key = null }) {
    this.#basePath = basePath;
    this.#shareBase = shareBase;
    this.#stamp = stamp;
    this.#key = key;
  }

  get phase() {
    return this.#phase;
  }

  get live() {
    return RUNNING.has(this.#phase) && !this.#needConnect;
  }

  /** A match is on (its countdown or its play): the match's own clock says when keys play. */
  get running() {
    return RUNNING.has(this.#phase);
  }

  /** When the pieces of the running match start to fall (the `now` clock), or null. */
  get startAt() {
    return this.#startAt;
  }

  /** At load: the seat or waiting match this tab remembers for the link's `gameName`, if any. */
  restore({ gameName, seat = null, waiting = null }, now) {
    if (seat !== null) {
      const total = Number.isSafeInteger(seat.total) ? seat.total : null;
      return this.rejoin({ self: seat.self, gameName, token: seat.token, total }, now);
    }
    if (waiting !== null) {
      const fresh = { self: waiting.self, opponent: waiting.opponent, queue: waiting.queue ?? null };
      if (waiting.token !== null) {
        return this.rejoin({ ...fresh, gameName, token: waiting.token, fallback: fresh }, now);
      }
      // no seat to name: open a fresh match
      return [{ type: 'drop-waiting', gameName }, ...this.#start(fresh, now)];
    }
    if (gameName) return this.#probe(gameName, now);
    return [{ type: 'show', view: 'home' }];
  }

  /** Open a match anyone with its link can join. */
  create({ self }, now) {
    return this.#start({ self }, now);
  }

  challenge({ self, opponent }, now) {
    return this.#start({ self, opponent: expectName(opponent, 'challenge opponent') }, now);
  }

  /**
   * Play the server's computer opponent: `bot` is the `opponent` that names its level
   * ('bot:medium', 'bot:1.5': home.js botOpponent). The server seats it at once: game_start.
   */
  computer({ self, bot }, now) {
    if (typeof bot !== 'string' || !bot.startsWith('bot:')) {
      throw new TypeError(`computer bot: expected bot:<level>, got ${JSON.stringify(bot)}`);
    }
    return this.#start({ self, opponent: bot }, now);
  }

  /** Wait in the quick-match queue for the next player there. */
  quick({ self }, now) {
    return this.#start({ self, queue: 'quick' }, now);
  }

  /** Take the free seat of the match behind a link. */
  join({ self, gameName }, now) {
    return this.#start({ self, gameName: expectName(gameName, 'join gameName') }, now);
  }

  /** Come back to this tab's seat (waiting or playing) with its token. */
  rejoin({ self, gameName, token, total = null, fallback = null }, now) {
    return this.#start({
      self, gameName: expectName(gameName, 'rejoin gameName'),
      token: expectName(token, 'rejoin token'), total, fallback,
    }, now);
  }

  /** Watch the running match `gameName` (read-only), from the start page or a link. */
  watch({ gameName }, now) {
    if (this.#phase !== Phase.HOME) return [];
    expectName(gameName, 'watch gameName');
    this.#phase = Phase.WATCHING;
    this.#watching = { gameName, seen: false };
    return [
      { type: 'show', view: 'message', title: 'Opening the match…', text: '', home: false },
      { type: 'set-url', path: this.#matchPath(gameName) },
      this.#repeatEvery(CONNECT_RETRY_MS, now, () => watchMessage({
        timestamp: this.#stamp(), gameName,
      })),
    ];
  }

  /** Ask who is challenging `self` (the start page, when it opens and the name changes). */
  askChallenges({ self }) {
    if (this.#phase !== Phase.HOME) return [];
    return [{ type: 'send', message: challengesMessage({ timestamp: this.#stamp(), self }) }];
  }

  /** The end screen's Rematch (or Accept): "I want a rematch". */
  rematch(now) {
    if (!AFTER.has(this.#phase) || this.#ended === null || this.#rematch.mine) return [];
    const answer = this.#rematch.offered ? 'accept' : 'ask';
    this.#rematch.mine = true;
    this.#phase = Phase.REMATCH;
    const { opponent } = this.#ended;
    const text = answer === 'accept' ? 'Starting the rematch…' : `Asking ${opponent} for a rematch…`;
    return [this.#rematchRequest(answer, now),
      { type: 'rematch-status', text, offer: false, canAsk: false }];
  }

  /** Decline the opponent's rematch offer. */
  declineRematch(now) {
    if (!AFTER.has(this.#phase) || this.#ended === null || !this.#rematch.offered) return [];
    const request = this.#rematchRequest('decline', now);
    this.#keepAlive(now); // a decline is said once; the seat stays heard
    this.#rematch = { mine: false, offered: false, next: null };
    this.#phase = Phase.ENDED;
    return [request,
      { type: 'rematch-status', text: 'You declined the rematch.', offer: false, canAsk: true }];
  }

  /** "Play here": take the seat back from the other tab it moved to. */
  playHere(now) {
    if (this.#phase !== Phase.MOVED || this.#moved === null) return [];
    const intent = this.#moved;
    this.#moved = null;
    return this.#begin(intent, now);
  }

  /**
   * The Leave button (a forfeit, the server ends the match), Cancel (back home at once), or
   * "stop watching".
   */
  leave() {
    if (RUNNING.has(this.#phase)) return [this.#leaveMessage(this.#game)];
    if (this.#phase === Phase.WATCHING) {
      this.#repeat = null;
      this.#watching = null;
      this.#phase = Phase.HOME;
      return [{ type: 'stop-watch' }, { type: 'set-url', path: this.#basePath },
        { type: 'show', view: 'home' }];
    }
    if (!ASKING.has(this.#phase)) return [];
    const actions = [];
    if (this.#waitingIn !== null) {
      // `forfeit` (the default intent) cancels a waiting match; the token came with `waiting`
      const gameName = this.#waitingIn;
      const token = this.#intent?.gameName === gameName ? this.#intent.token : undefined;
      actions.push(this.#leaveMessage({ gameName, token }), { type: 'drop-waiting', gameName });
    }
    this.#waitingIn = null;
    this.#needConnect = false;
    this.#intent = null;
    this.#phase = Phase.HOME;
    actions.push({ type: 'set-url', path: this.#basePath }, { type: 'show', view: 'home' });
    return actions;
  }

  socketOpened(now) {
    const actions = [];
    if (this.#intent !== null && SEEKING.has(this.#phase)) {
      this.#needConnect = true;
      actions.push(this.#connect(now));
    }
    if (this.#repeat !== null) actions.push(this.#again(now));
    return actions;
  }

  tick(now) {
    const actions = [];
    const due = this.#needConnect && this.#intent !== null
      && now - this.#lastConnect >= CONNECT_RETRY_MS;
    if (due) actions.push(this.#connect(now));
    const repeat = this.#repeat;
    if (repeat !== null && now >= repeat.until) this.#repeat = null;
    else if (repeat !== null && now - repeat.last >= repeat.every) actions.push(this.#again(now));
    if (this.#phase === Phase.COUNTDOWN && now >= this.#startAt) {
      this.#phase = Phase.PLAYING;
      actions.push({ type: 'go' });
    }
    return actions;
  }

  receive(raw, now) {
    let msg;
    try {
      msg = parseServerMessage(raw);
    } catch (error) {
      return [{ type: 'warn', text: `ignored a server message: ${error.message}` }];
    }
    if (!this.#order.accept(msg)) return []; // a replay, or overtaken by a newer message
    return this.#handlers[msg.command](msg, now);
  }

  // One handler per server command; each decides from the phase what the message means.
  #handlers = {
    waiting: (msg, now) => this.#onWaiting(msg, now),
    game_start: (msg, now) => this.#onStart(msg, now),
    game_flux: (msg) => this.#onFlux(msg),
    game_end: (msg, now) => this.#onEnd(msg, now),
    error: (msg, now) => this.#onError(msg, now),
    match_info: (msg) => this.#onMatchInfo(msg),
    rematch: (msg, now) => this.#onRematch(msg, now),
    challenges: (msg) => this.#onChallenges(msg),
    spectate: (msg) => this.#onSpectate(msg),
  };

  #start(choice, now) {
    if (this.#phase !== Phase.HOME) return []; // one match at a time: the start page starts it
    return this.#begin(choice, now);
  }

  #begin(choice, now) {
    this.#intent = {
      self: expectName(choice.self, 'self'),
      opponent: choice.opponent ?? null,
      queue: choice.queue ?? null,
      gameName: choice.gameName ?? null,
      token: choice.token ?? null,
      total: choice.total ?? null,
      fallback: choice.fallback ?? null,
    };
    this.#repeat = null;
    this.#phase = Phase.CONNECTING;
    this.#needConnect = true;
    const title = this.#intent.token ? 'Rejoining your match…' : 'Connecting…';
    return [{ type: 'show', view: 'message', title, text: '', home: false }, this.#connect(now)];
  }

  #connect(now) {
    this.#lastConnect = now;
    const { self, opponent, queue, gameName, token } = this.#intent;
    return {
      type: 'send',
      message: connectMessage({
        self, opponent, queue, gameName, token, key: this.#key, timestamp: this.#stamp(),
      }),
    };
  }

  // Send `build()` now (unless `sendNow` is false) and again every `every` ms until `for` ms
  // have passed or another request replaces it.
  #repeatEvery(every, now, build, { sendNow = true, lasting = Infinity } = {}) {
    this.#repeat = { every, last: now, until: now + lasting, build };
    return sendNow ? { type: 'send', message: build() } : null;
  }

  #again(now) {
    this.#repeat.last = now;
    return { type: 'send', message: this.#repeat.build() };
  }

  // The end screen's seat stays heard: `connect` with its token (answered with game_end).
  #keepAlive(now) {
    const { self, gameName, token } = this.#ended;
    this.#repeatEvery(CONNECT_RETRY_MS, now, () => connectMessage({
      self, gameName, token, key: this.#key, timestamp: this.#stamp(),
    }), { sendNow: false, lasting: AFTER_KEEPALIVE_MS });
  }

  #rematchRequest(answer, now) {
    const { gameName, token } = this.#ended;
    const build = () => rematchMessage({ timestamp: this.#stamp(), gameName, token, answer });
    return this.#repeatEvery(CONNECT_RETRY_MS, now, build, { lasting: AFTER_KEEPALIVE_MS });
  }

  #leaveMessage({ gameName, token }) {
    return { type: 'send', message: leaveMessage({ timestamp: this.#stamp(), gameName, token }) };
  }

  #matchPath(gameName) {
    return `${this.#basePath}m/${encodeURIComponent(gameName)}`;
  }

  #probe(gameName, now) {
    this.#phase = Phase.PROBING;
    this.#link = gameName;
    return [
      { type: 'show', view: 'message', title: 'Opening the match…', text: '', home: false },
      this.#repeatEvery(CONNECT_RETRY_MS, now, () => probeMessage({
        timestamp: this.#stamp(), gameName,
      })),
    ];
  }

  #onMatchInfo(msg) {
    if (this.#phase !== Phase.PROBING || msg.game_name !== this.#link) return [];
    this.#repeat = null;
    this.#phase = Phase.HOME;
    const gameName = msg.game_name;
    const both = msg.players.join(' vs ');
    if (msg.state === 'waiting') {
      return [{ type: 'show', view: 'home',
        invite: { host: msg.players[0] ?? null, invited: msg.invited } }];
    }
    if (msg.state === 'running') {
      const watching = msg.watchers > 0 ? ` ${msg.watchers} watching.` : '';
      return [{ type: 'show', view: 'message', title: `${both} are playing`,
        text: `This match is running. You can watch it live.${watching}`, home: true,
        buttons: [{ label: 'Watch', intent: 'watch', gameName }] }];
    }
    if (msg.state === 'ended') {
      const buttons = msg.rematch === null ? []
        : [{ label: 'Go to the rematch', href: this.#matchPath(msg.rematch) }];
      return [{ type: 'show', view: 'message', title: 'This match has ended',
        text: `This match has ended: ${resultText(msg)}.`, home: true, buttons }];
    }
    return [{ type: 'show', view: 'message', title: 'This link doesn’t lead to a match',
      text: 'Check the link, or start a match of your own.', home: true }];
  }

  #onChallenges(msg) {
    if (this.#phase !== Phase.HOME) return [];
    return [{ type: 'challenged', self: msg.self, from: msg.from }];
  }

  #onSpectate(msg) {
    const watching = this.#watching;
    if (this.#phase !== Phase.WATCHING || msg.game_name !== watching.gameName) return [];
    const actions = [];
    if (!watching.seen) {
      watching.seen = true;
      this.#repeat.every = WATCH_REPEAT_MS;
      actions.push({ type: 'show', view: 'watch' });
    }
    actions.push({ type: 'spectate', message: msg });
    return actions;
  }

  #onWaiting(msg, now) {
    if (!ASKING.has(this.#phase)) return [];
    this.#phase = Phase.WAITING;
    const intent = this.#intent;
    const fresh = intent.fallback
      ?? { self: intent.self, opponent: intent.opponent, queue: intent.queue };
    const { game_name: gameName, token } = msg;
    const actions = [];
    if (this.#waitingIn !== null && this.#waitingIn !== gameName) {
      actions.push({ type: 'drop-waiting', gameName: this.#waitingIn });
    }
    if (this.#waitingIn !== gameName || token !== intent.token) {
      this.#waitingIn = gameName;
      actions.push({ type: 'store-waiting', gameName, entry: { ...fresh, token } });
    }
    // From now on every retry names the seat: it proves this address reads our datagrams, and a
    // new socket (reconnect, reload) finds the same waiting match.
    if (token !== null) {
      this.#intent = {
        self: fresh.self, opponent: null, queue: null, gameName, token, total: null,
        fallback: fresh,
      };
    }
    const quick = msg.queue === 'quick' || fresh.queue === 'quick';
    const link = quick ? null : `${this.#shareBase}m/${encodeURIComponent(gameName)}`
      + `#host=${encodeURIComponent(fresh.self)}`;
    const view = { type: 'show', view: 'waiting', link, opponent: msg.opponent };
    // the queue's live waiting time counts from when the server put this player in it
    if (quick) Object.assign(view, { quick: true, since: now - (msg.queued_ms ?? 0) });
    actions.push({ type: 'set-url', path: this.#matchPath(gameName) }, view);
    return actions;
  }

  #onStart(msg, now) {
    const gameName = msg.game_name;
    if (RUNNING.has(this.#phase) && this.#game.gameName === gameName) {
      this.#needConnect = false; // a rejoin after a reconnect: the match as it stands
      const actions = [{ type: 'resume-match', message: msg, countdownMs: msg.countdown_ms }];
      this.#startAt = now + msg.countdown_ms;
      return [...actions, ...this.tick(now).filter((action) => action.type === 'go')];
    }
    const rematch = AFTER.has(this.#phase)
      && (this.#rematch.mine || gameName === this.#rematch.next);
    if (!ASKING.has(this.#phase) && !rematch) return [];
    // A reloaded tab knows the match's length; a fresh start is its full length.
    const remembered = this.#intent?.gameName === gameName ? this.#intent.total : null;
    const total = remembered ?? msg.time_left;
    const { self, opponent, token } = msg;
    const actions = [{ type: 'store-seat', gameName, seat: { self, token, total } }];
    if (this.#waitingIn !== null) actions.push({ type: 'drop-waiting', gameName: this.#waitingIn });
    if (rematch) actions.push({ type: 'drop-seat', gameName: this.#ended.gameName });
    this.#waitingIn = null;
    this.#ended = null;
    this.#rematch = { mine: false, offered: false, next: null };
    this.#repeat = null;
    if (msg.rules !== RULES_VERSION) return [...actions, ...this.#outdated(msg)];
    this.#game = { gameName, self, opponent, token, total };
    this.#intent = {
      self, opponent: null, queue: null, gameName, token, total: null, fallback: null,
    };
    this.#needConnect = false;
    this.#startAt = now + msg.countdown_ms;
    this.#phase = msg.countdown_ms > 0 ? Phase.COUNTDOWN : Phase.PLAYING;
    actions.push({ type: 'start-match', message: msg, total, countdownMs: msg.countdown_ms },
      { type: 'set-url', path: this.#matchPath(gameName) });
    return actions;
  }

  // docs/rules.md "Rules version": the server plays rules this page does not know, so it would
  // mispredict every lock. Nothing is played; the seat stays stored, and a reload (which loads
  // the page the server serves now) takes it back.
  #outdated(msg) {
    this.#needConnect = false;
    this.#intent = null;
    this.#phase = Phase.REFUSED;
    const theirs = msg.rules === null ? 'other rules' : `rules version ${msg.rules}`;
    return [{ type: 'set-url', path: this.#matchPath(msg.game_name) }, {
      type: 'show', view: 'message', title: 'This page is out of date: reload',
      text: `The server plays ${theirs}; this page knows version ${RULES_VERSION}. `
        + 'Reload the page now to take your seat back.', home: false,
    }];
  }

  #onFlux(msg) {
    const running = RUNNING.has(this.#phase) && this.#game.gameName === msg.game_name;
    return running ? [{ type: 'apply', message: msg }] : [];
  }

  #onEnd(msg, now) {
    if (AFTER.has(this.#phase)) return []; // the end screen shows already (keep-alive replies)
    if (this.#phase === Phase.WATCHING) {
      if (msg.game_name !== this.#watching.gameName) return [];
      this.#repeat = null;
      this.#watching = null;
      this.#phase = Phase.ENDED;
      return [{ type: 'stop-watch' },
        { type: 'show', view: 'end', summary: endSummary(msg, null), rematch: false }];
    }
    const mine = this.#game?.gameName ?? this.#intent?.gameName;
    if (msg.game_name !== mine || !(SEEKING.has(this.#phase))) return [];
    const game = this.#game ?? this.#intent;
    const { self } = game;
    const names = Object.keys(msg.score);
    const opponent = this.#game?.opponent ?? names.find((name) => name !== self) ?? 'Opponent';
    const actions = this.#stop();
    this.#phase = Phase.ENDED;
    // The seat stays remembered: a reload of the end screen comes back to it (and its Rematch).
    const token = this.#game === null ? game.token : this.#game.token;
    this.#game = null;
    if (token) {
      this.#ended = { gameName: msg.game_name, self, opponent, token };
      this.#keepAlive(now);
    }
    actions.push({ type: 'show', view: 'end', summary: endSummary(msg, self),
      rematch: Boolean(token) });
    return actions;
  }

  #onRematch(msg, now) {
    const ended = this.#ended;
    if (!AFTER.has(this.#phase) || ended === null || msg.game_name !== ended.gameName) return [];
    const fromMe = msg.from === ended.self;
    const status = (text, { offer = false, canAsk = false } = {}) => (
      { type: 'rematch-status', text, offer, canAsk });
    if (msg.state === 'asked') {
      if (fromMe) {
        if (this.#rematch.offered) return []; // both asked: the start follows
        this.#keepAlive(now); // the ask is recorded: stop repeating it
        return [status(`Waiting for ${ended.opponent} to accept…`)];
      }
      this.#rematch.offered = true;
      if (this.#rematch.mine) return [status('Starting the rematch…')];
      return [status(`${ended.opponent} wants a rematch`, { offer: true }),
        { type: 'announce', text: `${ended.opponent} wants a rematch` }];
    }
    if (msg.state === 'started') {
      this.#rematch.next = msg.next;
      return [status('Starting the rematch…')];
    }
    this.#rematch = { mine: false, offered: false, next: null };
    this.#phase = Phase.ENDED;
    this.#keepAlive(now);
    if (msg.state === 'declined') {
      return [status(fromMe ? 'You declined the rematch.'
        : `${ended.opponent} declined the rematch.`, { canAsk: !fromMe })];
    }
    return [status('The rematch offer expired.', { canAsk: true })];
  }

  #onError(msg, now) {
    const { reason } = msg;
    const text = errorText(reason);
    const intent = this.#intent;
    if (reason === 'moved' && (SEEKING.has(this.#phase))) return this.#onMoved();
    if (this.#phase === Phase.PROBING) {
      // a server that cannot say: the join form, as before links were probed
      this.#repeat = null;
      this.#phase = Phase.HOME;
      return [{ type: 'show', view: 'home' }];
    }
    if (this.#phase === Phase.WATCHING) {
      this.#repeat = null;
      this.#watching = null;
      this.#phase = Phase.REFUSED;
      return [{ type: 'stop-watch' },
        { type: 'show', view: 'message', title: 'Cannot watch', text, home: true }];
    }
    if (AFTER.has(this.#phase) && LOST_SEAT.has(reason)) {
      // the ended match is gone from the server: no rematch any more
      const lost = this.#rematch.mine;
      this.#repeat = null;
      this.#ended = null;
      this.#phase = Phase.ENDED;
      return lost ? [{ type: 'rematch-status', text: 'The rematch offer expired.', offer: false,
        canAsk: false }] : [];
    }
    if (this.#phase === Phase.CONNECTING && intent?.fallback && LOST_SEAT.has(reason)) {
      // the waiting match a reloaded host came back to is gone: open a new one
      const forget = { type: 'drop-waiting', gameName: intent.gameName };
      return [forget, ...this.#begin(intent.fallback, now)];
    }
    if (this.#phase === Phase.CONNECTING && intent?.token && LOST_SEAT.has(reason)) {
      // the seat this tab remembers is gone: say what the link leads to now
      const forget = { type: 'drop-seat', gameName: intent.gameName };
      this.#needConnect = false;
      this.#intent = null;
      return [forget, ...this.#probe(intent.gameName, now)];
    }
    if (ASKING.has(this.#phase)) {
      const actions = [];
      if (intent?.token) actions.push({ type: 'drop-seat', gameName: intent.gameName });
      this.#needConnect = false;
      this.#intent = null; // refused: a reconnect must not ask again (and again, once a second)
      if (FIX_AT_HOME.has(reason)) {
        this.#phase = Phase.HOME;
        actions.push({ type: 'show', view: 'home', error: text });
      } else {
        this.#phase = Phase.REFUSED;
        actions.push({ type: 'show', view: 'message', title: 'Cannot join', text, home: true });
      }
      return actions;
    }
    if (RUNNING.has(this.#phase) && LOST_SEAT.has(reason)) {
      const actions = this.#stop();
      this.#game = null;
      this.#phase = Phase.REFUSED;
      actions.push({ type: 'show', view: 'message', title: 'Match over', text, home: true });
      return actions;
    }
    const detail = msg.detail === null ? '' : ` (${msg.detail})`;
    return [{ type: 'warn', text: `server error: ${reason}${detail}` }];
  }

  // Another tab took this seat: stop sending, offer to take it back the same way.
  #onMoved() {
    const game = this.#game;
    const intent = this.#intent;
    this.#moved = game === null
      ? { ...intent }
      : { self: game.self, gameName: game.gameName, token: game.token, total: game.total };
    const actions = game === null ? [] : [{ type: 'stop-match' }];
    this.#needConnect = false;
    this.#repeat = null;
    this.#game = null;
    this.#waitingIn = null;
    this.#phase = Phase.MOVED;
    actions.push({ type: 'show', view: 'message', title: 'This match is open in another tab',
      text: 'It plays in the other tab now. Play here to take it back.', home: true,
      buttons: [{ label: 'Play here', intent: 'playHere' }] });
    return actions;
  }

  // The match (running or sought) is over: nothing more is asked for, the URL goes home.
  #stop() {
    const actions = this.#game === null ? [] : [{ type: 'stop-match' }];
    this.#needConnect = false;
    this.#intent = null;
    this.#startAt = null;
    actions.push({ type: 'set-url', path: this.#basePath });
    return actions;
  }
}
