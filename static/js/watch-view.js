// The spectator's view: both fields at full size with their held and coming pieces, the names,
// scores, lines, incoming garbage, the clock and the battle log, from `spectate` messages
// (docs/protocol.md). Read-only: nothing here sends. Names and words go in with textContent only.
import { formatClock } from './hud.js';
import { powerLabel } from './powers.js';
import { drawPlayer } from './render.js';
import { Field } from './rules/field.js';

const LOG_LINES = 6;
const lines = (n) => `${n} line${n === 1 ? '' : 's'}`;

/** A battle log entry of `spectate.log` in words. */
export function logText({ from, to, power, garbage }) {
  if (power !== null) {
    return power === 'switch' ? `${from} switched fields with ${to}`
      : from === to ? `${from} used ${powerLabel(power)}`
        : `${from} hit ${to} with ${powerLabel(power)}`;
  }
  return `${from} sent ${to} ${lines(garbage ?? 0)}`;
}

export class WatchView {
  constructor(doc) {
    this.doc = doc;
    this.last = null; // the newest spectate message
    this.at = 0; // when it came (the clock runs from there)
  }

  reset() {
    this.last = null;
    this.doc.getElementById('watch-log').replaceChildren();
  }

  /** A parsed spectate message, received at `now`. */
  update(msg, now) {
    this.last = msg;
    this.at = now;
    const log = this.doc.getElementById('watch-log');
    const items = msg.log.slice(-LOG_LINES).reverse().map((event) => {
      const item = this.doc.createElement('li');
      item.textContent = logText(event);
      return item;
    });
    log.replaceChildren(...items);
  }

  draw(now) {
    const msg = this.last;
    if (msg === null) return;
    const $ = (id) => this.doc.getElementById(id);
    msg.players.forEach((player, k) => {
      const side = k === 0 ? 'a' : 'b';
      const set = (id, text) => {
        const element = $(`watch-${side}-${id}`);
        if (element.textContent !== text) element.textContent = text;
      };
      set('name', player.away ? `${player.name} (away)` : player.name);
      set('score', player.score.toLocaleString('en-US'));
      set('lines', String(player.lines));
      set('garbage', player.garbage > 0 ? `${lines(player.garbage)} coming` : '');
      drawPlayer($(`watch-${side}-canvas`), {
        field: Field.fromRows(player.blocks, player.hidden), active: null, ghost: null,
        hold: player.hold, canHold: true, next: player.next, incoming: player.garbage,
      });
    });
    const countdown = Math.max(0, msg.countdown_ms - (now - this.at));
    const left = countdown > 0 ? msg.time_left
      : Math.max(0, msg.time_left - (now - this.at - msg.countdown_ms));
    const clock = $('watch-clock');
    const text = countdown > 0 ? `starts in ${Math.ceil(countdown / 1000)}` : formatClock(left);
    if (clock.textContent !== text) clock.textContent = text;
  }
}
