// A fixed-step clock on requestAnimationFrame (as super-mario's Timer.js): the game advances in
// equal steps whatever the frame rate, and a stalled tab catches up at most MAX_CATCH_UP_MS.

export const STEP_MS = 1000 / 120;
const MAX_CATCH_UP_MS = 250;

export class Timer {
  /** update(stepMs) runs once per step; draw() once per animation frame. */
  constructor({ update, draw }, { raf = (fn) => globalThis.requestAnimationFrame(fn) } = {}) {
    this.update = update;
    this.draw = draw;
    this.raf = raf;
    this.accumulated = 0;
    this.last = null;
    this.running = false;
    this.loop = 0; // which start() the pending frame belongs to
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.last = null;
    this.accumulated = 0; // time left over from an earlier match is not this one's
    // A frame of the previous loop may still be queued (stop() then start() before it ran, or a
    // hidden tab where frames wait): it must end, not run beside this loop at double speed.
    this.loop += 1;
    const loop = this.loop;
    this.raf((now) => this.#frame(now, loop));
  }

  stop() {
    this.running = false;
  }

  /** Advance by `elapsed` ms of real time; returns the number of steps run. */
  advance(elapsed) {
    this.accumulated = Math.min(this.accumulated + Math.max(0, elapsed), MAX_CATCH_UP_MS);
    let steps = 0;
    while (this.accumulated >= STEP_MS) {
      this.accumulated -= STEP_MS;
      this.update(STEP_MS);
      steps += 1;
    }
    return steps;
  }

  #frame(now, loop) {
    if (!this.running || loop !== this.loop) return;
    if (this.last !== null) this.advance(now - this.last);
    this.last = now;
    this.draw();
    this.raf((next) => this.#frame(next, loop));
  }
}
