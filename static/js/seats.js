// What a tab remembers about its matches, in sessionStorage by game_name:
// - its seat of a running match {self, token, total}, so a reloaded tab can rejoin with
//   `connect {self, game_name, token}` (docs/protocol.md, connect: token);
// - the match it opened and waits in {self, opponent, token}: a reloaded tab comes back to it
//   with `connect {self, game_name, token}` (the bridge's `leave` for the closed WebSocket does
//   not cancel a waiting match), and opens a fresh one if that match is gone.
// Storage that is full, disabled or damaged reads as "nothing remembered", never an error.

import { KEY_PATTERN } from './messages.js';
import { readJson, removeKey, writeJson } from './stored.js';

const SEAT = 'blockattack.seat.';
const WAITING = 'blockattack.waiting.';
const KEY = 'blockattack.key';
const VALID_KEY = new RegExp(`^${KEY_PATTERN}$`);

/** {self, token, total} for `gameName`, or null when this tab holds no (valid) seat there. */
export function loadSeat(storage, gameName) {
  const seat = gameName ? readJson(storage, SEAT + gameName) : null;
  return typeof seat?.self === 'string' && typeof seat?.token === 'string' ? seat : null;
}

export const saveSeat = (storage, gameName, seat) => writeJson(storage, SEAT + gameName, seat);
export const dropSeat = (storage, gameName) => removeKey(storage, SEAT + gameName);

/** {self, opponent, token} of the match this tab was waiting in as `gameName`, or null. */
export function loadWaiting(storage, gameName) {
  const entry = gameName ? readJson(storage, WAITING + gameName) : null;
  if (typeof entry?.self !== 'string') return null;
  const text = (value) => (typeof value === 'string' ? value : null);
  return {
    self: entry.self, opponent: text(entry.opponent), token: text(entry.token),
    queue: text(entry.queue), // 'quick': the quick-match queue
  };
}

export const saveWaiting = (storage, gameName, entry) => (
  writeJson(storage, WAITING + gameName, entry));
export const dropWaiting = (storage, gameName) => removeKey(storage, WAITING + gameName);

/**
 * The tab's own secret, sent as `key` with every connect: the server gives a seat's token only to
 * the tab that took the seat (a new socket on its old port gets none). 128 bits from `random`
 * (crypto), kept beside the tokens so a reloaded tab sends the same one; made afresh if missing.
 */
export function tabKey(storage, random) {
  const kept = readJson(storage, KEY);
  if (typeof kept === 'string' && VALID_KEY.test(kept)) return kept;
  const bytes = random.getRandomValues(new Uint8Array(16));
  const key = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  writeJson(storage, KEY, key);
  return key;
}
