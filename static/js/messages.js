// Building the messages the browser sends and putting the server's answers into words.
// Pure functions only (tested in tests/js/net.test.js); shapes follow docs/protocol.md.

export const MAX_DATAGRAM = 1200; // bytes either way (docs/protocol.md)
export const MAX_LOCKS = 8; // unacknowledged locks repeated per request
// The server answers an address that has not proven it reads our datagrams with at most 3x the
// bytes it sent (RFC 9000 §8.1); a connect this large lets the ~1 KB game_start through at once.
export const MIN_CONNECT_BYTES = 400;

// Names: 1–16 characters after trimming; ASCII letters, digits, spaces and _ - . (the server's
// rule in docs/protocol.md: 16 characters are 16 bytes)
const NAME = /^[A-Za-z0-9_ .-]{1,16}$/;

/** The trimmed name, or null when the server would refuse it. */
export function cleanName(raw) {
  const name = String(raw ?? '').trim();
  return NAME.test(name) ? name : null;
}

const byteLength = (msg) => new TextEncoder().encode(JSON.stringify(msg)).length;

/**
 * `connect`: open a match, challenge by name, join by link, or come back to a seat (waiting or
 * playing) with its token. Padded with `pad` (the server ignores it) to MIN_CONNECT_BYTES.
 */
export function connectMessage({
  self, opponent = null, gameName = null, token = null, timestamp = undefined,
}) {
  const msg = { command: 'connect', self };
  if (timestamp !== undefined) msg.timestamp = timestamp;
  if (gameName) {
    msg.game_name = gameName;
    if (token) msg.token = token;
  } else {
    msg.opponent = opponent || null;
  }
  msg.pad = '';
  const short = MIN_CONNECT_BYTES - byteLength(msg);
  if (short > 0) msg.pad = '.'.repeat(short);
  else delete msg.pad;
  return msg;
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

/**
 * When to send the next game_flux: every 100 ms while anything (locks, a power use) waits for an
 * ack, else every 1 s.
 */
export class FluxSchedule {
  constructor() {
    this.lastSent = -Infinity;
  }

  due(now, pending) {
    return now - this.lastSent >= (pending > 0 ? 100 : 1000);
  }

  sent(now) {
    this.lastSent = now;
  }
}

const REASONS = {
  time_up: "Time's up",
  top_out: 'topped out',
  disconnect: 'lost connection',
  forfeit: 'left the match',
};

/** The end screen's words for a `game_end`, from `self`'s side. */
export function endSummary(msg, self) {
  const winner = typeof msg.winner === 'string' ? msg.winner : null;
  const names = Object.keys(msg.score ?? {});
  const opponent = names.find((name) => name !== self) ?? 'Opponent';
  let title = 'Draw';
  if (winner !== null) title = winner === self ? 'You win!' : `${winner} wins`;
  const loser = winner === null ? null : winner === self ? opponent : self;
  const said = REASONS[msg.reason] ?? String(msg.reason ?? '');
  // "Time's up" stands alone; the others say who: "bob topped out"
  const who = loser === self ? 'You' : loser;
  const reason = msg.reason === 'time_up' || loser === null ? said : `${who} ${said}`;
  return {
    title,
    reason,
    outcome: winner === null ? 'draw' : winner === self ? 'win' : 'loss',
    scores: [
      { name: self, score: msg.user_score ?? msg.score?.[self] ?? 0 },
      { name: opponent, score: msg.opponent_score ?? msg.score?.[opponent] ?? 0 },
    ],
  };
}

const ERRORS = {
  unknown_game: 'This match no longer exists.',
  game_full: 'This match already has two players.',
  name_taken: 'That name is already taken in this match. Pick another one.',
  bad_name: 'Names are 1–16 plain letters (A–Z), digits, spaces, _ - or . characters.',
  bad_token: 'Your seat in this match could not be restored.',
  not_in_game: 'You are not a player of this match.',
  server_full: 'The server is full right now. Try again in a minute.',
  too_many_waiting: 'You already have 4 matches waiting for an opponent. Cancel one first.',
};

/** Words for an `error` frame's reason; unknown reasons are shown as they came. */
export function errorText(reason) {
  return ERRORS[reason] ?? `The server refused the request (${String(reason)}).`;
}
