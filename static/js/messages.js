// Building the messages the browser sends and putting the server's answers into words.
// Pure functions only (tested in tests/js/net.test.js); shapes follow docs/protocol.md.

// The server's wire constants, as the page needs them: tests/vectors/constants.json (written from
// server/) pins each one, so a change there fails tests/js/constants.test.js until it is made here.
export const MAX_DATAGRAM = 1200; // bytes either way (docs/protocol.md)
// Unacknowledged locks repeated per request: docs/protocol.md's "at most 8" (the server takes 16).
export const MAX_LOCKS = 8;
// The server answers an address that has not proven it reads our datagrams with at most this many
// times the bytes it sent (RFC 9000 §8.1); a connect this large lets a full datagram (the ~1 KB
// game_start) through at once.
export const AMPLIFICATION = 3;
export const MIN_CONNECT_BYTES = Math.ceil(MAX_DATAGRAM / AMPLIFICATION);
export const MAX_WAITING = 4; // matches one address may have waiting for an opponent

// Names: 1–16 characters after trimming; ASCII letters, digits, spaces and _ - . (the server's
// rule in docs/protocol.md: 16 characters are 16 bytes)
export const MAX_NAME_LENGTH = 16;
export const NAME_PATTERN = `[A-Za-z0-9_ .-]{1,${MAX_NAME_LENGTH}}`;
const NAME = new RegExp(`^${NAME_PATTERN}$`);
// connect's `key`: the tab's own secret for its seats, at least 96 bits in base64url
export const KEY_PATTERN = '[A-Za-z0-9_-]{16,64}';

/** The trimmed name, or null when the server would refuse it. */
export function cleanName(raw) {
  const name = String(raw ?? '').trim();
  return NAME.test(name) ? name : null;
}

const byteLength = (msg) => new TextEncoder().encode(JSON.stringify(msg)).length;

// Padded with `pad` (the server ignores it) to MIN_CONNECT_BYTES: the answer to a request from
// an address not yet proven may be at most AMPLIFICATION times its size.
function padded(msg) {
  msg.pad = '';
  const short = MIN_CONNECT_BYTES - byteLength(msg);
  if (short > 0) msg.pad = '.'.repeat(short);
  else delete msg.pad;
  return msg;
}

/**
 * `connect`: open a match, challenge by name, join by link, come back to a seat (waiting or
 * playing) with its token, or wait in the quick-match queue (`queue: 'quick'`). Padded. `key`:
 * the tab's own secret (seats.js tabKey), so the server hands this seat's token to this tab only.
 */
export function connectMessage({
  self, opponent = null, gameName = null, token = null, queue = null, timestamp = undefined,
  key = null,
}) {
  const msg = { command: 'connect', self };
  if (timestamp !== undefined) msg.timestamp = timestamp;
  if (key) msg.key = key;
  if (gameName) {
    msg.game_name = gameName;
    if (token) msg.token = token;
  } else if (queue) {
    msg.queue = queue;
  } else {
    msg.opponent = opponent || null;
  }
  return padded(msg);
}

/** `probe`: the state of the match behind a link, before asking for a name. Padded. */
export function probeMessage({ timestamp, gameName }) {
  return padded({ command: 'probe', timestamp, game_name: gameName });
}

/** `watch`: a spectator's request, repeated to stay watching. Padded (spectate is large). */
export function watchMessage({ timestamp, gameName }) {
  return padded({ command: 'watch', timestamp, game_name: gameName });
}

/** `rematch` on an ended match: answer 'ask' | 'accept' (both: I want one) | 'decline'. */
export function rematchMessage({ timestamp, gameName, token, answer }) {
  return { command: 'rematch', timestamp, game_name: gameName, token, answer };
}

/** `challenges`: who is challenging `self` (names are not accounts: anyone may ask). */
export function challengesMessage({ timestamp, self }) {
  return { command: 'challenges', timestamp, self };
}

export function leaveMessage({ timestamp, gameName, token }) {
  return { timestamp, command: 'leave', game_name: gameName, token, intent: 'forfeit' };
}

/**
 * A `game_flux` request with the seed fields, the unacknowledged locks (oldest first, each with
 * its `fx`) and the oldest power use the server has not handled (`power`: {power_used, power_n}
 * from prediction.pendingPower(), repeated until acknowledged). Locks are dropped from the newest
 * end until the datagram fits: they are resent next time.
 */
export function fluxMessage({
  timestamp, gameName, token, userRows, opponentRows, score, locks, power = null,
}) {
  const msg = {
    timestamp,
    command: 'game_flux',
    game_name: gameName,
    user_blocks: userRows,
    opponent_blocks: opponentRows,
    power_used: power?.power_used ?? null,
    user_score: score,
    powers_available: [],
    token,
    locks: locks.slice(0, MAX_LOCKS),
  };
  if (power !== null) msg.power_n = power.power_n;
  while (msg.locks.length > 1 && byteLength(msg) > MAX_DATAGRAM) msg.locks.pop();
  return msg;
}

// Resends while something waits for an ack back off exponentially with "equal jitter" (half the
// delay fixed, half random: AWS Architecture Blog, "Exponential Backoff And Jitter"), so an
// overloaded server is not met with more repeats; docs/protocol.md "game_flux".
export const RESEND_MIN_MS = 100; // the first resend, and the floor of every one
export const RESEND_MAX_MS = 1000; // the cap
export const KEEPALIVE_MS = 1000; // nothing waits for an ack: one request a second
// No resend before the reply could be back: each waits at least RFC 6298's retransmission
// timeout, the smoothed round trip + 4 x its variation (gains 1/8 and 1/4), still at most 1 s.
const RTT_GAIN = 1 / 8;
const RTTVAR_GAIN = 1 / 4;
const RTTVAR_WEIGHT = 4;

/** The k-th resend's delay bounds, [low, high] ms: [100, 200], [200, 400], [400, 800], then
 * [500, 1000] from there on. */
export function resendBounds(k) {
  const high = Math.min(RESEND_MAX_MS, 2 * RESEND_MIN_MS * 2 ** k);
  return [high / 2, high];
}

/**
 * When to send the next game_flux. A new lock (or power use) is sent at once by the caller; while
 * anything waits for an ack, resends follow the backoff; else a keep-alive every second.
 * `sent(now, pending)` after each send, `acked()` when the server's `ack` (or `power_ack`) grew,
 * `measured(rtt)` for each reply that names its request.
 * `random` is injectable for tests.
 */
export class FluxSchedule {
  constructor({ random = Math.random } = {}) {
    this.random = random;
    this.lastSent = -Infinity;
    this.resends = 0; // sends since the last acknowledgement
    this.delay = RESEND_MIN_MS; // the wait before the next resend
    this.srtt = null; // the smoothed round trip, once one was measured
    this.rttvar = 0;
  }

  /** RFC 6298's retransmission timeout: no resend before it (0 until a round trip). */
  get timeout() {
    return this.srtt === null ? 0 : this.srtt + RTTVAR_WEIGHT * this.rttvar;
  }

  /** A round trip: a reply's `echo` named a request sent `rtt` ms ago (RFC 6298 2.2-2.3). */
  measured(rtt) {
    if (!(rtt >= 0)) return;
    if (this.srtt === null) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar += RTTVAR_GAIN * (Math.abs(this.srtt - rtt) - this.rttvar);
      this.srtt += RTT_GAIN * (rtt - this.srtt);
    }
  }

  due(now, pending) {
    return now - this.lastSent >= (pending > 0 ? this.delay : KEEPALIVE_MS);
  }

  sent(now, pending = 0) {
    this.lastSent = now;
    if (pending === 0) return;
    const [low, high] = resendBounds(this.resends);
    this.delay = this.#waitAtLeastRtt(low + this.random() * (high - low));
    this.resends += 1;
  }

  acked() {
    this.resends = 0;
    this.delay = this.#waitAtLeastRtt(RESEND_MIN_MS);
  }

  // A backoff delay, never shorter than the round trip's timeout, never longer than the cap.
  #waitAtLeastRtt(delay) {
    return Math.min(RESEND_MAX_MS, Math.max(this.timeout, delay));
  }
}

const REASONS = {
  time_up: "Time's up",
  top_out: 'topped out',
  disconnect: 'lost connection',
  forfeit: 'left the match',
  server_shutdown: 'The server shut down before the match could finish',
  server_lost: 'The connection to the game server was lost',
};
// Ends that no player caused: nobody won, and it was no draw either.
const NO_RESULT = new Set(['server_shutdown', 'server_lost']);
const LEFT = 'left'; // game_end.left: the tab closed and did not come back in its grace
// game_end.top_out: how the loser topped out (rules.md "Top-out")
const TOP_OUTS = { lock_out: 'lock out', block_out: 'block out', garbage: 'garbage out' };

/**
 * The end screen's words for a `game_end`, from `self`'s side; a spectator (`self` not one of
 * the players) sees it from the first player's side, without "You". `stats` and `fields` (the
 * server's books, null when absent) come in the order of `scores`.
 */
export function endSummary(msg, self) {
  const winner = typeof msg.winner === 'string' ? msg.winner : null;
  const names = Object.keys(msg.score ?? {});
  const watcher = self === null || (names.length > 0 && !names.includes(self));
  const me = watcher ? names[0] ?? 'Player' : self;
  const opponent = names.find((name) => name !== me) ?? 'Opponent';
  let title = NO_RESULT.has(msg.reason) ? 'Match stopped' : 'Draw';
  if (winner !== null) title = winner === self ? 'You win!' : `${winner} wins`;
  const loser = winner === null ? null : winner === me ? opponent : me;
  let said = msg.left ? LEFT : REASONS[msg.reason] ?? String(msg.reason ?? '');
  const how = !msg.left && msg.reason === 'top_out' ? TOP_OUTS[msg.top_out] ?? msg.top_out : null;
  if (typeof how === 'string') said = `${said} (${how})`; // "bob topped out (block out)"
  // "Time's up" stands alone; the others say who: "bob topped out"
  const who = loser === self ? 'You' : loser;
  const reason = msg.reason === 'time_up' || loser === null ? said : `${who} ${said}`;
  let outcome = winner === null ? 'draw' : winner === self ? 'win' : 'loss';
  if (watcher) outcome = 'watched';
  const both = [me, opponent];
  return {
    gameName: typeof msg.game_name === 'string' ? msg.game_name : null, // its replay's name
    title,
    reason,
    outcome,
    scores: [
      { name: me, score: (watcher ? null : msg.user_score) ?? msg.score?.[me] ?? 0 },
      { name: opponent, score: (watcher ? null : msg.opponent_score) ?? msg.score?.[opponent] ?? 0 },
    ],
    stats: msg.stats ? both.map((name) => msg.stats[name] ?? null) : null,
    fields: msg.fields ? both.map((name) => msg.fields[name] ?? null) : null,
  };
}

/** "alice won 3,200 to 2,900" (or "a draw at 1,000 each") for an ended match's link. */
export function resultText({ winner, score }) {
  const format = (n) => n.toLocaleString('en-US');
  const names = Object.keys(score ?? {});
  if (winner === null || !names.includes(winner)) {
    const points = names.map((name) => `${name} ${format(score[name])}`).join(', ');
    return points ? `a draw (${points})` : 'a draw';
  }
  const loser = names.find((name) => name !== winner);
  const theirs = loser === undefined ? '' : ` to ${format(score[loser])}`;
  return `${winner} won ${format(score[winner])}${theirs}`;
}

const ERRORS = {
  unknown_game: 'This match no longer exists.',
  game_full: 'This match already has two players.',
  name_taken: 'That name is already taken in this match. Pick another one.',
  bad_name: `Names are 1–${MAX_NAME_LENGTH} plain letters (A–Z), digits, spaces, _ - or . `
    + 'characters.',
  bad_token: 'Your seat in this match could not be restored.',
  not_in_game: 'You are not a player of this match.',
  server_full: 'The server is full right now. Try again in a minute.',
  server_shutdown: 'This server is shutting down. Try again in a moment.',
  directory_unavailable: 'The game servers cannot reach their directory right now. '
    + 'Try again in a moment.',
  too_many_waiting: `You already have ${MAX_WAITING} matches waiting for an opponent. `
    + 'Cancel one first.',
  too_many_matches: 'Too many matches were started from your network just now. '
    + 'Finish one, or try again in a minute.',
  moved: 'This match is open in another tab.',
  too_many_watchers: 'Too many people are watching this match right now. Try again later.',
  too_many_bots: 'The computer is busy with as many matches as this server allows. '
    + 'Try again in a minute.',
};

/** Words for an `error` frame's reason; unknown reasons are shown as they came. */
export function errorText(reason) {
  return ERRORS[reason] ?? `The server refused the request (${String(reason)}).`;
}
