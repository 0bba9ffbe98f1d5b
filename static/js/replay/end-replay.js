// The end screen's replay: "Watch replay" (the replay page for this match) and, once the replay
// is fetched from the bridge, its save to this browser's history. A failure says so under the
// button; the game page goes on as before.
import { parseReplay } from './format.js';
import { entryFor } from './history.js';
import { fetchReplay, replayPageUrl } from './source.js';

const TRIES = 4; // the server may still be closing the match when game_end arrives
const RETRY_MS = 750;
const RETRY_STATUS = new Set([404, 502, 504]);

/**
 * Fetch match `gameName`'s replay and save it to `history` (history.js), `self` the player of
 * this page (null for a spectator). Resolves to the words for the status line: {text, ok}.
 */
export async function saveMatchReplay({ fetchFn, history, basePath, gameName, self,
  wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms)) }) {
  let text = null;
  for (let attempt = 1; text === null; attempt += 1) {
    try {
      text = await fetchReplay(fetchFn, basePath, gameName);
    } catch (error) {
      if (attempt >= TRIES || !RETRY_STATUS.has(error.status)) {
        return { ok: false, text: `Not saved to your history: ${error.message}` };
      }
      await wait(RETRY_MS * attempt);
    }
  }
  let doc;
  try {
    doc = parseReplay(text);
  } catch (error) {
    return { ok: false, text: `Not saved to your history: the server's replay is unreadable `
      + `(${error.message}).` };
  }
  try {
    await history.save(entryFor(doc, text, { self }));
  } catch (error) {
    return { ok: false, text: `Not saved to your history: ${error.message}` };
  }
  return { ok: true, text: 'Saved to your history.' };
}

/** The end screen's replay button and status line for the match `summary` (messages.js). */
export function offerReplay(doc, { basePath, summary, history, fetchFn }) {
  const link = doc.getElementById('end-replay-link');
  const status = doc.getElementById('end-replay-status');
  if (link === null || status === null) return Promise.resolve(null);
  const { gameName } = summary;
  link.hidden = gameName === null;
  status.textContent = '';
  if (gameName === null) return Promise.resolve(null);
  link.href = replayPageUrl(basePath, gameName);
  status.classList.remove('error');
  status.textContent = 'Saving the replay to your history…';
  const self = summary.outcome === 'watched' ? null : summary.scores[0].name;
  return saveMatchReplay({ fetchFn, history, basePath, gameName, self }).then((said) => {
    status.textContent = said.text;
    status.classList.toggle('error', !said.ok);
    status.dataset.saved = String(said.ok);
    return said;
  });
}
