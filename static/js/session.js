// The page's phases as a pure machine: no DOM, no WebSocket, no timers, no storage (like
// prediction.js). The player's intents, the server's messages and the clock go in; a list of
// actions comes out, which main.js carries out in order.
//
//   const s = new Session({ basePath, shareBase, stamp }) // stamp() → a client timestamp
//   s.restore({ gameName, seat, waiting }, now) // at load: what this tab remembers of its link
//   s.create({ self }, now)      s.challenge({ self, opponent }, now)
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
//   {type: 'set-url', path}
//   {type: 'store-seat', gameName, seat: {self, token, total}}     {type: 'drop-seat', gameName}
//   {type: 'store-waiting', gameName, entry: {self, opponent, token}}
//   {type: 'drop-waiting', gameName}                                   (seats.js)
//   {type: 'start-match', message, total}  // a new Match from this game_start; game_flux at once
//   {type: 'resume-match', message}        // the running match as it stands after a rejoin
//   {type: 'apply', message}               // a game_flux for the running match
//   {type: 'stop-match'}                   // the running match is over: its loop and keys stop
//   {type: 'warn', text}
import { connectMessage, endSummary, errorText, leaveMessage } from './messages.js';
import { TimestampFilter, parseServerMessage } from './server-messages.js';

// The phases, in the order a match goes through them. The ones still to come (a countdown
// between WAITING and PLAYING, watching, rematch) are more entries here and in #handlers.
export const Phase = Object.freeze({
  HOME: 'home', // the start page: nothing held or sought
  CONNECTING: 'connecting', // a connect is out (open, challenge, join or rejoin), no answer yet
  WAITING: 'waiting', // this tab's match is open and waits for its opponent
  PLAYING: 'playing',
  ENDED: 'ended', // the end screen of a match
  REFUSED: 'refused', // the server refused the request or the seat; a message says why
});

// Phases that hold or seek a seat: a new socket claims it again.
const SEEKING = new Set([Phase.CONNECTING, Phase.WAITING, Phase.PLAYING]);
// Phases in which an answer to `connect` is awaited.
const ASKING = new Set([Phase.CONNECTING, Phase.WAITING]);
// The seat or match a rejoin named is gone.
const LOST_SEAT = new Set(['unknown_game', 'bad_token', 'not_in_game']);
// Refusals the player fixes on the start page.
const FIX_AT_HOME = new Set(['name_taken', 'bad_name']);
export const CONNECT_RETRY_MS = 1000;

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
  #order = new TimestampFilter();
  #phase = Phase.HOME;
  // The connect fields to (re)send: {self, opponent} to open or challenge, {self, gameName} to
  // join by link, {self, gameName, token} to come back to a seat; `fallback` ({self, opponent})
  // opens a fresh match if a reloaded host's waiting match is gone; `total`: the match length
  // remembered by a reloaded tab.
  #intent = null;
  #needConnect = false;
  #lastConnect = -Infinity;
  #waitingIn = null; // game_name of the match this tab opened and waits in
  #game = null; // {gameName, self, token} of the running match

  constructor({ basePath, shareBase, stamp }) {
    this.#basePath = basePath;
    this.#shareBase = shareBase;
    this.#stamp = stamp;
  }

  get phase() {
    return this.#phase;
  }

  get live() {
    return this.#phase === Phase.PLAYING && !this.#needConnect;
  }

  /** At load: the seat or waiting match this tab remembers for the link's `gameName`, if any. */
  restore({ gameName, seat = null, waiting = null }, now) {
    if (seat !== null) {
      const total = Number.isSafeInteger(seat.total) ? seat.total : null;
      return this.rejoin({ self: seat.self, gameName, token: seat.token, total }, now);
    }
    if (waiting !== null) {
      const fresh = { self: waiting.self, opponent: waiting.opponent };
      if (waiting.token !== null) {
        return this.rejoin({ ...fresh, gameName, token: waiting.token, fallback: fresh }, now);
      }
      // no seat to name: open a fresh match
      return [{ type: 'drop-waiting', gameName }, ...this.#start(fresh, now)];
    }
    return [{ type: 'show', view: 'home' }];
  }

  /** Open a match anyone with its link can join. */
  create({ self }, now) {
    return this.#start({ self }, now);
  }

  challenge({ self, opponent }, now) {
    return this.#start({ self, opponent: expectName(opponent, 'challenge opponent') }, now);
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

  /** The Leave button (a forfeit, the server ends the match) or Cancel (back home at once). */
  leave() {
    if (this.#phase === Phase.PLAYING) return [this.#leaveMessage(this.#game)];
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
    if (this.#intent === null || !SEEKING.has(this.#phase)) return [];
    this.#needConnect = true;
    return [this.#connect(now)];
  }

  tick(now) {
    const due = this.#needConnect && this.#intent !== null
      && now - this.#lastConnect >= CONNECT_RETRY_MS;
    return due ? [this.#connect(now)] : [];
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
    waiting: (msg) => this.#onWaiting(msg),
    game_start: (msg) => this.#onStart(msg),
    game_flux: (msg) => this.#onFlux(msg),
    game_end: (msg) => this.#onEnd(msg),
    error: (msg, now) => this.#onError(msg, now),
  };

  #start(choice, now) {
    if (this.#phase !== Phase.HOME) return []; // one match at a time: the start page starts it
    return this.#begin(choice, now);
  }

  #begin(choice, now) {
    this.#intent = {
      self: expectName(choice.self, 'self'),
      opponent: choice.opponent ?? null,
      gameName: choice.gameName ?? null,
      token: choice.token ?? null,
      total: choice.total ?? null,
      fallback: choice.fallback ?? null,
    };
    this.#phase = Phase.CONNECTING;
    this.#needConnect = true;
    const title = this.#intent.token ? 'Rejoining your match…' : 'Connecting…';
    return [{ type: 'show', view: 'message', title, text: '', home: false }, this.#connect(now)];
  }

  #connect(now) {
    this.#lastConnect = now;
    const { self, opponent, gameName, token } = this.#intent;
    return {
      type: 'send',
      message: connectMessage({ self, opponent, gameName, token, timestamp: this.#stamp() }),
    };
  }

  #leaveMessage({ gameName, token }) {
    return { type: 'send', message: leaveMessage({ timestamp: this.#stamp(), gameName, token }) };
  }

  #matchPath(gameName) {
    return `${this.#basePath}m/${encodeURIComponent(gameName)}`;
  }

  #onWaiting(msg) {
    if (!ASKING.has(this.#phase)) return [];
    this.#phase = Phase.WAITING;
    const intent = this.#intent;
    const fresh = intent.fallback ?? { self: intent.self, opponent: intent.opponent };
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
        self: fresh.self, opponent: null, gameName, token, total: null, fallback: fresh,
      };
    }
    const link = `${this.#shareBase}m/${encodeURIComponent(gameName)}`
      + `#host=${encodeURIComponent(fresh.self)}`;
    actions.push({ type: 'set-url', path: this.#matchPath(gameName) },
      { type: 'show', view: 'waiting', link, opponent: msg.opponent });
    return actions;
  }

  #onStart(msg) {
    const gameName = msg.game_name;
    if (this.#phase === Phase.PLAYING && this.#game.gameName === gameName) {
      this.#needConnect = false; // a rejoin after a reconnect: the match as it stands
      return [{ type: 'resume-match', message: msg }];
    }
    if (!ASKING.has(this.#phase)) return [];
    // A reloaded tab knows the match's length; a fresh start is its full length.
    const remembered = this.#intent.gameName === gameName ? this.#intent.total : null;
    const total = remembered ?? msg.time_left;
    const { self, token } = msg;
    const actions = [{ type: 'store-seat', gameName, seat: { self, token, total } }];
    if (this.#waitingIn !== null) actions.push({ type: 'drop-waiting', gameName: this.#waitingIn });
    this.#waitingIn = null;
    this.#game = { gameName, self, token };
    this.#intent = { self, opponent: null, gameName, token, total: null, fallback: null };
    this.#needConnect = false;
    this.#phase = Phase.PLAYING;
    actions.push({ type: 'start-match', message: msg, total },
      { type: 'set-url', path: this.#matchPath(gameName) });
    return actions;
  }

  #onFlux(msg) {
    const running = this.#phase === Phase.PLAYING && this.#game.gameName === msg.game_name;
    return running ? [{ type: 'apply', message: msg }] : [];
  }

  #onEnd(msg) {
    const mine = this.#game?.gameName ?? this.#intent?.gameName;
    if (msg.game_name !== mine || this.#phase === Phase.ENDED) return [];
    const self = this.#game?.self ?? this.#intent.self;
    const actions = this.#stop();
    this.#phase = Phase.ENDED;
    actions.push({ type: 'drop-seat', gameName: msg.game_name },
      { type: 'show', view: 'end', summary: endSummary(msg, self) });
    return actions;
  }

  #onError(msg, now) {
    const { reason } = msg;
    const text = errorText(reason);
    const intent = this.#intent;
    if (this.#phase === Phase.CONNECTING && intent?.fallback && LOST_SEAT.has(reason)) {
      // the waiting match a reloaded host came back to is gone: open a new one
      const forget = { type: 'drop-waiting', gameName: intent.gameName };
      return [forget, ...this.#begin(intent.fallback, now)];
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
    if (this.#phase === Phase.PLAYING && LOST_SEAT.has(reason)) {
      const actions = this.#stop();
      this.#phase = Phase.REFUSED;
      actions.push({ type: 'show', view: 'message', title: 'Match over', text, home: true });
      return actions;
    }
    const detail = msg.detail === null ? '' : ` (${msg.detail})`;
    return [{ type: 'warn', text: `server error: ${reason}${detail}` }];
  }

  // The match (running or sought) is over: nothing more is asked for, the URL goes home.
  #stop() {
    const actions = this.#game === null ? [] : [{ type: 'stop-match' }];
    this.#needConnect = false;
    this.#game = null;
    this.#intent = null;
    actions.push({ type: 'set-url', path: this.#basePath });
    return actions;
  }
}
