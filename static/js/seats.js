// A tab's seats, kept in sessionStorage by game_name so a reloaded tab can rejoin its match
// with `connect {self, game_name, token}` (docs/protocol.md, connect: token).

const PREFIX = 'blockattack.seat.';

/** {self, token, total} for `gameName`, or null when this tab holds no (valid) seat there. */
export function loadSeat(storage, gameName) {
  if (!gameName) return null;
  try {
    const seat = JSON.parse(storage.getItem(PREFIX + gameName) ?? 'null');
    if (typeof seat?.self === 'string' && typeof seat?.token === 'string') return seat;
  } catch {
    // a damaged entry is as good as none
  }
  return null;
}

export function saveSeat(storage, gameName, seat) {
  try {
    storage.setItem(PREFIX + gameName, JSON.stringify(seat));
  } catch {
    // storage full or disabled: the match still plays, it just cannot be rejoined
  }
}

export function dropSeat(storage, gameName) {
  try {
    storage.removeItem(PREFIX + gameName);
  } catch {
    // nothing to drop
  }
}
