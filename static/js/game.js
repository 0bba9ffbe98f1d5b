// The local piece in hand: commands from handling.js, gravity, lock delay and locking into the
// prediction. Pure (no DOM, no clock): the caller passes elapsed milliseconds.
import { drop, lift, move, rotationKick } from './rules/movement.js';
import { TURNS } from './rules/pieces.js';

// A turn's direction as a lock's `last.rot` names it (rules/pieces.js TURNS).
const ROT_NAMES = Object.fromEntries(Object.entries(TURNS).map(([name, dir]) => [dir, name]));

export const LOCK_DELAY_MS = 500;
export const MAX_LOCK_RESETS = 15; // guideline "extended placement": 15 resets per row reached
const LEVEL_EVERY_MS = 30000; // gravity speeds up every 30 s of match time
const MAX_LEVEL = 15;

export function levelAt(elapsedMs) {
  return Math.min(MAX_LEVEL, 1 + Math.floor(Math.max(0, elapsedMs) / LEVEL_EVERY_MS));
}

/** Milliseconds per row at `level` (the guideline curve: (0.8 - (level-1)·0.007)^(level-1) s). */
export function gravityMs(level) {
  return 1000 * (0.8 - (level - 1) * 0.007) ** (level - 1);
}

export class LocalGame {
  /** onLock(result, lock) is called after each lock, with the engine's result. */
  constructor(prediction, { onLock }) {
    this.prediction = prediction;
    this.onLock = onLock;
    this.pieceIndex = null;
    this.fall = 0;
    this.over = false;
  }

  /** Apply `commands`, then `dt` ms of gravity and lock delay at match time `elapsedMs`. */
  update(dt, elapsedMs, commands) {
    if (this.over || !this.#ready()) return;
    for (const command of commands) {
      this.#run(command);
      if (this.over || !this.#ready()) return;
    }
    this.fall += dt;
    const interval = gravityMs(levelAt(elapsedMs));
    while (this.fall >= interval) {
      this.fall -= interval;
      if (!this.#down(1)) this.fall = 0;
    }
    if (this.#grounded()) {
      this.lockTimer += dt;
      if (this.lockTimer >= LOCK_DELAY_MS) this.#lock();
    }
  }

  // A piece in hand that fits; a new one (spawn, hold, server reconcile) starts its timers anew.
  #ready() {
    const active = this.prediction.active;
    if (!active) return false;
    if (active.i !== this.pieceIndex) {
      this.pieceIndex = active.i;
      this.lockTimer = 0;
      this.resets = 0;
      this.lowestY = active.y;
      this.lastTurn = null;
      this.fall = 0;
    }
    return this.#lift(active);
  }

  // The stack can rise into the piece in hand: lift it until it fits again (rules/movement.js).
  #lift(active) {
    const { piece, r, x, y } = active;
    const lifted = lift(this.prediction.board.field, { piece, r, x, y });
    if (lifted === null) return false;
    if (lifted.y !== y) {
      this.prediction.setActive(lifted);
      this.lowestY = lifted.y;
    }
    return true;
  }

  #run(command) {
    if (command.kind === 'shift') this.#shift(command.dx, command.steps);
    else if (command.kind === 'soft') this.#down(command.steps);
    else if (command.kind === 'rotate') this.#rotate(command.dir);
    else if (command.kind === 'hardDrop') this.#hardDrop();
    else if (command.kind === 'hold') this.#hold();
  }

  // `turn`: {rot, kick} when the change is a turn (the lock's `last` claim), else null.
  #try(next, turn) {
    if (next === null) return false;
    this.prediction.setActive(next, turn);
    this.lastTurn = turn;
    return true;
  }

  #shift(dx, steps) {
    let moved = false;
    for (let i = 0; i < steps && this.#try(this.#step(dx, 0), null); i += 1) moved = true;
    if (moved) this.#resetLockDelay();
  }

  #down(steps) {
    let moved = false;
    for (let i = 0; i < steps && this.#try(this.#step(0, 1), null); i += 1) moved = true;
    const y = this.prediction.active.y;
    if (moved && y > this.lowestY) {
      this.lowestY = y; // a new lowest row earns a fresh set of lock-delay resets
      this.resets = 0;
      this.lockTimer = 0;
    }
    return moved;
  }

  #rotate(dir) {
    const turned = rotationKick(this.prediction.board.field, this.prediction.active, dir);
    const turn = turned && Object.freeze({ rot: ROT_NAMES[dir], kick: turned.kick });
    if (this.#try(turned?.state ?? null, turn)) this.#resetLockDelay();
  }

  #hardDrop() {
    const { field } = this.prediction.board;
    const active = this.prediction.active;
    const landed = drop(field, active);
    // dropping at least one row makes the drop, not a rotation, the last action (no spin)
    if (landed.y !== active.y) this.#try(landed, null);
    this.#lock();
  }

  #hold() {
    if (this.prediction.canHold) this.prediction.hold();
  }

  #step(dx, dy) {
    return move(this.prediction.board.field, this.prediction.active, dx, dy);
  }

  #grounded() {
    return this.#step(0, 1) === null;
  }

  #resetLockDelay() {
    if (this.lockTimer === 0 && !this.#grounded()) return; // in the air: no delay to reset
    if (this.resets >= MAX_LOCK_RESETS) return;
    this.resets += 1;
    this.lockTimer = 0;
  }

  #lock() {
    const lock = { ...this.prediction.active, last: this.lastTurn };
    const result = this.prediction.lock(this.lastTurn);
    if (result.toppedOut) this.over = true;
    this.onLock(result, lock);
  }
}
