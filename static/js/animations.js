// Short animations of the player's field when an effect lands (rules.md "Effect kinds"): a shake
// for quake, the stack rising for garbage and add_line, a flash for nuke, a quick squeeze for
// switch, a settle for gravity, a wipe (and the stack falling a row) for clear_line. Pure: the
// caller passes `now` in ms and render.js draws the numbers frame() returns. The field itself is
// always the real one; an animation only offsets how it is drawn, so it never blocks input.

export const DURATION_MS = Object.freeze({
  quake: 450, garbage: 240, add_line: 240, nuke: 420, switch: 360, gravity: 360, clear_line: 300,
});
const MAX_RUNNING = 8; // a burst of effects keeps the newest few

const easeOut = (p) => 1 - (1 - p) ** 3;

/** What to draw: all zero (and wipe null) when nothing runs. Distances are in cells. */
export function stillFrame() {
  return { shake: 0, rise: 0, flash: 0, squeeze: 1, wipe: null };
}

const CONTRIBUTE = {
  // the whole field jitters sideways, dying away
  quake: (f, p) => { f.shake += Math.sin(p * Math.PI * 10) * 0.35 * (1 - p); },
  // the stack is drawn `lines` rows low and rises into place (the new rows come from below)
  garbage: (f, p, e) => { f.rise += Math.min(e.lines ?? 0, 20) * (1 - easeOut(p)); },
  add_line: (f, p) => { f.rise += 1 - easeOut(p); },
  nuke: (f, p) => { f.flash = Math.max(f.flash, 1 - p); },
  // the field narrows to a sliver and opens again: one field out, the other in
  switch: (f, p) => {
    f.squeeze = Math.min(f.squeeze, Math.max(0.06, Math.abs(Math.cos(p * Math.PI))));
  },
  // blocks overshoot their landing a little and settle
  gravity: (f, p) => { f.rise += 0.3 * Math.sin(p * Math.PI * 2) * (1 - p); },
  // a bright bar sweeps the bottom row away and the stack falls one row
  clear_line: (f, p) => {
    f.wipe = p;
    f.rise -= 1 - easeOut(p);
  },
};

export class FieldAnimations {
  #running = []; // {kind, lines, start}

  /** Start the animation of an applied effect ({kind, lines?}). Unknown kinds are ignored. */
  add(effect, now) {
    if (!(effect?.kind in CONTRIBUTE)) return;
    this.#running.push({ kind: effect.kind, lines: effect.lines, start: now });
    if (this.#running.length > MAX_RUNNING) this.#running.shift();
  }

  get active() {
    return this.#running.length > 0;
  }

  /** The combined frame at `now`; finished animations are dropped. */
  frame(now) {
    const frame = stillFrame();
    this.#running = this.#running.filter((a) => now - a.start < DURATION_MS[a.kind]);
    for (const a of this.#running) {
      const p = Math.min(1, Math.max(0, (now - a.start) / DURATION_MS[a.kind]));
      CONTRIBUTE[a.kind](frame, p, a);
    }
    return frame;
  }
}
