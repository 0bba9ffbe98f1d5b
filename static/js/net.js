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
// Requests unanswered this long show "no reply" (a playing client sends at least once a second).
export const SILENT_MS = 2500;

// Requests the server always answers (a `leave` of a waiting match gets no answer at all).
const ANSWERED = new Set(['connect', 'game_flux']);
// Replies to a request: every answer the server gives (waiting, game_start, game_end, error) and
// the game_flux that carries `echo`; a game_flux without it is an unasked push.
const isReply = (msg) => msg.command !== 'game_flux' || msg.echo !== undefined;

/**
 * How the link to the server is doing. Round-trip time from `echo` (docs/protocol.md: a direct
 * game_flux reply carries the `timestamp` of the request it answers, on this client's own clock):
 * RTT = wall clock now − echo, smoothed. "No reply" from the oldest request not answered yet.
 */
export class LinkMonitor {
  constructor() {
    this.rtt = null;
    this.unansweredSince = null;
  }

  /** `msg` went out at `now` (a monotonic clock, ms). */
  sent(msg, now) {
    if (ANSWERED.has(msg.command) && this.unansweredSince === null) this.unansweredSince = now;
  }

  /** A message arrived at `now`; `wallNow` is the clock the client stamps its requests with. */
  heard(msg, now, wallNow) {
    if (!isReply(msg)) return;
    this.unansweredSince = null;
    const echo = msg.echo;
    if (!Number.isSafeInteger(echo) || echo > wallNow || wallNow - echo > 60000) return;
    const sample = wallNow - echo;
    // RFC 6298 §2 style smoothing (alpha = 1/8) keeps one slow reply from jumping the display
    this.rtt = this.rtt === null ? sample : this.rtt + (sample - this.rtt) / 8;
  }

  /** A new socket: nothing sent on it is waiting for an answer. */
  forget() {
    this.unansweredSince = null;
  }

  /**
   * The indicator for socket state `socket` ('connecting' | 'online' | 'reconnecting') at `now`:
   * {state: 'connecting' | 'online' | 'poor' | 'reconnecting', text, silentMs}.
   */
  status(socket, now) {
    if (socket !== 'online') {
      return { state: socket, text: socket === 'connecting' ? 'connecting…' : 'reconnecting…',
        silentMs: 0 };
    }
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
 * onOpen() after every (re)open, to resend `connect`.
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
      this.link.forget();
      this.#setState('online');
      this.handlers.onOpen?.();
    });
    socket.addEventListener('message', (event) => this.#receive(event.data));
    socket.addEventListener('close', () => this.#lost(socket));
  }

  /** Send one message; false when the socket is not open (the caller's schedule retries). */
  send(msg) {
    if (this.socket?.readyState !== 1) return false;
    this.socket.send(JSON.stringify(msg));
    this.link.sent(msg, this.clock());
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
    this.link.heard(msg, this.clock(), this.wallClock());
    this.handlers.onMessage(msg);
  }

  #lost(socket) {
    if (socket !== this.socket || this.closed) return;
    this.#setState('reconnecting');
    this.retryTimer = setTimeout(() => this.open(), backoffDelay(this.attempt));
    this.attempt += 1;
  }

  #setState(state) {
    this.state = state;
    this.handlers.onState?.(this.status());
  }
}
