// The client's predicted state of its own player: pure (no DOM, no WebSocket, no clock).
//
// It keeps the bookkeeping of rules.md "Hold" and "Locks" and reconciles with the server as
// docs/protocol.md says: the predicted board is the authoritative board with the locks the
// server has not acknowledged replayed on it; the piece in hand is kept.
//
//   const p = new Prediction();
//   p.applyServer(msg)    // a game_start or game_flux message, already timestamp-filtered.
//                         // Records next_block by piece_index, the authoritative board, hold
//                         // and ack; forgets locks with n < ack. Resets to the server's state
//                         // (dropping every unacknowledged lock, the piece in hand back to the
//                         // server's) on the first message, on `rejected`, and whenever the
//                         // server's books disagree with the locks it acknowledged. A message
//                         // with an older ack than one already applied is ignored.
//                         // Returns true if applied; throws (changing nothing) on bad input.
//   p.board               // predicted {field, combo, b2b, lines, score}
//   p.active              // the piece in hand {i, piece, r, x, y}, or null (piece not known
//                         // yet, or the predicted board topped out)
//   p.holdPiece           // letter or null;  p.canHold
//   p.preview(count)      // the known letters after the piece in hand
//   p.setActive(state)    // after a local move/rotate/drop of the piece in hand
//   p.hold()              // swap per rules.md "Hold" (once per piece); true if done
//   p.lock(spin)          // lock the piece in hand where it rests; spin defaults to "the last
//                         // change of the piece in hand was a rotation". Returns the result of
//                         // engine.applyLock (for effects) and spawns the next piece.
//   p.pendingLocks(max)   // oldest-first unacknowledged locks for game_flux.locks
//   p.ack, p.toppedOut, p.diverged (an unacknowledged lock no longer fits the authoritative
//                         // field: the server will reject it and a reset follows)
//
// The server sends the held piece's letter but not its sequence index, which a lock of the held
// piece must name (rules.md "Locks" case 3). The index is known from this client's own locks;
// after a reset into a state it did not build (a rejoin) it comes from `hold_index` if the
// server sends it, and otherwise the held piece cannot be swapped back in.

import { Field, PIECES, applyLock, move, spawnState } from './engine.js';

export const MAX_LOCKS_PER_REQUEST = 8;

const SERVER_COMMANDS = new Set(['game_start', 'game_flux']);

function expectInteger(value, where, min) {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`${where}: expected an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function expectLetter(value, where) {
  if (!PIECES.includes(value)) {
    throw new TypeError(`${where}: expected a piece letter, got ${JSON.stringify(value)}`);
  }
  return value;
}

function parseField(rows) {
  try {
    return Field.fromRows(rows);
  } catch (error) {
    throw new TypeError(`user_blocks: ${error.message}`);
  }
}

// Parse a server message once, at the edge; nothing below re-checks its keys.
function parseServerMessage(msg) {
  if (msg === null || typeof msg !== 'object' || !SERVER_COMMANDS.has(msg.command)) {
    throw new TypeError('applyServer: expected a game_start or game_flux message');
  }
  if (!Array.isArray(msg.next_block)) throw new TypeError('next_block: expected an array');
  const nextBlock = msg.next_block.map((p, k) => expectLetter(p, `next_block[${k}]`));
  const hold = msg.hold === null || msg.hold === undefined ? null : expectLetter(msg.hold, 'hold');
  const rejected = msg.rejected ?? null;
  if (rejected !== null && typeof rejected !== 'object') {
    throw new TypeError('rejected: expected null or an object');
  }
  if (msg.b2b !== undefined && typeof msg.b2b !== 'boolean') {
    throw new TypeError('b2b: expected true or false');
  }
  const holdIndex = msg.hold_index;
  return {
    board: Object.freeze({
      field: parseField(msg.user_blocks),
      combo: expectInteger(msg.combo ?? -1, 'combo', -1),
      b2b: msg.b2b ?? false,
      lines: expectInteger(msg.lines ?? 0, 'lines', 0),
      score: expectInteger(msg.user_score, 'user_score', 0),
    }),
    pieceIndex: expectInteger(msg.piece_index, 'piece_index', 0),
    nextBlock,
    hold,
    holdIndex: holdIndex === undefined || holdIndex === null
      ? null : expectInteger(holdIndex, 'hold_index', 0),
    ack: expectInteger(msg.ack, 'ack', 0),
    rejected: rejected !== null,
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
  #lastRotated = false;
  #board = null;
  #toppedOut = false;
  #diverged = false;

  applyServer(msg) {
    const server = parseServerMessage(msg);
    if (this.#serverBoard !== null && server.ack < this.#ack) return false; // older news
    server.nextBlock.forEach((piece, k) => this.#known.set(server.pieceIndex + k, piece));
    this.#serverBoard = server.board;
    const acknowledged = this.#pending.filter(({ lock }) => lock.n < server.ack);
    this.#pending = this.#pending.slice(acknowledged.length);
    if (acknowledged.length > 0) this.#acked = acknowledged.at(-1).after;
    const agrees = server.ack <= this.#nextLockNumber
      && sameBooks(this.#acked, server.pieceIndex, server.hold);
    if (server.rejected || !agrees) this.#reset(server);
    this.#ack = server.ack;
    this.#replay();
    this.#keepHand();
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

  preview(count) {
    expectInteger(count, 'preview count', 0);
    // After a hold from an empty slot the hand is next+1; after a swap `next` is in the slot.
    const first = Math.max(this.#handIndex, this.#books.next) + 1;
    const letters = [];
    for (let i = first; letters.length < count && this.#known.has(i); i += 1) {
      letters.push(this.#known.get(i));
    }
    return letters;
  }

  setActive(state) {
    const hand = this.#requireHand('setActive');
    if (state?.piece !== hand.piece) throw new TypeError('setActive: not the piece in hand');
    if (!this.#board.field.fits(state)) throw new RangeError('setActive: the piece does not fit');
    const { piece, r, x, y } = state;
    if (r !== hand.r || x !== hand.x || y !== hand.y) this.#lastRotated = r !== hand.r;
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

  lock(spin = this.#lastRotated) {
    const hand = this.#requireHand('lock');
    if (typeof spin !== 'boolean') throw new TypeError('lock: spin must be true or false');
    if (move(this.#board.field, hand, 0, 1) !== null) {
      throw new RangeError('lock: the piece is floating (drop it first)');
    }
    const { board, result } = applyLock(this.#board, { ...hand, spin });
    const lock = Object.freeze({ n: this.#nextLockNumber, i: this.#handIndex, ...hand, spin });
    // rules.md "Locks": the hand (case 1) or next+1 (case 2) moves `next` past itself;
    // a held piece (case 3) consumes only `next`, which went into the slot.
    const { next, hold } = this.#books;
    this.#books = books(this.#handIndex >= next ? this.#handIndex + 1 : next + 1, hold);
    this.#pending.push(Object.freeze({ lock, after: this.#books }));
    this.#nextLockNumber += 1;
    this.#board = board;
    this.#toppedOut ||= result.toppedOut;
    this.#holdUsed = false;
    this.#spawn(this.#books.next, this.#known.get(this.#books.next));
    return result;
  }

  pendingLocks(max = MAX_LOCKS_PER_REQUEST) {
    expectInteger(max, 'pendingLocks max', 0);
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

  // Replay the unacknowledged locks on the authoritative board. One that no longer fits (the
  // field changed under it) stops the replay: the server will reject it.
  #replay() {
    let board = this.#serverBoard;
    this.#diverged = false;
    for (const { lock } of this.#pending) {
      if (!board.field.fits(lock)) {
        this.#diverged = true;
        break;
      }
      const applied = applyLock(board, lock);
      board = applied.board;
      this.#toppedOut ||= applied.result.toppedOut;
    }
    this.#board = board;
  }

  // The piece in hand stays where it is while it still fits; otherwise it starts over.
  #keepHand() {
    if (this.#hand === null) {
      this.#spawn(this.#handIndex, this.#known.get(this.#handIndex));
    } else if (!this.#board.field.fits(this.#hand)) {
      this.#spawn(this.#handIndex, this.#hand.piece);
    }
  }

  #spawn(index, piece) {
    this.#handIndex = index;
    this.#hand = piece === undefined ? null : spawnState(piece);
    this.#lastRotated = false;
  }

  // Letters below every index still reachable (held pieces keep their own letter) are not needed.
  #forgetPast() {
    const oldest = Math.min(this.#acked.next, this.#books.next, this.#handIndex);
    for (const index of this.#known.keys()) {
      if (index < oldest) this.#known.delete(index);
    }
  }
}
