// The DOM around the canvases: which view shows, the scoreboard, the clock, the connection
// light. Text from players goes in with textContent only, never as markup.

const VIEWS = ['home', 'waiting', 'message', 'match', 'end'];

export function showView(doc, name) {
  for (const view of VIEWS) doc.getElementById(`view-${view}`).hidden = view !== name;
  doc.body.dataset.view = name;
}

/** The message view: a title, a sentence and (unless waiting on something) a way home. */
export function showMessage(doc, title, text, withHome = true) {
  doc.getElementById('message-title').textContent = title;
  doc.getElementById('message-text').textContent = text;
  doc.getElementById('message-home').hidden = !withHome;
  showView(doc, 'message');
}

/** The end view from messages.endSummary: who won, why, both scores. */
export function showEnd(doc, summary) {
  const title = doc.getElementById('end-title');
  title.textContent = summary.title;
  title.dataset.outcome = summary.outcome;
  doc.getElementById('end-reason').textContent = summary.reason;
  summary.scores.forEach((entry, k) => {
    const row = doc.getElementById(k === 0 ? 'end-me' : 'end-them');
    row.cells[0].textContent = entry.name;
    row.cells[1].textContent = entry.score.toLocaleString('en-US');
  });
  showView(doc, 'end');
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
    this.#text(this.el.meScore, board.score.toLocaleString('en-US'));
    this.#text(this.el.themScore, match.opponentScore.toLocaleString('en-US'));
    this.#text(this.el.meLines, board.lines);
    this.#text(this.el.themLines, match.opponentLines);
    const left = match.timeLeftAt(now);
    this.#text(this.el.clock, formatClock(left));
    this.el.clock.classList.toggle('hurry', left <= 10000);
  }
}
