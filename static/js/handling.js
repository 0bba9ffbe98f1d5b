// Turning held actions into piece commands over time: DAS (delay before a held direction
// repeats), ARR (the repeat interval, 0 = straight to the wall) and soft-drop speed.
// Pure: the caller feeds press/release and elapsed milliseconds, and gets commands back.
//
// Commands: {kind: 'shift', dx, steps}, {kind: 'soft', steps}, {kind: 'rotate', dir},
// {kind: 'hardDrop'}, {kind: 'hold'}; `steps` may be Infinity (as far as the piece goes).

const ONE_SHOT = {
  rotateCw: { kind: 'rotate', dir: 1 },
  rotateCcw: { kind: 'rotate', dir: -1 },
  rotate180: { kind: 'rotate', dir: 2 },
  hardDrop: { kind: 'hardDrop' },
  hold: { kind: 'hold' },
};
const DIRECTIONS = { left: -1, right: 1 };

// How many repeats a held key has earned after `t` ms: the first at `delay`, then every `every`.
function repeats(t, delay, every) {
  if (t < delay) return 0;
  return every === 0 ? Infinity : Math.floor((t - delay) / every) + 1;
}

export class Handling {
  constructor({ das, arr, sdr }) {
    this.configure({ das, arr, sdr });
    this.queue = [];
    this.held = []; // directions held, newest last: the newest one moves the piece
    this.charge = 0; // ms the current direction has been held
    this.softHeld = false;
    this.softTime = 0;
  }

  configure({ das, arr, sdr }) {
    this.das = das;
    this.arr = arr;
    this.sdr = sdr;
  }

  press(action) {
    if (action in ONE_SHOT) {
      this.queue.push(ONE_SHOT[action]);
    } else if (action in DIRECTIONS && !this.held.includes(action)) {
      this.held.push(action);
      this.charge = 0;
      this.queue.push({ kind: 'shift', dx: DIRECTIONS[action], steps: 1 });
    } else if (action === 'softDrop' && !this.softHeld) {
      this.softHeld = true;
      this.softTime = 0;
      this.queue.push({ kind: 'soft', steps: this.sdr === 0 ? Infinity : 1 });
    }
  }

  release(action) {
    if (action in DIRECTIONS && this.held.includes(action)) {
      const wasActive = this.held.at(-1) === action;
      this.held = this.held.filter((held) => held !== action);
      if (wasActive) this.charge = 0; // the older direction charges its DAS anew
    } else if (action === 'softDrop') {
      this.softHeld = false;
    }
  }

  releaseAll() {
    this.held = [];
    this.softHeld = false;
    this.charge = 0;
  }

  /** Advance by `dt` ms; returns the commands due, oldest first. */
  step(dt) {
    const commands = this.queue;
    this.queue = [];
    const active = this.held.at(-1);
    if (active !== undefined) {
      const before = repeats(this.charge, this.das, this.arr);
      this.charge += dt;
      const due = repeats(this.charge, this.das, this.arr);
      const steps = due === Infinity ? Infinity : due - before;
      if (steps > 0) commands.push({ kind: 'shift', dx: DIRECTIONS[active], steps });
    }
    if (this.softHeld) {
      const before = repeats(this.softTime, this.sdr, this.sdr);
      this.softTime += dt;
      const due = repeats(this.softTime, this.sdr, this.sdr);
      const steps = due === Infinity ? Infinity : due - before;
      if (steps > 0) commands.push({ kind: 'soft', steps });
    }
    return commands;
  }
}
