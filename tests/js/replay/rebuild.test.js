// The JavaScript rebuild of a replay (static/js/replay/rebuild.js) against the recorded matches
// of tests/vectors/replays.json (written by the Python rules from tests/vectors/replay_cases.py):
// every lock's field check, the final fields, scores and winner must be the file's; a tampered
// file must be caught, saying where.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { endSummary } from '../../../static/js/messages.js';
import { crc32 } from '../../../static/js/replay/crc32.js';
import { parseReplay } from '../../../static/js/replay/format.js';
import { fieldCrc, rebuildReplay, sideStats } from '../../../static/js/replay/rebuild.js';
import { endMessage, noteText, verdictText } from '../../../static/js/replay/view.js';
import { Field } from '../../../static/js/rules/field.js';
import { loadVectors } from '../vectors.js';

const CASES = loadVectors('replays.json');
const copy = (value) => JSON.parse(JSON.stringify(value));
const byName = (name) => copy(CASES.find((c) => c.name === name).replay);
const lockIndexes = (doc, p) => doc.events
  .flatMap((e, k) => (e[1] === 'l' && e[2] === p ? [k] : []));

test('CRC-32 is zlib\'s: its check value, and the empty field as server/replay.py has it', () => {
  assert.equal(crc32('123456789'), 0xCBF43926);
  assert.equal(fieldCrc(Field.empty()), 2983168383); // zlib.crc32(b'.' * 400)
});

describe('replays.json: the JavaScript rules rebuild what Python recorded', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const rebuild = rebuildReplay(parseReplay(JSON.stringify(c.replay)));
      assert.deepEqual(rebuild.mismatches, []);
      assert.equal(rebuild.stoppedAt, null);
      assert.equal(rebuild.states.length, c.replay.events.length + 1);
      assert.equal(rebuild.locks, c.replay.events.filter((e) => e[1] === 'l').length);
      const [a, b] = c.replay.players;
      assert.deepEqual({ [a]: rebuild.final[0].board.score, [b]: rebuild.final[1].board.score },
        c.final.score);
      assert.deepEqual(rebuild.final.map((side) => ({
        field: side.board.field.toRows(), hidden: side.board.field.hiddenHex(),
      })), c.final.fields);
      const topped = rebuild.final.findIndex((side) => side.topOut !== null);
      if (c.final.reason === 'top_out') assert.equal(c.final.winner, c.replay.players[1 - topped]);
      else assert.equal(topped, -1);
      assert.deepEqual(verdictText(rebuild).ok, true);
    });
  }

  test('the cases cover a draw, powers with forced effects, and a top-out', () => {
    const events = CASES.flatMap((c) => c.replay.events);
    assert.ok(CASES.some((c) => c.final.winner === null));
    assert.ok(CASES.some((c) => c.final.reason === 'top_out'));
    for (const kind of ['l', 'p', 'e', 'f']) assert.ok(events.some((e) => e[1] === kind), kind);
    assert.ok(events.some((e) => e[1] === 'e' && e[3].kind === 'switch'));
  });
});

describe('a tampered replay is caught, saying where', () => {
  test('a lock moved one column: refused where it collides, else its field check differs', () => {
    const outcomes = new Set();
    for (const k of lockIndexes(byName('quiet'), 1)) {
      const doc = byName('quiet');
      doc.events[k][6] += 1; // x; the recorded check is of the real field
      const rebuild = rebuildReplay(parseReplay(doc));
      const [first] = rebuild.mismatches;
      const n = lockIndexes(doc, 1).indexOf(k);
      assert.equal(first.where, `bob's lock ${n} (events[${k}], t ${doc.events[k][0]} ms)`);
      if (rebuild.stoppedAt !== k) { // the rules play on from their own field
        assert.match(first.what,
          /^the field after it differs: the file's check is \d+, the rules' is \d+$/);
        outcomes.add('differs');
      } else {
        assert.equal(first.what, 'the rules refuse it (lock: the piece does not fit (collision))');
        outcomes.add('refused');
      }
      assert.equal(verdictText(rebuild).ok, false);
      assert.ok(verdictText(rebuild).text.startsWith(
        `This replay does not match the JavaScript rules: bob's lock ${n} `));
    }
    assert.deepEqual([...outcomes].sort(), ['differs', 'refused']);
  });

  test('a changed field check names both checks', () => {
    const doc = byName('tower');
    const k = lockIndexes(doc, 0)[3];
    doc.events[k][9] = (doc.events[k][9] + 1) % 2 ** 32;
    const rebuild = rebuildReplay(parseReplay(doc));
    assert.deepEqual(rebuild.mismatches, [{
      where: `alice's lock 3 (events[${k}], t ${doc.events[k][0]} ms)`,
      what: `the field after it differs: the file's check is ${doc.events[k][9]}, the rules' is `
        + `${(doc.events[k][9] + 2 ** 32 - 1) % 2 ** 32}`,
    }]);
  });

  test('a changed score: the result says whose and both values', () => {
    const doc = byName('battle');
    doc.result.boards[1].score += 100;
    const rebuild = rebuildReplay(parseReplay(doc));
    assert.deepEqual(rebuild.mismatches, [{
      where: "result: bob's score", what: 'the file says 1000, the rules say 900',
    }]);
  });

  test('a changed winner and a wrong top-out are told', () => {
    const doc = byName('tower');
    doc.result.winner = 'bob';
    doc.result.boards[1].top_out = null;
    const wheres = rebuildReplay(parseReplay(doc)).mismatches.map((m) => m.where);
    assert.deepEqual(wheres, ["result: bob's top-out", 'result: the winner']);
  });

  test('a lock of the wrong piece is refused and the replay stops there', () => {
    const doc = byName('quiet');
    const k = lockIndexes(doc, 0)[2];
    doc.events[k][4] = doc.events[k][4] === 'I' ? 'O' : 'I';
    const rebuild = rebuildReplay(parseReplay(doc));
    assert.equal(rebuild.stoppedAt, k);
    assert.equal(rebuild.states.length, k + 1);
    assert.match(rebuild.mismatches[0].what,
      /^the rules refuse it \(wrong_piece: piece \d+ is [IJLOSTZ], not [IO]\)$/);
    assert.match(verdictText(rebuild).text, /The replay stops there\.$/);
  });

  test('an effect out of order is refused', () => {
    const doc = byName('battle');
    const k = doc.events.findIndex((e) => e[1] === 'e');
    doc.events[k][3].id += 1;
    const rebuild = rebuildReplay(parseReplay(doc));
    assert.equal(rebuild.stoppedAt, k);
    assert.match(rebuild.mismatches[0].where,
      /^effect \d+ for (alice|bob) \(events\[\d+\], t \d+ ms\)$/);
  });
});

test('the end statistics and the battle log come from the rebuild', () => {
  const doc = byName('battle');
  const rebuild = rebuildReplay(parseReplay(doc));
  const summary = endSummary(endMessage(rebuild), null);
  assert.equal(summary.title, 'alice wins');
  assert.deepEqual(summary.scores, [{ name: 'alice', score: 3450 }, { name: 'bob', score: 900 }]);
  const [alice, bob] = summary.stats;
  assert.deepEqual(alice, sideStats(rebuild.final[0], doc.result.t));
  assert.equal(alice.pieces, doc.result.boards[0].pieces);
  assert.equal(alice.sent, doc.result.boards[0].garbage_sent);
  assert.equal(bob.received, alice.sent); // all of alice's garbage landed
  assert.equal(alice.powers, doc.events.filter((e) => e[1] === 'p' && e[2] === 0).length);
  assert.equal(alice.pps, Math.round((alice.pieces / (doc.result.t / 1000)) * 100) / 100);
  const lines = rebuild.notes.map((note) => noteText(note, doc.players)).filter(Boolean);
  assert.ok(lines.some(({ text }) => text === 'alice switched fields with bob'));
  assert.ok(lines.some(({ text }) => /^alice hit bob with (Add Line|Quake)$/.test(text)));
  assert.ok(lines.some(({ text, by }) => /^alice sent bob \d+ lines?$/.test(text) && by === 0));
});
