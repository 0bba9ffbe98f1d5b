// Reading a replay file (docs/replays.md "The format"), as strictly as server/replay.py's `load`:
// parseReplay gives the parsed document or throws a ReplayFileError that names the part at fault
// (`events[3][4] (piece): expected one of I J L O S T Z`). Nothing is judged here (rebuild.js).
import { gameNameFrom } from '../home.js';
import { NAME_PATTERN } from '../messages.js';
import { EFFECT_KINDS, POWERS, parseEffect } from '../rules/effects.js';
import { HEIGHT, WIDTH } from '../rules/field.js';
import { PIECES, RULES_VERSION, TURNS } from '../rules/pieces.js';

export const FORMAT_VERSION = 1;
// The event kinds (docs/replays.md "Events"), as server/replay.py names them.
export const LOCK = 'l';
export const POWER = 'p';
export const EFFECT = 'e';
export const FORCE = 'f';
export const END_REASONS = Object.freeze(
  ['time_up', 'top_out', 'disconnect', 'forfeit', 'server_shutdown'],
);
export const TOP_OUTS = Object.freeze(['lock_out', 'block_out', 'garbage']);
// A replay bigger than this is no match of this game (a 3-minute one is tens of KB).
export const MAX_REPLAY_BYTES = 8 * 1024 * 1024;

const NAME = new RegExp(`^${NAME_PATTERN}$`);
const MAX_COUNT = 10 ** 6;

export class ReplayFileError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ReplayFileError';
  }
}

const fail = (where, what) => new ReplayFileError(`${where}: ${what}`);

function int(value, where, lo = 0, hi = 2 ** 53) {
  if (!Number.isSafeInteger(value) || value < lo || value > hi) {
    throw fail(where, `expected an integer in ${lo}..${hi}, got ${short(value)}`);
  }
  return value;
}

function oneOf(value, where, allowed) {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw fail(where, `expected one of ${allowed.join(' ')}, got ${short(value)}`);
  }
  return value;
}

function list(value, where) {
  if (!Array.isArray(value)) throw fail(where, 'expected a list');
  return value;
}

function object(value, where, keys) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw fail(where, 'expected an object');
  }
  const missing = keys.filter((key) => !Object.hasOwn(value, key));
  if (missing.length > 0) throw fail(where, `missing ${missing.join(', ')}`);
  return value;
}

function short(value) {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= 40 ? text : `${text.slice(0, 39)}…`;
}

function checkHeader(doc) {
  object(doc, 'replay', ['game_name', 'seed', 'settings', 'started', 'players', 'events',
    'result']);
  if (typeof doc.game_name !== 'string' || gameNameFrom(doc.game_name) !== doc.game_name) {
    throw fail('game_name', 'not a game name');
  }
  int(doc.seed, 'seed', 0, 2 ** 32 - 1);
  int(doc.started, 'started');
  const settings = object(doc.settings, 'settings',
    ['match_ms', 'effect_grace_ms', 'starting_powers']);
  int(settings.match_ms, 'settings.match_ms', 1);
  int(settings.effect_grace_ms, 'settings.effect_grace_ms');
  list(settings.starting_powers, 'settings.starting_powers').forEach((power, k) => {
    oneOf(power, `settings.starting_powers[${k}]`, POWERS);
  });
  const players = list(doc.players, 'players');
  if (players.length !== 2 || !players.every((name) => typeof name === 'string'
      && NAME.test(name))) {
    throw fail('players', 'expected two player names');
  }
  if (players[0].toLowerCase() === players[1].toLowerCase()) {
    throw fail('players', 'the two names are the same');
  }
  list(doc.events, 'events');
}

const EVENT_SHAPES = {
  [LOCK]: (event, where) => {
    if (event.length !== 10 && event.length !== 12) {
      throw fail(where, 'a lock is [t, "l", p, i, piece, r, x, y, fx, crc(, rot, kick)]');
    }
    int(event[3], `${where}[3] (i)`, 0, MAX_COUNT);
    oneOf(event[4], `${where}[4] (piece)`, PIECES);
    int(event[5], `${where}[5] (r)`, 0, 3);
    int(event[6], `${where}[6] (x)`, -4, 13);
    int(event[7], `${where}[7] (y)`, -23, 23);
    int(event[8], `${where}[8] (fx)`, 0, MAX_COUNT);
    int(event[9], `${where}[9] (crc)`, 0, 2 ** 32 - 1);
    if (event.length === 12) {
      oneOf(event[10], `${where}[10] (rot)`, Object.keys(TURNS));
      int(event[11], `${where}[11] (kick)`, 0, 5);
    }
  },
  [POWER]: (event, where) => {
    if (event.length !== 4) throw fail(where, 'a power use is [t, "p", p, power]');
    oneOf(event[3], `${where}[3] (power)`, POWERS);
  },
  [FORCE]: (event, where) => {
    if (event.length !== 4) throw fail(where, 'a forced effect is [t, "f", p, through]');
    int(event[3], `${where}[3] (through)`, 1, MAX_COUNT);
  },
  [EFFECT]: (event, where) => {
    if (event.length !== 4) throw fail(where, 'an effect is [t, "e", p, {effect}]');
    const effect = object(event[3], `${where}[3]`, ['id', 'kind', 'from']);
    int(effect.id, `${where}[3].id`, 1, MAX_COUNT);
    oneOf(effect.kind, `${where}[3].kind`, EFFECT_KINDS);
    if (typeof effect.from !== 'string') throw fail(`${where}[3].from`, 'expected a name');
    try {
      parseEffect(effect, `${where}[3]`);
    } catch (error) {
      throw new ReplayFileError(error.message);
    }
  },
};

function checkEvent(event, where) {
  if (!Array.isArray(event) || event.length < 4) {
    throw fail(where, 'expected [t, kind, player, ...]');
  }
  int(event[0], `${where}[0] (t)`);
  oneOf(event[1], `${where}[1] (kind)`, Object.keys(EVENT_SHAPES));
  int(event[2], `${where}[2] (player)`, 0, 1);
  EVENT_SHAPES[event[1]](event, where);
}

function checkResult(result, players) {
  object(result, 'result', ['reason', 'winner', 't', 'score', 'boards']);
  oneOf(result.reason, 'result.reason', END_REASONS);
  if (result.winner !== null && !players.includes(result.winner)) {
    throw fail('result.winner', "expected a player's name or null");
  }
  int(result.t, 'result.t');
  object(result.score, 'result.score', players);
  for (const name of players) int(result.score[name], `result.score.${name}`);
  const boards = list(result.boards, 'result.boards');
  if (boards.length !== 2) throw fail('result.boards', 'expected one board per player');
  boards.forEach((board, k) => {
    const where = `result.boards[${k}]`;
    object(board, where, ['score', 'lines', 'pieces', 'garbage_sent', 'top_out', 'field',
      'hidden', 'landed']);
    for (const key of ['score', 'lines', 'pieces', 'garbage_sent']) {
      int(board[key], `${where}.${key}`);
    }
    if (board.top_out !== null) oneOf(board.top_out, `${where}.top_out`, TOP_OUTS);
    const rows = list(board.field, `${where}.field`);
    if (rows.length !== HEIGHT || !rows.every((row) => typeof row === 'string'
        && row.length === WIDTH)) {
      throw fail(`${where}.field`, `expected ${HEIGHT} rows of ${WIDTH} cells`);
    }
    if (typeof board.hidden !== 'string') throw fail(`${where}.hidden`, 'expected a string');
    list(board.landed, `${where}.landed`).forEach((at, n) => {
      if (at !== null) int(at, `${where}.landed[${n}]`);
    });
  });
}

/**
 * A replay file's text (or its already parsed JSON) checked for shape: the document, or a
 * ReplayFileError saying plainly what is wrong.
 */
export function parseReplay(input) {
  let doc = input;
  if (typeof input === 'string') {
    if (input.length > MAX_REPLAY_BYTES) {
      throw new ReplayFileError(`too big for a replay (${input.length} bytes; at most `
        + `${MAX_REPLAY_BYTES})`);
    }
    try {
      doc = JSON.parse(input);
    } catch (error) {
      throw new ReplayFileError(`not JSON: ${error.message}`);
    }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ReplayFileError('not a replay: expected a JSON object');
  }
  if (doc.format !== FORMAT_VERSION) {
    throw new ReplayFileError(`replay format ${short(doc.format)}: this page reads format `
      + `${FORMAT_VERSION} only`);
  }
  if (doc.rules !== RULES_VERSION) {
    throw new ReplayFileError(`recorded under rules version ${short(doc.rules)}; this page `
      + `plays version ${RULES_VERSION} only`);
  }
  checkHeader(doc);
  doc.events.forEach((event, k) => checkEvent(event, `events[${k}]`));
  checkResult(doc.result, doc.players);
  return doc;
}

/** The name a downloaded replay gets: the server's own (`<game_name>.json`). */
export function replayFileName(doc) {
  return `${doc.game_name}.json`;
}
