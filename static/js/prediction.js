// The client's predicted state of its own player: pure (no DOM, no WebSocket, no clock).
//
// It keeps the bookkeeping of rules.md "Hold", "Locks" and "Battle" and reconciles with the
// server as docs/protocol.md says: the predicted board is the authoritative board (field with
// its hidden rows, fx and pending effects) with the locks the server has not acknowledged
// replayed on it; the piece in hand is kept. Hidden cells come without letters (as garbage).
//
//   const p = new Prediction();
//   p.applyServer(msg)    // a game_start or game_flux message, already timestamp-filtered,
//                         // raw or already parsed (server-messages.js parseServerMessage).
//                         // Records next_block by piece_index, the authoritative board, hold,
//                         // ack, fx, effects and powers; forgets locks with n < ack. Resets to the
//                         // server's state (dropping every unacknowledged lock, the piece in hand
//                         // back to the server's) on the first message, on `rejected`, and
//                         // whenever the server's books disagree with the locks it acknowledged.
//                         // A message older than one applied (a lower ack, fx or power_ack) is
//                         // ignored. Returns true if applied; throws (changing nothing) on bad
//                         // input.
//   p.board               // predicted {field, combo, b2b, lines, score, fx, incoming}
//   p.active              // the piece in hand {i, piece, r, x, y}, or null (piece not known
//                         // yet, or the predicted board topped out)
//   p.holdPiece           // letter or null;  p.canHold
//   p.preview(count)      // the known letters after the piece in hand
//   p.setActive(state, turn) // after a local move/rotate/drop of the piece in hand; `turn`
//                         // {rot, kick} when it was a turn (the lock's `last` claim), else null
//   p.hold()              // swap per rules.md "Hold" (once per piece); true if done
//   p.lock(last)          // lock the piece in hand where it rests; `last` ({rot, kick} or null)
//                         // defaults to the turn of the last change, if it was one. Returns the result of
//                         // rules/board.js applyLock, then takes every pending effect (the lock
//                         // boundary) and spawns the next piece on the new field.
//   p.pendingLocks(max)   // oldest-first unacknowledged locks for game_flux.locks, each with fx
//   p.ack, p.toppedOut, p.diverged (an unacknowledged lock no longer fits the authoritative
//                         // field: the server will reject it and a reset follows)
//
// Effects (rules.md "Effects and when they apply"):
//   p.incoming            // effects pending on the predicted board, oldest first (after the
//                         // cancelling of this client's own locks); p.incomingGarbageLines
//   p.takeAppliedEffects() // effects applied to the field the player sees since last asked,
//                         // each exactly once, in id order (for quake shakes, nuke flashes …)
//
// Powers (rules.md "Powers", docs/protocol.md "Battle"):
//   p.powersAvailable     // the server's inventory minus the uses it has not acknowledged
//   p.usePower(power)     // queue a use {n, power}; null when the inventory does not hold it
//   p.pendingPower()      // {power_used, power_n} for the next game_flux, or null
//   p.takePowerRejections() // [{n, power, reason}] the server refused since last asked
//
// The server sends the held piece's letter but not its sequence index, which a lock of the held
// piece must name (rules.md "Locks" case 3). The index is known from this client's own locks;
// after a reset into a state it did not build (a rejoin) it comes from `hold_index` if the
// server sends it, and otherwise the held piece cannot be swapped back in.

import { MAX_LOCKS } from './messages.js';
import { applyLock, applyPendingEffects, checkLock } from './rules/board.js';
import { POWERS, expectCount } from './rules/effects.js';
import { Field } from './rules/field.js';
import { canSpawn, lift, move, spawnState } from './rules/movement.js';
import { parseServerMessage } from './server-messages.js';

const STATE_COMMANDS = new Set(['game_start', 'game_flux']);

// A game_start or game_flux, checked by server-messages.js, as this module keeps it.
function serverState(raw) {
  if (!STATE_COMMANDS.has(raw?.command)) {
    throw new TypeError('applyServer: expected a game_start or game_flux message');
  }
  const msg = parseServerMessage(raw);
  return {
    board: Object.freeze({
      field: Field.fromRows(msg.user_blocks, msg.user_hidden), // hidden rows included
      combo: msg.combo,
      b2b: msg.b2b,
      lines: msg.lines,
      score: msg.user_score,
    }),
    pieceIndex: msg.piece_index,
    nextBlock: msg.next_block,
    hold: msg.hold,
    holdIndex: msg.hold_index,
    ack: msg.ack,
    rejected: msg.rejected !== null,
    fx: msg.fx,
    effects: msg.effects,
    powers: msg.powers_available,
    powerAck: msg.power_ack,
    powerRejected: msg.power_rejected,
  };
}

// The server's bookkeeping for a player: the next unconsumed index and the held (i, piece).
// A held piece whose index this client does not know has i === null.
function books(next, hold) {
  return Object.freeze({ next, hold: hold ? Object.freeze({ ...hold }) : null });
}

function sameBooks(ours, pieceIndex, holdLetter) {
  return ours !== null && ours.next === pieceIndex && (ours.hold?.piece ?? null) === holdLetter;
}

// rules.md "Powers": the uses this client made that the server has not handled yet, sent one
// per request oldest first, and shown as already spent.
class PowerUses {
  #held = Object.freeze([]); // the server's inventory, oldest first
  #queue = []; // {n, power}, oldest first
  #next = 0; // the next use number (power_n)
  #ack = 0; // uses the server has handled
  #rejections = [];

  get ack() {
    return this.#ack;
  }

  get available() {
    const left = [...this.#held];
    for (const { power } of this.#queue) {
      const k = left.indexOf(power);
      if (k >= 0) left.splice(k, 1);
    }
    return left;
  }

  applyServer({ powers, powerAck, powerRejected }) {
    // Reported once: a refusal of a use still queued (a repeated message finds it gone).
    if (this.#queue.some(({ n }) => n === powerRejected?.n)) this.#rejections.push(powerRejected);
    this.#held = powers;
    this.#ack = powerAck;
    // A use the server handled is either spent (in `powers`) or refused: it goes either way.
    this.#queue = this.#queue.filter(({ n }) => n >= powerAck && n !== powerRejected?.n);
    this.#next = Math.max(this.#next, powerAck); // after a reload, numbering continues
  }

  use(power) {
    if (!POWERS.includes(power)) {
      throw new TypeError(`usePower: expected one of ${POWERS.join(' ')}, got ${power}`);
    }
    if (!this.available.includes(power)) return null;
    const use = Object.freeze({ n: this.#next, power });
    this.#queue.push(use);
    this.#next += 1;
    return use;
  }

  pending() {
    const [oldest] = this.#queue;
    return oldest === undefined ? null : { power_used: oldest.power, power_n: oldest.n };
  }

  takeRejections() {
    const rejections = this.#rejections;
    this.#rejections = [];
    return rejections;
  }
}

export class Prediction {
  #known = new Map(); // sequence index -> letter, learnt from next_block
  #serverBoard = null;
  #ack = 0;
  #acked = null; // books after the acknowledged locks: the server's, as this client knows them
  #pending = []; // unacknowledged locks, each {lock, after: books after it}
  #nextLockNumber = 0;
  #books = books(0, null); // ours, after every lock made (acknowledged or not)
  #handIndex = 0;
  #hand = null; // {piece, r, x, y} of the piece in hand, null until its letter is known
  #holdUsed = false;
  #last = null; // {rot, kick} when the last change of the piece in hand was a turn
  #board = null;
  #toppedOut = false;
  #diverged = false;
  #effects = new Map(); // id -> effect: the server's pending ones, and forced ones not shown yet
  #serverFx = 0;
  #shownFx = 0; // the id of the last effect applied to the field the player sees
  #appliedEffects = []; // shown since takeAppliedEffects() last asked
  #powers = new PowerUses();

  applyServer(msg) {
    const server = serverState(msg);
    if (this.#serverBoard !== null && this.#isOlder(server)) return false;
    server.nextBlock.forEach((piece, k) => this.#known.set(server.pieceIndex + k, piece));
    this.#learnEffects(server);
    this.#serverBoard = Object.freeze({
      ...server.board, fx: server.fx, incoming: this.#knownEffectsAfter(server.fx),
    });
    const acknowledged = this.#pending.filter(({ lock }) => lock.n < server.ack);
    this.#pending = this.#pending.slice(acknowledged.length);
    if (acknowledged.length > 0) this.#acked = acknowledged.at(-1).after;
    const agrees = server.ack <= this.#nextLockNumber
      && sameBooks(this.#acked, server.pieceIndex, server.hold);
    if (server.rejected || !agrees) this.#reset(server);
    this.#ack = server.ack;
    this.#serverFx = server.fx;
    this.#replay();
    this.#keepHand();
    this.#powers.applyServer(server);
    this.#forgetPast();
    return true;
  }

  get board() {
    return this.#board;
  }

  get active() {
    if (this.#hand === null || this.#toppedOut) return null;
    return Object.freeze({ i: this.#handIndex, ...this.#hand });
  }

  get holdPiece() {
    return this.#books.hold?.piece ?? null;
  }

  get canHold() {
    if (this.#holdUsed || this.active === null) return false;
    const held = this.#books.hold;
    return held === null ? this.#known.has(this.#handIndex + 1) : held.i !== null;
  }

  get ack() {
    return this.#ack;
  }

  get toppedOut() {
    return this.#toppedOut;
  }

  get diverged() {
    return this.#diverged;
  }

  get incoming() {
    return this.#board?.incoming ?? [];
  }

  get incomingGarbageLines() {
    return this.incoming.reduce((sum, e) => sum + (e.kind === 'garbage' ? e.lines : 0), 0);
  }

  takeAppliedEffects() {
    const applied = this.#appliedEffects;
    this.#appliedEffects = [];
    return applied;
  }

  get powersAvailable() {
    return this.#powers.available;
  }

  usePower(power) {
    return this.#powers.use(power);
  }

  pendingPower() {
    return this.#powers.pending();
  }

  takePowerRejections() {
    return this.#powers.takeRejections();
  }

  preview(count) {
    expectCount(count, 'preview count');
    // After a hold from an empty slot the hand is next+1; after a swap `next` is in the slot.
    const first = Math.max(this.#handIndex, this.#books.next) + 1;
    const letters = [];
    for (let i = first; letters.length < count && this.#known.has(i); i += 1) {
      letters.push(this.#known.get(i));
    }
    return letters;
  }

  setActive(state, turn = null) {
    const hand = this.#requireHand('setActive');
    if (state?.piece !== hand.piece) throw new TypeError('setActive: not the piece in hand');
    if (!this.#board.field.fits(state)) throw new RangeError('setActive: the piece does not fit');
    const { piece, r, x, y } = state;
    if (r !== hand.r || x !== hand.x || y !== hand.y) this.#last = turn;
    this.#hand = Object.freeze({ piece, r, x, y });
  }

  hold() {
    if (!this.canHold) return false;
    const held = this.#books.hold;
    const inHand = { i: this.#handIndex, piece: this.#hand.piece };
    const taken = held ?? { i: this.#handIndex + 1, piece: this.#known.get(this.#handIndex + 1) };
    this.#books = books(this.#books.next, inHand);
    this.#spawn(taken.i, taken.piece);
    this.#holdUsed = true;
    return true;
  }

  lock(last = this.#last) {
    const hand = this.#requireHand('lock');
    checkLock({ ...hand, last });
    if (move(this.#board.field, hand, 0, 1) !== null) {
      throw new RangeError('lock: the piece is floating (drop it first)');
    }
    // The lock takes no new effect: those pending apply after it (the boundary below).
    const { fx } = this.#board;
    const { board, result } = applyLock(this.#board, { ...hand, last, fx });
    // docs/protocol.md: `last` travels only when the last action was a turn.
    const claim = last === null ? {} : { last: Object.freeze({ rot: last.rot, kick: last.kick }) };
    const lock = Object.freeze({ n: this.#nextLockNumber, i: this.#handIndex, ...hand, ...claim, fx });
    // rules.md "Locks": the hand (case 1) or next+1 (case 2) moves `next` past itself;
    // a held piece (case 3) consumes only `next`, which went into the slot.
    const { next, hold } = this.#books;
    this.#books = books(this.#handIndex >= next ? this.#handIndex + 1 : next + 1, hold);
    this.#pending.push(Object.freeze({ lock, after: this.#books }));
    this.#nextLockNumber += 1;
    this.#board = board;
    this.#toppedOut ||= result.toppedOut;
    this.#holdUsed = false;
    if (!this.#toppedOut) this.#takeEffects();
    this.#spawn(this.#books.next, this.#known.get(this.#books.next));
    // rules.md "Top-out": a block out, the next piece overlapping at its spawn.
    if (this.#hand !== null && !canSpawn(this.#board.field, this.#hand.piece)) {
      this.#toppedOut = true;
    }
    return result;
  }

  pendingLocks(max = MAX_LOCKS) {
    expectCount(max, 'pendingLocks max');
    return this.#pending.slice(0, max).map(({ lock }) => ({ ...lock }));
  }

  #requireHand(where) {
    if (this.active === null) throw new Error(`${where}: no piece in hand`);
    return this.#hand;
  }

  // Adopt the server's books: every unacknowledged lock is dropped and numbering resumes at ack.
  #reset(server) {
    let hold = null;
    if (server.hold !== null) {
      const ours = sameBooks(this.#acked, server.pieceIndex, server.hold) ? this.#acked.hold : null;
      hold = { i: server.holdIndex ?? ours?.i ?? null, piece: server.hold };
    }
    this.#acked = books(server.pieceIndex, hold);
    this.#books = this.#acked;
    this.#pending = [];
    this.#nextLockNumber = server.ack;
    this.#holdUsed = false;
    this.#toppedOut = false;
    this.#spawn(server.pieceIndex, this.#known.get(server.pieceIndex));
  }

  // A message is older news when any of its counters went back.
  #isOlder(server) {
    return server.ack < this.#ack || server.fx < this.#serverFx
      || server.powerAck < this.#powers.ack;
  }

  // The server's list replaces ours for every id it carries; ids above its newest stay (the
  // server leaves the newest out of a datagram that would be too large).
  #learnEffects(server) {
    for (const effect of server.effects) this.#effects.set(effect.id, effect);
  }

  #knownEffectsAfter(fx) {
    const list = [];
    for (let id = fx + 1; this.#effects.has(id); id += 1) list.push(this.#effects.get(id));
    return Object.freeze(list);
  }

  // Right after a lock (rules.md "Effects and when they apply"): every pending effect applies.
  #takeEffects() {
    const taken = applyPendingEffects(this.#board);
    this.#board = taken.board;
    this.#toppedOut ||= taken.toppedOut;
    this.#show(taken.applied);
  }

  // Replay the unacknowledged locks on the authoritative board, each after the effects it
  // carries in its fx, then the effects the player has already seen applied. A lock that no
  // longer fits (the field changed under it) stops the replay: the server will reject it.
  #replay() {
    let board = this.#serverBoard;
    const applied = [];
    const take = (upTo) => {
      const taken = applyPendingEffects(board, upTo);
      board = taken.board;
      applied.push(...taken.applied);
      this.#toppedOut ||= taken.toppedOut;
      return !taken.toppedOut;
    };
    this.#diverged = false;
    let alive = true;
    for (const { lock } of this.#pending) {
      alive = take(lock.fx);
      if (!alive) break;
      if (board.fx < lock.fx || !board.field.fits(lock)) {
        this.#diverged = true;
        break;
      }
      const locked = applyLock(board, lock);
      board = locked.board;
      this.#toppedOut ||= locked.result.toppedOut;
    }
    if (alive) take(this.#shownFx);
    this.#board = board;
    this.#show(applied);
  }

  // Every effect is shown once: ids above the last one shown, up to the board's fx. Those the
  // server applied itself (its grace period) come from what it sent before.
  #show(applied) {
    const byId = new Map(applied.map((effect) => [effect.id, effect]));
    for (let id = this.#shownFx + 1; id <= this.#board.fx; id += 1) {
      const effect = byId.get(id) ?? this.#effects.get(id);
      if (effect !== undefined) this.#appliedEffects.push(effect);
    }
    this.#shownFx = Math.max(this.#shownFx, this.#board.fx);
  }

  // The piece in hand stays where it is while it still fits; an effect that pushed the stack
  // into it lifts it until it fits, and if nothing above fits the player has topped out.
  #keepHand() {
    if (this.#hand === null) {
      this.#spawn(this.#handIndex, this.#known.get(this.#handIndex));
      return;
    }
    const lifted = lift(this.#board.field, this.#hand);
    if (lifted === null) this.#toppedOut = true;
    else this.#hand = lifted;
  }

  #spawn(index, piece) {
    this.#handIndex = index;
    this.#hand = piece === undefined ? null : spawnState(piece);
    this.#last = null;
  }

  // Letters below every index still reachable (held pieces keep their own letter) are not needed.
  #forgetPast() {
    const oldest = Math.min(this.#acked.next, this.#books.next, this.#handIndex);
    for (const index of this.#known.keys()) {
      if (index < oldest) this.#known.delete(index);
    }
    // Effects the server applied are not needed any more (#replay has shown them by now).
    for (const id of this.#effects.keys()) {
      if (id <= this.#serverFx) this.#effects.delete(id);
    }
  }
}
