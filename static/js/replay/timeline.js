// Where a replay is being watched: the clock (ms since the first piece fell), how many events
// stand applied, play/pause, the speed, a seek, a step by piece. Pure: time comes in as arguments.
//
// A position is {t, count}: `count` events are applied (rebuild.js states[count] is shown) at
// clock `t`. While playing, count follows the clock: every event with time <= t. A step sets
// count exactly, because events of one moment (both players' locks, the garbage a lock sends)
// share a time, and a step must take one piece at a time.
import { LOCK } from './format.js';

export const SPEEDS = Object.freeze([0.5, 1, 2, 4]);

/** How many of `times` (ascending) are <= t: the events applied at clock t. */
export function countAt(times, t) {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Timeline {
  #times;
  #kinds;
  #position = { t: 0, count: 0 };

  /** `events` as the replay holds them (up to where the rebuild stopped); `duration` in ms. */
  constructor(events, duration) {
    this.#times = events.map((event) => event[0]);
    this.#kinds = events.map((event) => event[1]);
    this.duration = Math.max(duration, this.#times.at(-1) ?? 0);
    this.speed = 1;
    this.playing = false;
  }

  get t() {
    return this.#position.t;
  }

  get count() {
    return this.#position.count;
  }

  get atEnd() {
    return this.#position.t >= this.duration && this.#position.count === this.#times.length;
  }

  #at(t, count = countAt(this.#times, t)) {
    this.#position = { t: Math.min(Math.max(0, t), this.duration), count };
  }

  /** Go to clock `t` (the slider): every event up to it applied. */
  seek(t) {
    if (!Number.isFinite(t)) throw new RangeError(`seek: expected a time in ms, got ${t}`);
    this.#at(t);
  }

  /** Play (from the start again when at the end) or pause. */
  toggle() {
    if (!this.playing && this.atEnd) this.#at(0);
    this.playing = !this.playing;
  }

  setSpeed(speed) {
    if (!SPEEDS.includes(speed)) throw new RangeError(`speed: one of ${SPEEDS.join(', ')}`);
    this.speed = speed;
  }

  /** `dt` ms of the watcher's time passed: the clock moves by dt × speed while playing. */
  advance(dt) {
    if (!this.playing || !(dt > 0)) return;
    const t = this.#position.t + dt * this.speed;
    // a step may have applied events ahead of the clock: never take them back by playing
    this.#at(t, Math.max(this.#position.count, countAt(this.#times, t)));
    if (this.#position.t >= this.duration) this.playing = false;
  }

  /** The next lock (either player's) applied, with everything before it; false at the end. */
  stepForward() {
    const k = this.#kinds.indexOf(LOCK, this.#position.count);
    if (k < 0) {
      this.#at(this.duration, this.#times.length);
      return false;
    }
    this.#at(this.#times[k], k + 1);
    return true;
  }

  /** The newest applied lock taken back (the state just before it); false at the start. */
  stepBack() {
    const k = this.#position.count === 0 ? -1
      : this.#kinds.lastIndexOf(LOCK, this.#position.count - 1);
    if (k < 0) {
      this.#at(0, 0);
      return false;
    }
    this.#at(k > 0 ? this.#times[k - 1] : 0, k);
    return true;
  }
}
