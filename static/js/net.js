// The WebSocket to the bridge: guarded parsing, the `timestamp > now` filter, reconnect with
// backoff and a visible connection state. Everything above the socket is pure and tested in
// tests/js/net.test.js; the Connection class is the only part that touches the browser.

// Server messages that change game state, and so must be newer than the last one applied
// (docs/protocol.md, Conventions: "Only a packet newer than the last one applied may change
// state").
const ORDERED = new Set(['game_start', 'game_flux']);

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

/** Keeps the newest server timestamp applied and drops stale game_start / game_flux frames. */
export class TimestampFilter {
  constructor() {
    this.lastApplied = -Infinity;
  }

  /** True when `msg` may be delivered; an ordered message also moves the mark forward. */
  accept(msg) {
    if (!ORDERED.has(msg.command)) return true;
    const ts = msg.timestamp;
    if (!Number.isSafeInteger(ts) || ts <= this.lastApplied) return false;
    this.lastApplied = ts;
    return true;
  }

  reset() {
    this.lastApplied = -Infinity;
  }
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

/** Round-trip estimate: time from the oldest unanswered request to the next reply, smoothed. */
export class RttMeter {
  constructor() {
    this.sentAt = null;
    this.estimate = null;
  }

  sent(now) {
    if (this.sentAt === null) this.sentAt = now;
  }

  replied(now) {
    if (this.sentAt === null) return;
    const sample = now - this.sentAt;
    this.sentAt = null;
    // RFC 6298 §2 style smoothing (alpha = 1/8) keeps one slow reply from jumping the display
    this.estimate = this.estimate === null ? sample : this.estimate + (sample - this.estimate) / 8;
  }

  forget() {
    this.sentAt = null;
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
 * handlers: onMessage(msg) for each parsed, accepted frame; onState(state) with
 * 'connecting' | 'online' | 'reconnecting'; onOpen() after every (re)open, to resend `connect`.
 */
export class Connection {
  constructor(url, handlers, { WebSocketImpl = globalThis.WebSocket } = {}) {
    this.url = url;
    this.handlers = handlers;
    this.WebSocketImpl = WebSocketImpl;
    this.filter = new TimestampFilter();
    this.rtt = new RttMeter();
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
      this.attempt = 0;
      this.rtt.forget();
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
    this.rtt.sent(performance.now());
    return true;
  }

  close() {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket?.close();
  }

  #receive(data) {
    const msg = parseFrame(data);
    if (msg === null || !this.filter.accept(msg)) return;
    this.rtt.replied(performance.now());
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
    this.handlers.onState?.(state, this.rtt.estimate);
  }
}
