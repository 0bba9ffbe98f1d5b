// Moving and turning a piece (SRS), and which states a piece can reach from its spawn, as
// server/rules/movement.py holds them. Every function takes a Field and frozen piece states and
// returns new states (null where the piece does not fit).
import { HIDDEN } from './field.js';
import {
  ROTATIONS, SPAWN_X, SPAWN_Y, TURNS, checkPiece, checkState, kickTests, pieceState,
} from './pieces.js';

const DIRECTIONS = Object.values(TURNS); // 1, -1, 2

// No cell of any box (4 rows at most) is inside the field once its top is above this row.
const HIGHEST_Y = -HIDDEN - 3;

export function spawnState(piece) {
  checkPiece(piece, 'spawnState');
  return pieceState(piece, 0, SPAWN_X, SPAWN_Y);
}

export function move(field, state, dx, dy) {
  if (!Number.isSafeInteger(dx) || !Number.isSafeInteger(dy)) {
    throw new TypeError(`move: expected integer offsets, got ${dx}, ${dy}`);
  }
  checkState(state);
  const moved = pieceState(state.piece, state.r, state.x + dx, state.y + dy);
  return field.fits(moved) ? moved : null;
}

// rules.md "Top-out": false is a block out, the piece overlapping a block at its spawn.
export function canSpawn(field, piece) {
  return field.fits(spawnState(piece));
}

// A turn clockwise (1), counter-clockwise (-1) or by 180° (2): {state, kick} with the 0-based
// test that placed it, or null when no test fits.
export function rotationKick(field, state, dir) {
  if (!DIRECTIONS.includes(dir)) throw new TypeError(`rotate: dir must be 1, -1 or 2, got ${dir}`);
  checkState(state);
  const to = (state.r + dir + ROTATIONS) % ROTATIONS;
  const tests = kickTests(state.piece, state.r, to);
  for (let kick = 0; kick < tests.length; kick += 1) {
    const [kx, ky] = tests[kick];
    const turned = pieceState(state.piece, to, state.x + kx, state.y - ky);
    if (field.fits(turned)) return Object.freeze({ state: turned, kick });
  }
  return null;
}

export function rotate(field, state, dir) {
  return rotationKick(field, state, dir)?.state ?? null;
}

export function drop(field, state) {
  if (!field.fits(state)) throw new RangeError('drop: the piece does not fit where it is');
  let current = pieceState(state.piece, state.r, state.x, state.y);
  for (let below = move(field, current, 0, 1); below; below = move(field, current, 0, 1)) {
    current = below;
  }
  return current;
}

// The stack can rise into the piece in hand (garbage, add_line, a switch): the state itself while
// it fits, else moved straight up by the fewest rows that make it fit; null when no height does
// (the player has topped out).
export function lift(field, state) {
  checkState(state);
  for (let y = state.y; y >= HIGHEST_Y; y -= 1) {
    const lifted = pieceState(state.piece, state.r, state.x, y);
    if (field.fits(lifted)) return lifted;
  }
  return null;
}

function stateKey(state) {
  return `${state.r},${state.x},${state.y}`;
}

// Every state of the piece reachable from its spawn by moves (left, right, down) and turns,
// as stateKey()s; empty when the spawn does not fit. The server searches the same way.
function reachableStates(field, piece) {
  const start = spawnState(piece);
  const reached = new Set();
  if (!field.fits(start)) return reached;
  const pending = [start];
  reached.add(stateKey(start));
  while (pending.length > 0) {
    const state = pending.pop();
    for (const next of [
      move(field, state, -1, 0), move(field, state, 1, 0), move(field, state, 0, 1),
      ...DIRECTIONS.map((dir) => rotate(field, state, dir)),
    ]) {
      if (next !== null && !reached.has(stateKey(next))) {
        reached.add(stateKey(next));
        pending.push(next);
      }
    }
  }
  return reached;
}

// rules.md "Spins": true when turn `last` ({rot, kick}) takes a reachable state to `state` by
// exactly its test `kick` (every earlier one blocked), the check the server runs before it
// honours a lock's claim about its last action.
export function verifyLast(field, state, last) {
  checkState(state);
  if (!Object.hasOwn(TURNS, last?.rot)) return false;
  const dir = TURNS[last.rot];
  const from = (state.r - dir + ROTATIONS) % ROTATIONS;
  const test = kickTests(state.piece, from, state.r)[last.kick];
  if (!Number.isSafeInteger(last.kick) || test === undefined) return false;
  // Undo the kick: the turn moved the piece by (kx, -ky).
  const source = pieceState(state.piece, from, state.x - test[0], state.y + test[1]);
  if (!reachableStates(field, state.piece).has(stateKey(source))) return false;
  const turned = rotationKick(field, source, dir);
  return turned !== null && turned.kick === last.kick
    && stateKey(turned.state) === stateKey(state);
}
