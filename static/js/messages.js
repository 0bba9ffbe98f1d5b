// Building the messages the browser sends and putting the server's answers into words.
// Pure functions only (tested in tests/js/net.test.js); shapes follow docs/protocol.md.

export const MAX_DATAGRAM = 1200; // bytes either way (docs/protocol.md)
export const MAX_LOCKS = 8; // unacknowledged locks repeated per request

// Names: 1–16 characters after trimming; letters, digits, spaces and _ - . (as the server's \w)
const NAME = /^[\p{L}\p{N}_ .-]{1,16}$/u;

/** The trimmed name, or null when the server would refuse it. */
export function cleanName(raw) {
  const name = String(raw ?? '').trim();
  return NAME.test(name) ? name : null;
}

/** `connect`: rejoin with a token, join by link, challenge by name or open a match. */
export function connectMessage({ self, opponent = null, gameName = null, token = null }) {
  const msg = { command: 'connect', self };
  if (gameName) {
    msg.game_name = gameName;
    if (token) msg.token = token;
  } else {
    msg.opponent = opponent || null;
  }
  return msg;
}

export function leaveMessage({ timestamp, gameName, token }) {
  return { timestamp, command: 'leave', game_name: gameName, token, intent: 'forfeit' };
}

const byteLength = (msg) => new TextEncoder().encode(JSON.stringify(msg)).length;

/**
 * A `game_flux` request with the seed fields and the unacknowledged locks, oldest first.
 * Locks are dropped from the newest end until the datagram fits: they are resent next time.
 */
export function fluxMessage({ timestamp, gameName, token, userRows, opponentRows, score, locks }) {
  const msg = {
    timestamp,
    command: 'game_flux',
    game_name: gameName,
    user_blocks: userRows,
    opponent_blocks: opponentRows,
    power_used: null,
    user_score: score,
    powers_available: [],
    token,
    locks: locks.slice(0, MAX_LOCKS),
  };
  while (msg.locks.length > 1 && byteLength(msg) > MAX_DATAGRAM) msg.locks.pop();
  return msg;
}

/** When to send the next game_flux: every 100 ms while locks wait for an ack, else every 1 s. */
export class FluxSchedule {
  constructor() {
    this.lastSent = -Infinity;
  }

  due(now, pendingLocks) {
    return now - this.lastSent >= (pendingLocks > 0 ? 100 : 1000);
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
  bad_name: 'Names are 1–16 letters, digits, spaces, _ - or . characters.',
  bad_token: 'Your seat in this match could not be restored.',
  not_in_game: 'You are not a player of this match.',
};

/** Words for an `error` frame's reason; unknown reasons are shown as they came. */
export function errorText(reason) {
  return ERRORS[reason] ?? `The server refused the request (${String(reason)}).`;
}
