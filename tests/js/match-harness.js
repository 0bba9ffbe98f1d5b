// A Match (static/js/match.js) wired to recording fakes, shared by the unit tests.
import { Match } from '../../static/js/match.js';

/** The match of `gameStart`, with its sent frames, strictly increasing stamps and warnings. */
export function newMatch(gameStart, { warn } = {}) {
  const sent = [];
  const warnings = [];
  let stamp = 5000;
  const match = new Match(gameStart, {
    settings: { das: 100, arr: 0, sdr: 0 },
    send: (msg) => { sent.push(msg); return true; },
    stamp: () => { stamp += 1; return stamp; },
    now: 0,
    warn: warn ?? ((text) => warnings.push(text)),
  });
  return { match, sent, warnings };
}
