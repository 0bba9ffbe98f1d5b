// What each power is called, what it does and its icon: one table for the inventory, the legend
// and the battle log (rules.md "Powers" and "Effect kinds"). Pure data and builders; the DOM
// code builds icons with createElementNS, never from markup.
import { POWERS } from './rules/effects.js';

// target: whose field the power changes (rules.md "Using").
// icon: stroke paths on a 24×24 grid, drawn in the power's colour (style.css, [data-power]).
export const POWER_INFO = Object.freeze({
  add_line: {
    label: 'Add Line',
    target: 'opponent',
    what: 'Pushes a garbage line in at the bottom of your opponent’s field.',
    icon: ['M3 20h7M14 20h7', 'M12 15V4', 'M8 8l4-4 4 4'],
  },
  clear_line: {
    label: 'Clear Line',
    target: 'self',
    what: 'Removes your bottom line; everything above falls one row.',
    icon: ['M3 20h18', 'M9 6l6 6M15 6l-6 6'],
  },
  quake: {
    label: 'Quake',
    target: 'opponent',
    what: 'Shifts your opponent’s rows sideways, each by up to 3 cells.',
    icon: ['M2 12h3l2.5-6 3 12 3-12 3 12 2.5-6h3'],
  },
  gravity: {
    label: 'Gravity',
    target: 'self',
    what: 'Your blocks fall down to fill the holes below them.',
    icon: ['M12 3v11', 'M7 9l5 5 5-5', 'M4 20h16'],
  },
  switch: {
    label: 'Switch',
    target: 'both',
    what: 'Swaps fields with your opponent; each field arrives moved down 6 rows.',
    icon: ['M4 8h14', 'M14 4l4 4-4 4', 'M20 16H6', 'M10 12l-4 4 4 4'],
  },
  nuke: {
    label: 'Nuke',
    target: 'self',
    what: 'Clears your whole field.',
    icon: ['M12 2.5v4M12 17.5v4M2.5 12h4M17.5 12h4', 'M5.3 5.3l2.8 2.8M15.9 15.9l2.8 2.8',
      'M5.3 18.7l2.8-2.8M15.9 8.1l2.8-2.8', 'M12 9.5a2.5 2.5 0 1 0 0 5a2.5 2.5 0 1 0 0-5'],
  },
});

/** The power's name as players read it ("Add Line"); an unknown name is shown as it came. */
export function powerLabel(power) {
  return POWER_INFO[power]?.label ?? String(power);
}

/** The legend's rows, in the rules' order: [{power, label, what}]. */
export function legendRows() {
  return POWERS.map((power) => ({ power, label: POWER_INFO[power].label,
    what: POWER_INFO[power].what }));
}

const SVG = 'http://www.w3.org/2000/svg';

/** An <svg> icon of `power` for `doc`, decorative (the button or row names the power). */
export function powerIcon(doc, power) {
  const svg = doc.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'power-icon');
  for (const d of POWER_INFO[power]?.icon ?? []) {
    const path = doc.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}
