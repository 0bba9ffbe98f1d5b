// The battle around the canvases: the power inventory (icons with their keys; a tap or click
// uses one), the battle log, toasts, the powers legend, the "opponent connection lost" note and
// the link banner. Names and words go in with textContent only.
import { SILENT_MS } from './net.js';
import { POWER_INFO, legendRows, powerIcon } from './powers.js';
import { MAX_POWERS } from './rules/effects.js';
import { keyLabel } from './settings.js';

const LOG_LINES = 3;
const TOAST_MS = 2200;

/** The legend into a <dl>-like list `list` (an <ul>): icon, name, what it does. */
export function renderLegend(doc, list) {
  list.replaceChildren(...legendRows().map(({ power, label, what }) => {
    const item = doc.createElement('li');
    item.dataset.power = power;
    const name = doc.createElement('b');
    name.textContent = label;
    const text = doc.createElement('span');
    text.textContent = what;
    item.append(powerIcon(doc, power), name, text);
    return item;
  }));
}

export class BattleView {
  /** onUse(slot) is called when the player taps or clicks an inventory icon. */
  constructor(doc, { onUse }) {
    const $ = (id) => doc.getElementById(id);
    this.doc = doc;
    this.el = {
      powers: $('powers'), log: $('battle-log'), toast: $('toast'), away: $('opponent-away'),
      banner: $('link-banner'),
    };
    this.shownPowers = null; // the key of what the inventory shows, so frames redraw only changes
    this.toastTimer = null;
    this.el.powers.addEventListener('click', (event) => {
      const button = event.target.closest?.('button[data-slot]');
      if (!button) return;
      button.blur(); // Space must stay the hard drop, not press this button again
      onUse(Number(button.dataset.slot));
    });
    renderLegend(doc, $('legend-match'));
    // a clicked summary keeps the focus, and Space (hard drop) would fold the legend again
    const legend = $('legend-match').closest('details');
    legend?.addEventListener('toggle', () => legend.querySelector('summary')?.blur());
  }

  /** Start of a match: an empty log, no toast. */
  reset() {
    this.el.log.replaceChildren();
    this.#hideToast();
    this.shownPowers = null;
  }

  /** The inventory as icons, oldest first, each with the first key bound to its slot. */
  powers(list, bindings) {
    const keys = Array.from({ length: MAX_POWERS },
      (_, k) => bindings[`power${k + 1}`]?.[0] ?? null);
    const key = JSON.stringify([list, keys]);
    if (key === this.shownPowers) return;
    this.shownPowers = key;
    const items = [];
    for (let slot = 0; slot < MAX_POWERS; slot += 1) {
      items.push(this.#slot(slot, list[slot], keys[slot]));
    }
    this.el.powers.replaceChildren(...items);
  }

  #slot(slot, power, code) {
    const item = this.doc.createElement('li');
    const keyText = code === null ? '' : keyLabel(code);
    const badge = this.doc.createElement('span');
    badge.className = 'key';
    badge.textContent = keyText;
    if (power === undefined) {
      item.className = 'slot empty';
      item.append(badge);
      return item;
    }
    const label = POWER_INFO[power]?.label ?? power;
    const button = this.doc.createElement('button');
    Object.assign(button, { type: 'button', className: 'power', title: `${label} (${keyText})` });
    button.dataset.slot = String(slot);
    button.dataset.power = power;
    button.setAttribute('aria-label', keyText ? `Use ${label} (key ${keyText})` : `Use ${label}`);
    button.append(powerIcon(this.doc, power), badge);
    item.className = 'slot';
    item.append(button);
    return item;
  }

  /** Events from match.takeEvents(): log lines (newest first) and toasts. */
  show(events) {
    for (const event of events) {
      if (event.type === 'say') this.#say(event.text, event.tone);
      else if (event.type === 'toast') this.toast(event.text);
    }
  }

  #say(text, tone) {
    const line = this.doc.createElement('li');
    line.textContent = text;
    line.dataset.tone = tone;
    this.el.log.prepend(line);
    while (this.el.log.children.length > LOG_LINES) this.el.log.lastElementChild.remove();
  }

  toast(text) {
    const { toast } = this.el;
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => this.#hideToast(), TOAST_MS);
  }

  #hideToast() {
    clearTimeout(this.toastTimer);
    this.el.toast.hidden = true;
  }

  /**
   * The note over the opponent's field while their seat is quiet: the seconds left before they
   * lose (`leftMs`, null when the server does not say).
   */
  away(isAway, leftMs = null, name = 'opponent') {
    const text = leftMs === null ? `${name}: connection lost — waiting…`
      : `${name} is away — loses in ${Math.ceil(leftMs / 1000)} s`;
    if (isAway && this.el.away.textContent !== text) this.el.away.textContent = text;
    if (this.el.away.hidden === !isAway) return;
    this.el.away.hidden = !isAway;
  }

  /** The banner over the field when the link is down or silent (status: LinkMonitor.status). */
  link(status) {
    const { banner } = this.el;
    let text = '';
    if (status.state === 'reconnecting') text = 'Connection lost — reconnecting…';
    else if (status.silentMs >= SILENT_MS) {
      text = `No reply for ${Math.floor(status.silentMs / 1000)} s — retrying…`;
    }
    if (banner.textContent !== text) banner.textContent = text;
    banner.hidden = text === '';
  }
}
