// Where a replay comes from: the bridge's `GET <base>replays/<game_name>.json` (docs/replays.md
// "Getting one"), the replay page's link (`<base>replay?game=<name>`, or `#game=<name>`), or a
// file. Errors are ReplaySourceErrors in words a player can act on.
import { gameNameFrom } from '../home.js';

export class ReplaySourceError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ReplaySourceError';
  }
}

export const replayUrl = (basePath, gameName) => (
  `${basePath}replays/${encodeURIComponent(gameName)}.json`);
export const replayPageUrl = (basePath, gameName) => (
  `${basePath}replay?game=${encodeURIComponent(gameName)}`);

/** The game a replay page's address names (`?game=NAME`, `#game=NAME` or `#NAME`), or null. */
export function gameFromLocation({ search = '', hash = '' }) {
  const query = new URLSearchParams(search).get('game');
  const fragment = hash.replace(/^#/, '');
  const named = new URLSearchParams(fragment).get('game')
    ?? (fragment.includes('=') ? null : fragment);
  for (const raw of [query, named]) {
    const name = raw ? gameNameFrom(decodeURIComponent(raw)) : null;
    if (name !== null) return name;
  }
  return null;
}

const STATUS_WORDS = {
  404: (game) => `The server has no replay of match ${game}: it is unknown, its replay has `
    + 'expired (they are kept for a while after the end), or it is still being played.',
  502: () => 'The bridge cannot reach the game server right now. Try again in a moment.',
  504: () => 'The game server did not send the replay in time. Try again in a moment.',
};

/** The replay text of `gameName` from the bridge (`fetchFn`: window.fetch). */
export async function fetchReplay(fetchFn, basePath, gameName) {
  let response;
  try {
    response = await fetchFn(replayUrl(basePath, gameName),
      { headers: { Accept: 'application/json' } });
  } catch (error) {
    throw new ReplaySourceError(`The replay could not be fetched: ${error.message}.`);
  }
  if (!response.ok) {
    const words = STATUS_WORDS[response.status]?.(gameName)
      ?? `The replay could not be fetched (HTTP ${response.status}).`;
    const error = new ReplaySourceError(words);
    error.status = response.status;
    throw error;
  }
  return response.text();
}

/** A File's text, or a ReplaySourceError naming it. */
export async function readFile(file, maxBytes) {
  if (file.size > maxBytes) {
    throw new ReplaySourceError(`${file.name} is too big for a replay (${file.size} bytes).`);
  }
  try {
    return await file.text();
  } catch (error) {
    throw new ReplaySourceError(`${file.name} could not be read: ${error.message}.`);
  }
}
