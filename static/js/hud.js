// The DOM around the canvases: which view shows, the scoreboard, the clock, the connection
// light. Text from players goes in with textContent only, never as markup.

import { CALLOUT_MS, calloutText } from './callouts.js';

const VIEWS = ['home', 'waiting', 'message', 'match', 'watch', 'end'];

export function showView(doc, name) {
  for (const view of VIEWS) doc.getElementById(`view-${view}`).hidden = view !== name;
  doc.body.dataset.view = name;
}

/**
 * The message view: a title, a sentence, buttons ({label, intent} call onIntent(button);
 * {label, href} are links) and (unless waiting on something) a way home.
 */
export function showMessage(doc, title, text, withHome = true, buttons = [], onIntent = null) {
  doc.getElementById('message-title').textContent = title;
  doc.getElementById('message-text').textContent = text;
  doc.getElementById('message-home').hidden = !withHome;
  doc.getElementById('message-actions').replaceChildren(...buttons.map((button) => {
    const element = doc.createElement(button.href ? 'a' : 'button');
    element.textContent = button.label;
    element.className = 'button primary';
    if (button.href) element.href = button.href;
    else {
      element.type = 'button';
      element.dataset.intent = button.intent;
      element.addEventListener('click', () => onIntent?.(button));
    }
    return element;
  }));
  showView(doc, 'message');
}

export const STAT_ROWS = [
  ['pps', 'Pieces per second', (v) => v.toFixed(2)],
  ['apm', 'Attack per minute', (v) => v.toFixed(2)],
  ['lines', 'Lines cleared', String],
  ['sent', 'Garbage sent', String],
  ['received', 'Garbage received', String],
  ['powers', 'Powers used', String],
  ['max_combo', 'Best combo', String],
];

// The statistics table (the server's books, the same on both pages): one row per figure.
function showStats(doc, names, stats) {
  const table = doc.getElementById('end-stats');
  table.hidden = stats === null;
  if (stats === null) return;
  const head = doc.createElement('tr');
  head.append(doc.createElement('th'), ...names.map((name) => {
    const cell = doc.createElement('th');
    cell.textContent = name;
    return cell;
  }));
  const rows = STAT_ROWS.map(([key, words, format]) => {
    const row = doc.createElement('tr');
    row.dataset.stat = key;
    const label = doc.createElement('th');
    label.textContent = words;
    row.append(label, ...stats.map((entry) => {
      const cell = doc.createElement('td');
      cell.textContent = entry === null ? '—' : format(entry[key]);
      return cell;
    }));
    return row;
  });
  table.replaceChildren(head, ...rows);
}

/**
 * The end view from messages.endSummary: who won, why, both scores, the statistics and the final
 * fields (drawn by `drawField(canvas, rows, name)`); `rematch`: this player may ask for one.
 */
export function showEnd(doc, summary, { rematch = false, drawField = null } = {}) {
  const title = doc.getElementById('end-title');
  title.textContent = summary.title;
  title.dataset.outcome = summary.outcome;
  doc.getElementById('end-reason').textContent = summary.reason;
  summary.scores.forEach((entry, k) => {
    const row = doc.getElementById(k === 0 ? 'end-me' : 'end-them');
    row.cells[0].textContent = entry.name;
    row.cells[1].textContent = entry.score.toLocaleString('en-US');
  });
  const names = summary.scores.map((entry) => entry.name);
  showStats(doc, names, summary.stats ?? null);
  const fields = doc.getElementById('end-fields');
  fields.hidden = !summary.fields || drawField === null;
  showView(doc, 'end');
  if (!fields.hidden) {
    doc.querySelectorAll('#end-fields canvas').forEach((canvas, k) => {
      if (summary.fields[k]) drawField(canvas, summary.fields[k], names[k]);
    });
  }
  doc.getElementById('rematch-button').hidden = !rematch;
  showRematch(doc, { text: '', offer: false, canAsk: rematch });
}

/** The end screen's rematch line: what is happening, Accept/Decline, or the Rematch button. */
export function showRematch(doc, { text, offer, canAsk }) {
  doc.getElementById('rematch-status').textContent = text;
  doc.getElementById('rematch-offer').hidden = !offer;
  doc.getElementById('rematch-button').hidden = !canAsk;
}

/** The 3-2-1-GO over the field: `count` seconds to go (0: GO, shown `sinceGo` ms, then off). */
export function showCountdown(doc, count, sinceGo = 0) {
  const element = doc.getElementById('countdown');
  const text = count > 0 ? String(count) : sinceGo < 700 ? 'GO' : '';
  if (element.textContent !== text) element.textContent = text;
  element.hidden = text === '';
}

/** The callout under the field: the newest one, fading out over CALLOUT_MS. */
export function showCallout(doc, callout, now) {
  const element = doc.getElementById('callout');
  const age = callout === null ? Infinity : now - callout.at;
  if (age >= CALLOUT_MS) {
    element.hidden = true;
    return;
  }
  const text = calloutText(callout);
  if (element.textContent !== text) element.textContent = text;
  element.style.opacity = String(Math.min(1, 2 * (1 - age / CALLOUT_MS)).toFixed(2));
  element.hidden = false;
}

/** m:ss of a millisecond count, rounded up so 0:00 shows only when time is really up. */
export function formatClock(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

export class Hud {
  constructor(doc) {
    const $ = (id) => doc.getElementById(id);
    this.el = {
      conn: $('conn'), connText: $('conn-text'), clock: $('clock'),
      meName: $('me-name'), meScore: $('me-score'), meLines: $('me-lines'),
      themName: $('them-name'), themScore: $('them-score'), themLines: $('them-lines'),
      watchers: $('watchers'), opponentLabel: $('opponent-label'),
    };
    this.shown = new Map(); // element → text last written, so a frame writes only changes
  }

  #text(element, text) {
    const value = String(text);
    if (this.shown.get(element) === value) return;
    this.shown.set(element, value);
    element.textContent = value;
  }

  /** The connection light and its words: a status from net.js LinkMonitor.status. */
  connection(status) {
    if (this.el.conn.dataset.state !== status.state) this.el.conn.dataset.state = status.state;
    this.#text(this.el.connText, status.text);
  }

  /** Scoreboard from a Match (see match.js); called once per animation frame. */
  match(match, now) {
    const board = match.prediction.board;
    this.#text(this.el.meName, match.self);
    this.#text(this.el.themName, match.away ? `${match.opponent} (away)` : match.opponent);
    this.#text(this.el.opponentLabel, match.opponent);
    this.#text(this.el.watchers, match.watchers > 0 ? `${match.watchers} watching` : '');
    this.#text(this.el.meScore, board.score.toLocaleString('en-US'));
    this.#text(this.el.themScore, match.opponentScore.toLocaleString('en-US'));
    this.#text(this.el.meLines, board.lines);
    this.#text(this.el.themLines, match.opponentLines);
    const left = match.timeLeftAt(now);
    this.#text(this.el.clock, formatClock(left));
    this.el.clock.classList.toggle('hurry', left <= 10000);
  }
}
