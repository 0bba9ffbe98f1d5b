// The WebSocket to the bridge: guarded framing, reconnect with backoff and a visible connection
// state. Everything above the socket is pure and tested in tests/js/net.test.js; the Connection
// class is the only part that touches the browser. What the frames say (and the `timestamp > now`
// rule) is server-messages.js's and session.js's business.

/** Parse one text frame; anything that is not a JSON object with a string `command` is null. */
export function parseFrame(text) {
  if (typeof text !== 'string') return null;
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  return typeof value.command === 'string' ? value : null;
}

/** Strictly increasing client timestamps: wall-clock ms, or last + 1 within one millisecond. */
export class Stamper {
  constructor(clock = () => Date.now()) {
    this.clock = clock;
    this.last = 0;
  }

  next() {
    this.last = Math.max(Math.floor(this.clock()), this.last + 1);
    return this.last;
  }
}

export const POOR_RTT_MS = 300; // a round trip slower than this shows "poor connection"
// The bridge's close at capacity (docs/protocol.md "The bridge"): 1013 Try Again Later.
export const BUSY_CLOSE = 1013;
const BUSY_ATTEMPT = 5; // a busy bridge is retried no sooner than backoffDelay's cap, ~5 s
const SOCKET_TEXT = { connecting: 'connecting…', reconnecting: 'reconnecting…',
  busy: 'server busy · retrying…' };
// Requests unanswered this long show "no reply" (a playing client sends at least once a second).
export const SILENT_MS = 2500;

// Requests the server always answers (a `leave` of a waiting match gets no answer at all).
const ANSWERED = new Set(['connect', 'game_flux']);
// Replies to a request: every answer the server gives (waiting, game_start, game_end, error) and
// the game_flux that carries `echo`; a game_flux without it is an unasked push.
const isReply = (msg) => msg.command !== 'game_flux' || msg.echo !== undefined;

// The round-trip figure (issue: it must read what the page itself sees, from the first second).
export const RTT_SAMPLES = 5; // the figure is the median of the last this many fresh samples
export const OUTAGE_MS = 1000; // a request sent, or answered, after this long without a reply
// A reply that ended this many outage samples in a row is believed: the link really is slow.
const SLOW_LINK_SAMPLES = 5;
export const START_SKIP_MS = 250; // requests this soon after a match (or socket) start: no sample
const PENDING_MAX = 64; // requests remembered for their send time

/**
 * The round trip as the page sees it: a reply's `echo` names the request it answers (its
 * `timestamp`), whose send time (monotonic) is remembered. A sample is fresh unless its request
 * sat in a queue (the socket still had bytes to send, or an older request was already long
 * unanswered), its reply ended an outage, a newer request was answered first, or it was sent
 * right after a match or socket started (the first replies queue behind the server's and the
 * page's start work). The figure is the median of the last RTT_SAMPLES fresh samples. Pure.
 */
export class RttEstimator {
  #pending = new Map(); // timestamp → {at, fresh}
  #samples = [];
  #newestEcho = -Infinity;
  #skipUntil = -Infinity;
  #slowRun = 0;

  /** A request stamped `timestamp` went out at `now`; `queued`: it could not go at once. */
  sent(timestamp, now, { queued = false, unansweredSince = null } = {}) {
    if (!Number.isSafeInteger(timestamp)) return;
    const outage = unansweredSince !== null && now - unansweredSince >= OUTAGE_MS;
    this.#pending.set(timestamp, { at: now, fresh: !queued && !outage && now >= this.#skipUntil });
    if (this.#pending.size > PENDING_MAX) this.#pending.delete(this.#pending.keys().next().value);
  }

  /**
   * The reply to request `echo` arrived at `now` after `silentMs` without any reply; `fallback`
   * (wall clock now − echo) when the request is not remembered. Returns the sample or null.
   */
  replied(echo, now, { silentMs = 0, fallback = null } = {}) {
    const request = this.#pending.get(echo);
    for (const stamp of this.#pending.keys()) if (stamp <= echo) this.#pending.delete(stamp);
    const overtaken = echo <= this.#newestEcho;
    this.#newestEcho = Math.max(this.#newestEcho, echo);
    const sample = request === undefined ? fallback : now - request.at;
    if (sample === null || sample < 0 || overtaken || request?.fresh === false) return null;
    if (silentMs >= OUTAGE_MS && this.#slowRun + 1 < SLOW_LINK_SAMPLES) {
      this.#slowRun += 1;
      return null;
    }
    this.#slowRun = 0;
    this.#samples.push(sample);
    if (this.#samples.length > RTT_SAMPLES) this.#samples.shift();
    return sample;
  }

  /** A match (or socket) starts at `now`: its first requests give no sample. */
  restart(now) {
    this.#skipUntil = now + START_SKIP_MS;
    for (const request of this.#pending.values()) request.fresh = false;
  }

  /** The median of the recent fresh samples, or null before the first. */
  get value() {
    if (this.#samples.length === 0) return null;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
}

/**
 * How the link to the server is doing: the round trip (RttEstimator, from `echo`: docs/protocol.md,
 * a direct game_flux reply carries the `timestamp` of the request it answers) and "no reply" from
 * the oldest request not answered yet.
 */
export class LinkMonitor {
  constructor() {
    this.estimator = new RttEstimator();
    this.unansweredSince = null;
  }

  get rtt() {
    return this.estimator.value;
  }

  /** `msg` went out at `now` (a monotonic clock, ms); `queued`: the socket still had bytes. */
  sent(msg, now, queued = false) {
    if (!ANSWERED.has(msg.command)) return;
    this.estimator.sent(msg.timestamp, now, { queued, unansweredSince: this.unansweredSince });
    if (this.unansweredSince === null) this.unansweredSince = now;
  }

  /**
   * A message arrived at `now`; `wallNow` is the clock the client stamps its requests with.
   * Returns the round trip it measured (a fresh sample, ms), or null.
   */
  heard(msg, now, wallNow) {
    if (!isReply(msg)) return null;
    const silentMs = this.unansweredSince === null ? 0 : now - this.unansweredSince;
    this.unansweredSince = null;
    const echo = msg.echo;
    if (!Number.isSafeInteger(echo) || echo > wallNow || wallNow - echo > 60000) return null;
    return this.estimator.replied(echo, now, { silentMs, fallback: wallNow - echo });
  }

  /** A match starts at `now`: the replies to its first requests are no measure of the link. */
  restart(now) {
    this.estimator.restart(now);
  }

  /** A new socket: nothing sent on it is waiting for an answer. */
  forget(now = null) {
    this.unansweredSince = null;
    if (now !== null) this.estimator.restart(now);
  }

  /**
   * The indicator for socket state `socket` ('connecting' | 'online' | 'reconnecting' | 'busy')
   * at `now`: {state: 'connecting' | 'online' | 'poor' | 'reconnecting' | 'busy', text, silentMs}.
   */
  status(socket, now) {
    if (socket !== 'online') return { state: socket, text: SOCKET_TEXT[socket], silentMs: 0 };
    const silentMs = this.unansweredSince === null ? 0 : now - this.unansweredSince;
    if (silentMs >= SILENT_MS) {
      return { state: 'poor', text: `no reply for ${Math.floor(silentMs / 1000)} s`, silentMs };
    }
    if (this.rtt === null) return { state: 'online', text: 'online', silentMs };
    const ms = Math.round(this.rtt);
    return ms > POOR_RTT_MS
      ? { state: 'poor', text: `poor connection · ${ms} ms`, silentMs }
      : { state: 'online', text: `online · ${ms} ms`, silentMs };
  }
}

/** ws:// or wss:// URL for `wsPath` on the page's own host. */
export function wsUrl(location, wsPath) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${wsPath}`;
}

/** Reconnect delay for the n-th attempt (0-based): doubling from 250 ms, capped at 5 s. */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(5000, 250 * 2 ** Math.min(attempt, 5));
  return Math.round(base * (0.75 + random() * 0.5)); // jitter so two tabs do not retry in step
}

/**
 * One WebSocket that comes back after an unexpected close.
 * handlers: onMessage(msg) for each frame that is a JSON object with a command; onState(status)
 * when the socket goes 'connecting' | 'online' | 'reconnecting' (status as LinkMonitor.status);
 * onOpen() after every (re)open, to resend `connect`; onRtt(ms) for each fresh round-trip sample
 * (before the message that gave it), which the running match's resends wait out.
 */
export class Connection {
  constructor(url, handlers, {
    WebSocketImpl = globalThis.WebSocket,
    clock = () => performance.now(),
    wallClock = () => Date.now(),
  } = {}) {
    this.url = url;
    this.handlers = handlers;
    this.WebSocketImpl = WebSocketImpl;
    this.clock = clock;
    this.wallClock = wallClock;
    this.link = new LinkMonitor();
    this.state = 'connecting';
    this.socket = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.closed = false;
  }

  open() {
    this.closed = false;
    this.#setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const socket = new this.WebSocketImpl(this.url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.link.forget(this.clock());
      this.#setState('online');
      this.handlers.onOpen?.();
    });
    socket.addEventListener('message', (event) => this.#receive(event.data));
    socket.addEventListener('close', (event) => this.#lost(socket, event?.code));
  }

  /** Send one message; false when the socket is not open (the caller's schedule retries). */
  send(msg) {
    if (this.socket?.readyState !== 1) return false;
    const queued = this.socket.bufferedAmount > 0; // this request waits behind others
    this.socket.send(JSON.stringify(msg));
    this.link.sent(msg, this.clock(), queued);
    return true;
  }

  /** The connection indicator now: see LinkMonitor.status. */
  status() {
    return this.link.status(this.state, this.clock());
  }

  close() {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket?.close();
  }

  #receive(data) {
    // A frame proves the link works: only then does the next reconnect start from the shortest
    // delay. A bridge that accepts the socket and closes it at once (game server unreachable)
    // is retried with growing delays, not every 250 ms.
    this.attempt = 0;
    const msg = parseFrame(data);
    if (msg === null) return;
    // even a reply the session drops as stale proves a round trip
    const rtt = this.link.heard(msg, this.clock(), this.wallClock());
    if (rtt !== null) this.handlers.onRtt?.(rtt);
    this.handlers.onMessage(msg);
  }

  #lost(socket, code) {
    if (socket !== this.socket || this.closed) return;
    // A bridge at capacity says so: show it, and come back later rather than sooner.
    const busy = code === BUSY_CLOSE;
    this.#setState(busy ? 'busy' : 'reconnecting');
    const attempt = busy ? Math.max(this.attempt, BUSY_ATTEMPT) : this.attempt;
    this.retryTimer = setTimeout(() => this.open(), backoffDelay(attempt));
    this.attempt += 1;
  }

  #setState(state) {
    this.state = state;
    this.handlers.onState?.(this.status());
  }
}
