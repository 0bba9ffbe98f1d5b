// Every message the server sends the page, checked once at the edge (docs/protocol.md). Pure.
//
//   parseServerMessage(raw)  // a frozen copy with the wire's field names, each optional field
//                            // filled in with what its absence means (hold null, opponent_away
//                            // false, effects [], user_hidden '' …) and nothing else; throws a
//                            // TypeError naming the field ("game_flux.ack: expected an integer
//                            // >= 0, got -1") on a malformed message. A parsed message
//                            // parses to itself, so the layers below (prediction.js,
//                            // match.js) take either.
//   new TimestampFilter()    // the `timestamp > now` rule, for every message that carries one
import { POWERS, expectCount, parseEffect } from './rules/effects.js';
import { HEIGHT, checkHidden, checkRow } from './rules/field.js';
import { PIECES } from './rules/pieces.js';

const PARSED = new WeakSet();

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
const absent = (value) => value === undefined || value === null;

function fail(where, expected, value) {
  throw new TypeError(`${where}: expected ${expected}, got ${JSON.stringify(value)}`);
}

function text(value, where) {
  return typeof value === 'string' && value !== '' ? value : fail(where, 'a string', value);
}

const textOrNull = (value, where) => (absent(value) ? null : text(value, where));
const countOrNull = (value, where) => (absent(value) ? null : expectCount(value, where));

function flag(value, where) {
  if (value === undefined) return false; // left out when false (docs/protocol.md)
  return typeof value === 'boolean' ? value : fail(where, 'true or false', value);
}

function letter(value, where) {
  return PIECES.includes(value) ? value : fail(where, 'a piece letter', value);
}

function list(value, where, item) {
  if (!Array.isArray(value)) fail(where, 'an array', value);
  return Object.freeze(value.map((entry, k) => item(entry, `${where}[${k}]`, k)));
}

function rows(value, where) {
  if (!Array.isArray(value) || value.length !== HEIGHT) {
    fail(where, `an array of ${HEIGHT} rows`, value);
  }
  value.forEach((row, y) => checkRow(row, `${where}[${y}]`));
  return Object.freeze([...value]);
}

// A field's occupied hidden rows (docs/protocol.md "Hidden rows"); left out when there are none.
const hidden = (value, where) => (absent(value) ? '' : checkHidden(value, where));

function power(value, where) {
  return POWERS.includes(value) ? value : fail(where, 'a power', value);
}

// The player's pending effects: oldest first, numbered on from its fx (rules.md "Battle").
function effects(value, where, fx) {
  return list(value, where, (effect, at, k) => {
    const parsed = parseEffect(effect, at);
    return parsed.id === fx + 1 + k ? parsed : fail(`${at}.id`, String(fx + 1 + k), parsed.id);
  });
}

function lockRejection(value, where) {
  if (absent(value)) return null;
  if (!isObject(value)) fail(where, 'null or an object', value);
  return Object.freeze({
    n: expectCount(value.n, `${where}.n`),
    i: countOrNull(value.i, `${where}.i`),
    reason: textOrNull(value.reason, `${where}.reason`),
  });
}

function powerRejection(value, where) {
  if (absent(value)) return null;
  if (!isObject(value)) fail(where, 'null or an object', value);
  return Object.freeze({
    n: expectCount(value.n, `${where}.n`),
    power: absent(value.power) ? null : power(value.power, `${where}.power`),
    reason: textOrNull(value.reason, `${where}.reason`),
  });
}

function hit(value, where) {
  if (!isObject(value)) fail(where, 'an object {id, power, from}', value);
  return Object.freeze({
    id: expectCount(value.id, `${where}.id`, 1),
    power: text(value.power, `${where}.power`),
    from: textOrNull(value.from, `${where}.from`),
  });
}

function scores(value, where) {
  if (!isObject(value)) fail(where, 'an object of scores by name', value);
  const entries = Object.entries(value).map(([name, score]) => [name,
    expectCount(score, `${where}.${name}`)]);
  return Object.freeze(Object.fromEntries(entries));
}

function number(value, where) {
  return Number.isFinite(value) && value >= 0 ? value : fail(where, 'a number >= 0', value);
}

function names(value, where) {
  return list(value ?? [], where, text);
}

// game_end.stats: each player's figures from the server's books (docs/protocol.md "game_end").
const STAT_COUNTS = ['pieces', 'lines', 'sent', 'received', 'powers', 'max_combo'];
function stats(value, where) {
  if (absent(value)) return null;
  if (!isObject(value)) fail(where, 'an object of statistics by name', value);
  return Object.freeze(Object.fromEntries(Object.entries(value).map(([name, entry]) => {
    const at = `${where}.${name}`;
    if (!isObject(entry)) fail(at, 'an object', entry);
    const counts = STAT_COUNTS.map((key) => [key, expectCount(entry[key] ?? 0, `${at}.${key}`)]);
    return [name, Object.freeze({
      ...Object.fromEntries(counts),
      pps: number(entry.pps ?? 0, `${at}.pps`),
      apm: number(entry.apm ?? 0, `${at}.apm`),
    })];
  })));
}

function fieldsByName(value, where) {
  if (absent(value)) return null;
  if (!isObject(value)) fail(where, 'an object of fields by name', value);
  return Object.freeze(Object.fromEntries(Object.entries(value)
    .map(([name, field]) => [name, rows(field, `${where}.${name}`)])));
}

// A spectator's view of one player (docs/protocol.md "spectate").
function watchedPlayer(value, where) {
  if (!isObject(value)) fail(where, 'an object', value);
  const at = (field) => `${where}.${field}`;
  return Object.freeze({
    name: text(value.name, at('name')),
    blocks: rows(value.blocks, at('blocks')),
    hidden: hidden(value.hidden, at('hidden')),
    score: expectCount(value.score ?? 0, at('score')),
    lines: expectCount(value.lines ?? 0, at('lines')),
    pieces: expectCount(value.pieces ?? 0, at('pieces')),
    garbage: expectCount(value.garbage ?? 0, at('garbage')),
    away: flag(value.away, at('away')),
    hold: absent(value.hold) ? null : letter(value.hold, at('hold')),
    next: list(value.next ?? [], at('next'), letter),
  });
}

function battleEvent(value, where) {
  if (!isObject(value)) fail(where, 'an object {from, to, power | garbage}', value);
  return Object.freeze({
    from: text(value.from, `${where}.from`),
    to: text(value.to, `${where}.to`),
    power: absent(value.power) ? null : power(value.power, `${where}.power`),
    garbage: countOrNull(value.garbage, `${where}.garbage`),
  });
}

const MATCH_STATES = ['waiting', 'running', 'ended', 'unknown'];
const REMATCH_STATES = ['asked', 'declined', 'expired', 'started'];

function oneOf(value, choices, where) {
  return choices.includes(value) ? value : fail(where, choices.join(' | '), value);
}

const stamped = (msg, where) => ({
  timestamp: expectCount(msg.timestamp, `${where}.timestamp`),
  game_name: text(msg.game_name, `${where}.game_name`),
});

// A player's state, as game_start and game_flux carry it (docs/protocol.md "game_flux response").
function playerState(msg, where) {
  const at = (field) => `${where}.${field}`;
  const fx = expectCount(msg.fx ?? 0, at('fx'));
  return {
    ...stamped(msg, where),
    user_blocks: rows(msg.user_blocks, at('user_blocks')),
    user_hidden: hidden(msg.user_hidden, at('user_hidden')),
    next_block: list(msg.next_block, at('next_block'), letter),
    piece_index: expectCount(msg.piece_index, at('piece_index')),
    hold: absent(msg.hold) ? null : letter(msg.hold, at('hold')),
    hold_index: countOrNull(msg.hold_index, at('hold_index')),
    ack: expectCount(msg.ack, at('ack')),
    rejected: lockRejection(msg.rejected, at('rejected')),
    combo: expectCount(msg.combo ?? -1, at('combo'), -1),
    b2b: flag(msg.b2b, at('b2b')),
    lines: expectCount(msg.lines ?? 0, at('lines')),
    user_score: expectCount(msg.user_score, at('user_score')),
    fx,
    effects: effects(msg.effects ?? [], at('effects'), fx),
    powers_available: list(msg.powers_available ?? [], at('powers_available'), power),
    power_ack: expectCount(msg.power_ack ?? 0, at('power_ack')),
    power_rejected: powerRejection(msg.power_rejected, at('power_rejected')),
    power_applied: list(msg.power_applied ?? [], at('power_applied'), hit),
    garbage_sent: countOrNull(msg.garbage_sent, at('garbage_sent')),
    // What this player sees of the opponent and the clock; null: not in this message.
    time_left: countOrNull(msg.time_left, at('time_left')),
    opponent_blocks: absent(msg.opponent_blocks) ? null
      : rows(msg.opponent_blocks, at('opponent_blocks')),
    // '' when left out: none, or a datagram too large for them (drawing only; docs/protocol.md)
    opponent_hidden: hidden(msg.opponent_hidden, at('opponent_hidden')),
    opponent_score: countOrNull(msg.opponent_score, at('opponent_score')),
    opponent_lines: countOrNull(msg.opponent_lines, at('opponent_lines')),
    opponent_pieces: countOrNull(msg.opponent_pieces, at('opponent_pieces')),
    opponent_away: flag(msg.opponent_away, at('opponent_away')),
    // ms until the away opponent loses (null: not away, or a server that does not say)
    opponent_away_ms: countOrNull(msg.opponent_away_ms, at('opponent_away_ms')),
    watchers: expectCount(msg.watchers ?? 0, at('watchers')),
  };
}

// One parser per command the server sends; a new command is one more entry.
const PARSERS = {
  waiting: (msg) => ({
    ...stamped(msg, 'waiting'),
    self: text(msg.self, 'waiting.self'),
    opponent: textOrNull(msg.opponent, 'waiting.opponent'),
    token: textOrNull(msg.token, 'waiting.token'),
    queue: textOrNull(msg.queue, 'waiting.queue'),
    queued_ms: countOrNull(msg.queued_ms, 'waiting.queued_ms'),
  }),
  game_start: (msg) => ({
    ...playerState(msg, 'game_start'),
    self: text(msg.self, 'game_start.self'),
    opponent: text(msg.opponent, 'game_start.opponent'),
    token: text(msg.token, 'game_start.token'),
    // The server's rules version (docs/rules.md "Rules version"); null from a server too old
    // to say, which session.js treats as another version.
    rules: countOrNull(msg.rules, 'game_start.rules'),
    countdown_ms: expectCount(msg.countdown_ms ?? 0, 'game_start.countdown_ms'),
  }),
  game_flux: (msg) => ({
    ...playerState(msg, 'game_flux'),
    power_used: absent(msg.power_used) ? null : power(msg.power_used, 'game_flux.power_used'),
    echo: countOrNull(msg.echo, 'game_flux.echo'),
  }),
  game_end: (msg) => ({
    ...stamped(msg, 'game_end'),
    winner: textOrNull(msg.winner, 'game_end.winner'),
    score: scores(msg.score, 'game_end.score'),
    reason: text(msg.reason, 'game_end.reason'),
    top_out: textOrNull(msg.top_out, 'game_end.top_out'), // lock_out | block_out | garbage
    user_score: countOrNull(msg.user_score, 'game_end.user_score'),
    opponent_score: countOrNull(msg.opponent_score, 'game_end.opponent_score'),
    left: flag(msg.left, 'game_end.left'),
    stats: stats(msg.stats, 'game_end.stats'),
    fields: fieldsByName(msg.fields, 'game_end.fields'),
  }),
  match_info: (msg) => ({
    ...stamped(msg, 'match_info'),
    state: oneOf(msg.state, MATCH_STATES, 'match_info.state'),
    players: names(msg.players, 'match_info.players'),
    invited: textOrNull(msg.invited, 'match_info.invited'),
    winner: textOrNull(msg.winner, 'match_info.winner'),
    score: scores(msg.score ?? {}, 'match_info.score'),
    reason: textOrNull(msg.reason, 'match_info.reason'),
    rematch: textOrNull(msg.rematch, 'match_info.rematch'),
    watchers: expectCount(msg.watchers ?? 0, 'match_info.watchers'),
  }),
  rematch: (msg) => ({
    ...stamped(msg, 'rematch'),
    state: oneOf(msg.state, REMATCH_STATES, 'rematch.state'),
    from: textOrNull(msg.from, 'rematch.from'),
    next: textOrNull(msg.next, 'rematch.next'),
  }),
  challenges: (msg) => ({
    timestamp: expectCount(msg.timestamp, 'challenges.timestamp'),
    self: text(msg.self, 'challenges.self'),
    from: names(msg.from, 'challenges.from'),
  }),
  spectate: (msg) => {
    const players = list(msg.players, 'spectate.players', watchedPlayer);
    if (players.length !== 2) fail('spectate.players', 'two players', msg.players);
    return {
      ...stamped(msg, 'spectate'),
      players,
      time_left: expectCount(msg.time_left ?? 0, 'spectate.time_left'),
      countdown_ms: expectCount(msg.countdown_ms ?? 0, 'spectate.countdown_ms'),
      log: list(msg.log ?? [], 'spectate.log', battleEvent),
    };
  },
  // Errors carry no timestamp (docs/protocol.md "Errors"); one that does is ordered like the rest.
  error: (msg) => ({
    timestamp: countOrNull(msg.timestamp, 'error.timestamp'),
    reason: text(msg.reason, 'error.reason'),
    detail: absent(msg.detail) ? null : String(msg.detail),
  }),
};

/** The checked, normalised copy of a server message; a TypeError saying what is wrong. */
export function parseServerMessage(msg) {
  if (PARSED.has(msg)) return msg;
  if (!isObject(msg)) fail('server message', 'a JSON object', msg);
  const parse = Object.hasOwn(PARSERS, msg.command) ? PARSERS[msg.command] : null;
  if (parse === null) fail('server message command', Object.keys(PARSERS).join(' | '), msg.command);
  const parsed = Object.freeze({ command: msg.command, ...parse(msg) });
  PARSED.add(parsed);
  return parsed;
}

/**
 * docs/protocol.md, Conventions: "Only a packet newer than the last one applied may change state".
 * The server stamps everything it sends a seat strictly increasing, so a parsed message whose
 * timestamp is not newer than the newest accepted is a replay; one without (an error) passes.
 */
export class TimestampFilter {
  constructor() {
    this.lastApplied = -Infinity;
  }

  /** True when the parsed `msg` may be applied; a stamped one also moves the mark forward. */
  accept(msg) {
    if (msg.timestamp === null) return true;
    if (msg.timestamp <= this.lastApplied) return false;
    this.lastApplied = msg.timestamp;
    return true;
  }
}
