// Reading replay files (static/js/replay/format.js): anything that is not a replay of this
// format and these rules gets an error naming the part at fault, as server/replay.py's load.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ReplayFileError, parseReplay, replayFileName } from '../../../static/js/replay/format.js';
import { loadVectors } from '../vectors.js';

const GOOD = loadVectors('replays.json').find((c) => c.name === 'battle').replay;
const text = JSON.stringify(GOOD);
const tampered = (change) => {
  const doc = JSON.parse(text);
  change(doc);
  return JSON.stringify(doc);
};
const refused = (input, message) => assert.throws(() => parseReplay(input),
  (error) => error instanceof ReplayFileError && (message instanceof RegExp
    ? message.test(error.message) : error.message === message));

test('a replay file parses, from text or JSON', () => {
  assert.deepEqual(parseReplay(text), GOOD);
  assert.deepEqual(parseReplay(JSON.parse(text)), GOOD);
  assert.equal(replayFileName(GOOD), 'vector-battle.json');
});

test('a file that is not a replay says why', () => {
  refused('{"format": 1, "rules"', /^not JSON: /);
  refused('', /^not JSON: /);
  refused('[1, 2]', 'not a replay: expected a JSON object');
  refused('"replay"', 'not a replay: expected a JSON object');
  refused(tampered((d) => { d.format = 2; }), 'replay format 2: this page reads format 1 only');
  refused(tampered((d) => { delete d.format; }), /^replay format undefined: /);
  refused(tampered((d) => { d.rules = 1; }),
    'recorded under rules version 1; this page plays version 2 only');
  refused('x'.repeat(9 * 1024 * 1024), /^too big for a replay/);
});

test('a wrong part is named', () => {
  refused(tampered((d) => { delete d.events; }), 'replay: missing events');
  refused(tampered((d) => { d.game_name = 'a b'; }), 'game_name: not a game name');
  refused(tampered((d) => { d.seed = -1; }), /^seed: expected an integer in 0\.\.4294967295/);
  refused(tampered((d) => { d.players = ['alice', 'ALICE']; }),
    'players: the two names are the same');
  refused(tampered((d) => { d.players = ['alice']; }), 'players: expected two player names');
  refused(tampered((d) => { d.settings.starting_powers = ['laser']; }),
    /^settings\.starting_powers\[0\]: expected one of add_line/);
  refused(tampered((d) => { d.events[3] = [1, 'l', 0]; }),
    'events[3]: expected [t, kind, player, ...]');
  refused(tampered((d) => { d.events[0][4] = 'X'; }),
    'events[0][4] (piece): expected one of I J L O S T Z, got "X"');
  refused(tampered((d) => { d.events[0][1] = 'z'; }),
    /^events\[0\]\[1\] \(kind\): expected one of/);
  refused(tampered((d) => { d.events[0][2] = 2; }),
    /^events\[0\]\[2\] \(player\): expected an integer in 0\.\.1/);
  refused(tampered((d) => { d.events[0].push(1); }), /^events\[0\]: a lock is /);
  const e = GOOD.events.findIndex((event) => event[1] === 'e');
  refused(tampered((d) => { d.events[e][3].kind = 'laser'; }),
    new RegExp(`^events\\[${e}\\]\\[3\\]\\.kind: expected one of garbage`));
  refused(tampered((d) => { d.result.reason = 'boredom'; }), /^result\.reason: expected one of/);
  refused(tampered((d) => { d.result.winner = 'carol'; }),
    "result.winner: expected a player's name or null");
  refused(tampered((d) => { d.result.boards[1].field.pop(); }),
    'result.boards[1].field: expected 20 rows of 10 cells');
  refused(tampered((d) => { d.result.boards[0].landed[0] = 'x'; }),
    /^result\.boards\[0\]\.landed\[0\]: expected an integer/);
});
