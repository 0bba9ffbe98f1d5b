// The replay player's DOM: both fields as they stand at the timeline's position (rebuild.js
// states), names, scores, lines, garbage coming, the clock, the callouts and battle log in time,
// the controls' state, the verdict of the cross-check and, at the end, the result and statistics.
// Reads the rebuild and the timeline; changes neither. Words go in with textContent only.
import { CALLOUT_MS, calloutText } from '../callouts.js';
import { STAT_ROWS, formatClock } from '../hud.js';
import { endSummary } from '../messages.js';
import { POWER_INFO } from '../powers.js';
import { PREVIEW_COUNT, drawPlayer } from '../render.js';
import { pieceState } from '../rules/pieces.js';
import { logText } from '../watch-view.js';
import { LOCK } from './format.js';
import { sideStats } from './rebuild.js';

const LOG_LINES = 6;
// Time played, as a video player counts it: whole seconds passed.
const elapsed = (ms) => formatClock(Math.floor(ms / 1000) * 1000);
const SIDES = ['a', 'b'];

/** The verdict of the cross-check in plain words: {ok, text}. */
export function verdictText(rebuild) {
  const { mismatches, stoppedAt, locks } = rebuild;
  if (mismatches.length === 0) {
    return { ok: true, text: `Verified: the JavaScript rules rebuild all ${locks} locks, and the `
      + 'final fields, scores and winner, exactly as this file records them.' };
  }
  const [first] = mismatches;
  const more = mismatches.length > 1 ? ` (and ${mismatches.length - 1} more)` : '';
  const stop = stoppedAt === null ? '' : ' The replay stops there.';
  return { ok: false, text: `This replay does not match the JavaScript rules: ${first.where}: `
    + `${first.what}${more}.${stop}` };
}

/**
 * The battle log line of note `note` (rebuild.js): {text, by} (`by` the player who acted), or
 * null when it says nothing.
 */
export function noteText(note, names) {
  if (note.type === 'power') {
    const from = names[note.p];
    const to = POWER_INFO[note.power]?.target === 'self' ? from : names[1 - note.p];
    return { text: logText({ from, to, power: note.power }), by: note.p };
  }
  if (note.type === 'effect' && note.effect.kind === 'garbage' && note.effect.lines > 0) {
    const { from, lines } = note.effect;
    return { text: logText({ from, to: names[note.p], power: null, garbage: lines }),
      by: 1 - note.p };
  }
  return null;
}

/** The game_end a rebuilt replay amounts to, for messages.js endSummary (as a spectator). */
export function endMessage(rebuild) {
  const { doc, final } = rebuild;
  const { result, players } = doc;
  const loser = final.find((side) => side.topOut !== null);
  return {
    command: 'game_end',
    game_name: doc.game_name,
    winner: result.winner,
    reason: result.reason,
    top_out: loser?.topOut ?? null,
    score: Object.fromEntries(players.map((name, p) => [name, final[p].board.score])),
    stats: Object.fromEntries(players.map((name, p) => [name, sideStats(final[p], result.t)])),
  };
}

// For each position c and player p: the index of p's next lock event at or after c (or -1).
function nextLocks(events) {
  const next = [new Int32Array(events.length + 1), new Int32Array(events.length + 1)];
  next[0][events.length] = -1;
  next[1][events.length] = -1;
  for (let k = events.length - 1; k >= 0; k -= 1) {
    for (const p of [0, 1]) {
      next[p][k] = events[k][1] === LOCK && events[k][2] === p ? k : next[p][k + 1];
    }
  }
  return next;
}

export class ReplayView {
  constructor(doc) {
    this.doc = doc;
    this.rebuild = null;
    this.shown = new Map(); // element → text last written
  }

  #el(id) {
    return this.doc.getElementById(id);
  }

  #text(id, text) {
    const element = this.#el(id);
    if (this.shown.get(element) === text) return;
    this.shown.set(element, text);
    element.textContent = text;
  }

  /** A new replay: its names, the verdict, the slider's range; the end panel's figures. */
  load(rebuild, timeline) {
    this.rebuild = rebuild;
    this.events = rebuild.doc.events.slice(0, rebuild.states.length - 1);
    this.next = nextLocks(this.events);
    this.shown.clear();
    this.logKey = null;
    const verdict = verdictText(rebuild);
    const element = this.#el('replay-verdict');
    element.textContent = verdict.text;
    element.dataset.ok = String(verdict.ok);
    element.setAttribute('role', verdict.ok ? 'status' : 'alert');
    const seek = this.#el('replay-seek');
    seek.max = String(timeline.duration);
    const summary = endSummary(endMessage(rebuild), null);
    this.#el('replay-result').textContent = `${summary.title} · ${summary.reason}`;
    this.#statsTable(summary);
  }

  #statsTable(summary) {
    const { doc } = this;
    const head = doc.createElement('tr');
    head.append(doc.createElement('th'), ...summary.scores.map(({ name, score }) => {
      const cell = doc.createElement('th');
      cell.textContent = `${name} ${score.toLocaleString('en-US')}`;
      return cell;
    }));
    const rows = STAT_ROWS.map(([key, words, format]) => {
      const row = doc.createElement('tr');
      row.dataset.stat = key;
      const label = doc.createElement('th');
      label.textContent = words;
      row.append(label, ...summary.stats.map((entry) => {
        const cell = doc.createElement('td');
        cell.textContent = format(entry[key]);
        return cell;
      }));
      return row;
    });
    this.#el('replay-stats').replaceChildren(head, ...rows);
  }

  /** The position of `timeline` drawn: fields, figures, callouts, log and controls. */
  draw(timeline) {
    const { rebuild } = this;
    if (rebuild === null) return;
    const state = rebuild.states[timeline.count];
    const settings = rebuild.doc.settings;
    state.sides.forEach((side, p) => this.#side(p, side, timeline));
    this.#text('replay-clock', formatClock(settings.match_ms - timeline.t));
    this.#text('replay-time', `${elapsed(timeline.t)} / ${elapsed(timeline.duration)}`);
    this.#el('replay-time').dataset.count = String(timeline.count); // events applied (tests)
    const seek = this.#el('replay-seek');
    if (this.doc.activeElement !== seek || !timeline.playing) seek.value = String(timeline.t);
    this.#text('replay-play', timeline.playing ? 'Pause' : timeline.atEnd ? 'Again' : 'Play');
    for (const button of this.doc.querySelectorAll('[data-speed]')) {
      const checked = String(Number(button.dataset.speed) === timeline.speed);
      if (button.getAttribute('aria-checked') !== checked) {
        button.setAttribute('aria-checked', checked);
      }
    }
    this.#log(timeline.count);
    this.#el('replay-end').hidden = !timeline.atEnd; // the statistics in place of the log
    this.#el('replay-log').hidden = timeline.atEnd;
  }

  #side(p, side, timeline) {
    const id = (what) => `replay-${SIDES[p]}-${what}`;
    const { board } = side;
    const garbage = board.incoming.reduce((n, e) => n + (e.kind === 'garbage' ? e.lines : 0), 0);
    const name = this.rebuild.names[p];
    this.#text(id('name'), side.topOut ? `${name} (topped out)` : name);
    this.#text(id('score'), board.score.toLocaleString('en-US'));
    this.#text(id('lines'), String(board.lines));
    this.#text(id('garbage'),
      garbage > 0 ? `${garbage} line${garbage === 1 ? '' : 's'} coming` : '');
    const { sequence } = this.rebuild;
    drawPlayer(this.#el(id('canvas')), {
      field: board.field, active: null, ghost: this.#ghost(p, board.field, timeline.count),
      hold: side.hold?.piece ?? null, canHold: true,
      next: sequence.slice(side.next, side.next + PREVIEW_COUNT), incoming: garbage,
    });
    this.#callout(p, id('callout'), timeline);
  }

  // Where the player's next piece goes: an outline, while it fits the field as it stands.
  #ghost(p, field, count) {
    const k = this.next[p][count];
    if (k < 0) return null;
    const [, , , , piece, r, x, y] = this.events[k];
    const state = pieceState(piece, r, x, y);
    return field.fits(state) ? state : null;
  }

  // The newest callout of player p's locks, for CALLOUT_MS of the match's time.
  #callout(p, id, timeline) {
    const { notes } = this.rebuild;
    let shown = null;
    for (let k = timeline.count - 1; k >= 0; k -= 1) {
      if (timeline.t - this.events[k][0] >= CALLOUT_MS) break;
      const note = notes[k];
      if (note.type === 'lock' && note.p === p && note.callout?.shown) {
        shown = note.callout;
        break;
      }
    }
    const element = this.#el(id);
    if (shown === null) {
      element.hidden = true;
      return;
    }
    this.#text(id, calloutText(shown));
    element.hidden = false;
  }

  #log(count) {
    if (this.logKey === count) return;
    this.logKey = count;
    const lines = [];
    for (let k = count - 1; k >= 0 && lines.length < LOG_LINES; k -= 1) {
      const line = noteText(this.rebuild.notes[k], this.rebuild.names);
      if (line !== null) lines.push(line);
    }
    this.#el('replay-log').replaceChildren(...lines.map(({ text, by }) => {
      const item = this.doc.createElement('li');
      item.textContent = text;
      item.dataset.tone = by === 0 ? 'sent' : 'hit'; // one colour per player
      return item;
    }));
  }
}
