// A replay rebuilt with the JavaScript rules (docs/replays.md "For the JavaScript rebuild"): each
// `e` joins its target's incoming effects, each `l` is a lock (rules/board.js applyLock, with the
// hold deduced as server/rules/board.py does), each `f` the grace period's forced effects. Every
// lock's field check, and at the end every board, score and the winner, must equal the file's:
// each replay watched is also a cross-check of the two engines. Pure: a document in, the states
// after each event and the differences out.
import { calloutFor } from '../callouts.js';
import { PREVIEW_COUNT } from '../render.js';
import { bagSequence } from '../rules/bag.js';
import { applyLock, applyPendingEffects, deduceHold } from '../rules/board.js';
import { parseEffect } from '../rules/effects.js';
import { Field } from '../rules/field.js';
import { crc32 } from './crc32.js';
import { EFFECT, FORCE, LOCK, POWER } from './format.js';

const MAX_MISMATCHES = 20; // the first ones say where; a wrong file would repeat the rest

/** The check a lock event carries: CRC-32 of the 40 rows, hidden ones first (server/replay.py). */
export function fieldCrc(field) {
  return crc32(field.allRows().join(''));
}

// One player's side as it stands after some events. `next`: the next unconsumed sequence index;
// `hold`: {i, piece} or null (rules.md "Hold").
function freshSide() {
  return Object.freeze({
    board: Object.freeze({
      field: Field.empty(), combo: -1, b2b: false, lines: 0, score: 0, fx: 0,
      incoming: Object.freeze([]),
    }),
    next: 0, hold: null, pieces: 0, sent: 0, attack: 0, received: 0, powers: 0, maxCombo: 0,
    topOut: null,
  });
}

const garbageLines = (effects) => effects
  .reduce((sum, e) => sum + (e.kind === 'garbage' ? e.lines : 0), 0);

class Refusal extends Error {}

class Rebuilder {
  constructor(doc) {
    this.doc = doc;
    this.names = doc.players;
    const top = doc.events.reduce((most, e) => (e[1] === LOCK ? Math.max(most, e[3]) : most), 0);
    this.sequence = bagSequence(doc.seed, top + 2 + PREVIEW_COUNT); // the last lock's preview too
    this.sides = [freshSide(), freshSide()];
    this.lockCount = [0, 0]; // the n of each player's next lock event
    this.landed = [[], []]; // per effect id - 1: the lock n that applied it, or null (forced)
    this.mismatches = [];
    this.states = [this.snapshot(0)];
    this.notes = [];
  }

  snapshot(t) {
    return Object.freeze({ t, sides: Object.freeze([...this.sides]) });
  }

  where(k, event) {
    const name = this.names[event[2]];
    const at = `events[${k}], t ${event[0]} ms`;
    if (event[1] === LOCK) return `${name}'s lock ${this.lockCount[event[2]]} (${at})`;
    if (event[1] === POWER) return `${name}'s use of ${event[3]} (${at})`;
    if (event[1] === FORCE) return `the grace period on ${name}'s effects (${at})`;
    return `effect ${event[3].id} for ${name} (${at})`;
  }

  differ(where, what) {
    if (this.mismatches.length < MAX_MISMATCHES) this.mismatches.push({ where, what });
  }

  run() {
    let stopped = null;
    for (const [k, event] of this.doc.events.entries()) {
      const p = event[2];
      const where = this.where(k, event); // before the event counts its lock
      try {
        if (this.sides[p].topOut !== null) {
          throw new Refusal(`${this.names[p]} had topped out already`);
        }
        this.notes.push(this[event[1]](event, k));
      } catch (error) {
        if (!(error instanceof Refusal) && !(error instanceof TypeError)
            && !(error instanceof RangeError)) throw error;
        this.differ(where, `the rules refuse it (${error.message})`);
        stopped = k;
        break;
      }
      this.states.push(this.snapshot(event[0]));
    }
    if (stopped === null) this.finish();
    return stopped;
  }

  set(p, changes) {
    this.sides[p] = Object.freeze({ ...this.sides[p], ...changes });
  }

  [EFFECT](event) {
    const [, , p, wire] = event;
    const { board } = this.sides[p];
    const expected = board.fx + board.incoming.length + 1;
    if (wire.id !== expected) throw new Refusal(`effect id ${wire.id}, expected ${expected}`);
    const effect = parseEffect(wire);
    this.set(p, { board: Object.freeze({
      ...board, incoming: Object.freeze([...board.incoming, effect]) }) });
    return { type: 'effect', p, effect };
  }

  [POWER](event) {
    const p = event[2];
    this.set(p, { powers: this.sides[p].powers + 1 });
    return { type: 'power', p, power: event[3] };
  }

  [FORCE](event) {
    const [, , p, through] = event;
    const side = this.sides[p];
    const taken = applyPendingEffects(side.board, through, this.sequence[side.next]);
    this.landed[p].push(...taken.applied.map(() => null));
    this.set(p, {
      board: taken.board,
      received: side.received + garbageLines(taken.applied),
      topOut: taken.topOut,
    });
    return { type: 'force', p, applied: taken.applied };
  }

  // Board.apply_lock's order: the effects the lock says were applied first (a top-out there
  // makes the lock moot: recorded, never played), then the piece.
  [LOCK](event, k) {
    const [, , p, i, piece, r, x, y, fx, crc] = event;
    const where = this.where(k, event);
    const last = event.length === 12 ? { rot: event[10], kick: event[11] } : null;
    const side = this.sides[p];
    const newest = side.board.fx + side.board.incoming.length;
    if (fx > newest) throw new Refusal(`unknown_effect: fx ${fx}, newest ${newest}`);
    const books = deduceHold(side.next, side.hold, i, this.sequence);
    if (books === null) throw new Refusal(`out_of_order: piece index ${i}, expected ${side.next}`);
    if (this.sequence[i] !== piece) {
      throw new Refusal(`wrong_piece: piece ${i} is ${this.sequence[i]}, not ${piece}`);
    }
    const n = this.lockCount[p];
    this.lockCount[p] += 1;
    const taken = applyPendingEffects(side.board, fx, this.sequence[side.next]);
    this.landed[p].push(...taken.applied.map(() => n));
    const received = side.received + garbageLines(taken.applied);
    let note = { type: 'lock', p, n, applied: taken.applied, result: null, callout: null };
    if (taken.toppedOut) {
      this.set(p, { board: taken.board, received, topOut: taken.topOut });
    } else {
      const { board, result } = applyLock(taken.board, { piece, r, x, y, last, fx },
        this.sequence[books.next]);
      this.set(p, {
        board, ...books, received, pieces: side.pieces + 1, sent: side.sent + result.sent,
        attack: side.attack + result.attack, maxCombo: Math.max(side.maxCombo, board.combo),
        topOut: result.topOut,
      });
      note = { ...note, result, callout: calloutFor(result, board, taken.board.b2b) };
    }
    const mine = fieldCrc(this.sides[p].board.field);
    if (mine !== crc) {
      this.differ(where, `the field after it differs: the file's check is ${crc}, the rules' `
        + `is ${mine}`);
    }
    return note;
  }

  finish() {
    const { result, players, settings } = this.doc;
    const claims = [];
    players.forEach((name, p) => {
      const side = this.sides[p];
      const board = result.boards[p];
      claims.push(
        [`${name}'s score`, side.board.score, board.score],
        [`${name}'s score (result.score)`, side.board.score, result.score[name]],
        [`${name}'s lines`, side.board.lines, board.lines],
        [`${name}'s pieces`, side.pieces, board.pieces],
        [`${name}'s garbage sent`, side.sent, board.garbage_sent],
        [`${name}'s top-out`, side.topOut, board.top_out],
        [`${name}'s final field`, side.board.field.toRows(), board.field],
        [`${name}'s hidden rows`, side.board.field.hiddenHex(), board.hidden],
        [`${name}'s effects landed at`, this.landed[p], board.landed],
      );
    });
    claims.push(['the winner', this.winner(result.reason), result.winner]);
    for (const [what, mine, theirs] of claims) {
      const a = JSON.stringify(mine);
      const b = JSON.stringify(theirs);
      if (a !== b) this.differ(`result: ${what}`, `the file says ${b}, the rules say ${a}`);
    }
    if (result.reason === 'time_up' && result.t < settings.match_ms) {
      this.differ('result.t', `time_up at ${result.t} ms, before the match's `
        + `${settings.match_ms} ms were up`);
    }
  }

  // Who wins by the rules: the one left standing after a top-out, the higher score when time is
  // up (equal: a draw, null). Other ends (a silence, a forfeit) are taken as recorded.
  winner(reason) {
    const [a, b] = this.sides;
    const { winner } = this.doc.result;
    if (reason === 'top_out') {
      const out = this.sides.findIndex((side) => side.topOut !== null);
      return out < 0 ? '(nobody topped out)' : this.names[1 - out];
    }
    if (reason === 'time_up') {
      if (a.board.score === b.board.score) return null;
      return this.names[a.board.score > b.board.score ? 0 : 1];
    }
    return winner;
  }
}

/**
 * The replay `doc` (format.js parseReplay) rebuilt: `states[c]` is both sides after the first c
 * events ({t, sides}), `notes[k]` what event k did (a lock's result and callout, a power, an
 * effect), `mismatches` every difference from the file ({where, what}; empty: it verifies),
 * `stoppedAt` the event the rules refused (the states end before it) or null.
 */
export function rebuildReplay(doc) {
  const rebuilder = new Rebuilder(doc);
  const stoppedAt = rebuilder.run();
  const { sides } = rebuilder;
  return Object.freeze({
    doc,
    names: doc.players,
    sequence: rebuilder.sequence,
    states: rebuilder.states,
    notes: rebuilder.notes,
    mismatches: rebuilder.mismatches,
    stoppedAt,
    locks: rebuilder.lockCount[0] + rebuilder.lockCount[1],
    final: sides,
  });
}

/**
 * A side's end statistics as game_end's `stats` reports them (server/stats.py to_wire): pieces
 * a second and attack a minute over `playedMs`, rounded to 2 decimals.
 */
export function sideStats(side, playedMs) {
  const seconds = playedMs / 1000;
  const rate = (count, per) => (seconds > 0 ? Math.round((count * per * 100) / seconds) / 100 : 0);
  return {
    pieces: side.pieces,
    pps: rate(side.pieces, 1),
    apm: rate(side.attack, 60),
    lines: side.board.lines,
    sent: side.sent,
    received: side.received,
    powers: side.powers,
    max_combo: side.maxCombo,
  };
}
