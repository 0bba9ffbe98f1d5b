// The battle as the browser shows it: the words for what hit whom (each once), the animations of
// effects, the power table, the power keys, and a match that uses powers and takes effects
// (docs/protocol.md "Battle: effects and powers").
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { DURATION_MS, FieldAnimations, stillFrame } from '../../static/js/animations.js';
import { BattleFeed } from '../../static/js/battle.js';
import { newMatch as newTestMatch } from './match-harness.js';
import { POWER_INFO, legendRows, powerLabel } from '../../static/js/powers.js';
import {
  MAX_SHOWN_HIDDEN, hiddenRowsShown, opponentLayout, playerLayout,
} from '../../static/js/render.js';
import { Field } from '../../static/js/rules/field.js';
import { POWERS } from '../../static/js/rules/effects.js';
import {
  defaultSettings, keyMap, powerSlot, sanitize,
} from '../../static/js/settings.js';

const says = (events) => events.filter((e) => e.type === 'say').map((e) => e.text);
const toasts = (events) => events.filter((e) => e.type === 'toast').map((e) => e.text);

describe('BattleFeed', () => {
  const feed = () => new BattleFeed({ self: 'alice', opponent: 'bob' });

  test('a power that hits you is told once, from power_applied or from the effect', () => {
    const f = feed();
    const hit = { power_applied: [{ id: 4, power: 'quake', from: 'bob' }] };
    f.server(hit);
    f.server(hit); // repeated in every response for 3 s
    f.applied([{ id: 4, kind: 'quake', from: 'bob', shifts: Array(20).fill(0) }]);
    assert.deepEqual(says(f.take()), ['bob hit you with Quake']);
    f.applied([{ id: 5, kind: 'add_line', from: 'bob', hole: 2 }]); // power_applied left out
    f.applied([{ id: 6, kind: 'switch', from: 'bob', rows: [] }]);
    assert.deepEqual(says(f.take()), ['bob hit you with Add Line', 'bob switched fields with you']);
  });

  test('garbage is told when it lands, with its line count; cancelled garbage is not', () => {
    const f = feed();
    f.applied([{ id: 1, kind: 'garbage', from: 'bob', lines: 2, hole: 0 },
      { id: 2, kind: 'garbage', from: 'bob', lines: 0, hole: 0 },
      { id: 3, kind: 'garbage', from: 'bob', lines: 1, hole: 0 }]);
    assert.deepEqual(f.take().map(({ text, tone }) => [text, tone]),
      [['bob sent you 2 lines', 'hit'], ['bob sent you 1 line', 'hit']]);
  });

  test('your own uses are told when the server handles them, by whom they hit', () => {
    const f = feed();
    f.used({ n: 0, power: 'add_line' });
    f.used({ n: 1, power: 'nuke' });
    f.used({ n: 2, power: 'switch' });
    f.server({ power_ack: 0 });
    assert.deepEqual(f.take(), []);
    f.server({ power_ack: 2 });
    assert.deepEqual(f.take(), [
      { type: 'say', text: 'You hit bob with Add Line', tone: 'sent' },
      { type: 'say', text: 'You used Nuke', tone: 'self' },
    ]);
    // the nuke lands on your own field: no second line for it
    f.applied([{ id: 1, kind: 'nuke', from: 'alice' }]);
    f.server({ power_ack: 3, power_applied: [{ id: 1, power: 'nuke', from: 'alice' }] });
    assert.deepEqual(says(f.take()), ['You switched fields with bob']);
  });

  test('a refused use is a toast, never a "You used"', () => {
    const f = feed();
    f.used({ n: 0, power: 'nuke' });
    f.server({ power_ack: 1 }, [{ n: 0, power: 'nuke', reason: 'not_held' }]);
    f.server({ power_ack: 1 });
    assert.deepEqual(f.take(), [{ type: 'toast', text: "You don't hold Nuke" }]);
    f.server({}, [{ n: 5, power: null, reason: 'weird' }]);
    assert.deepEqual(toasts(f.take()), ['That power was refused (weird)']);
  });

  test('lines your attacks send are told as garbage_sent grows, not at the first message', () => {
    const f = feed();
    f.server({ garbage_sent: 3 }); // a rejoin: what was sent before is old news
    f.server({ garbage_sent: 3 });
    f.server({ garbage_sent: 7 });
    f.server({ garbage_sent: 'x' });
    assert.deepEqual(f.take(), [{ type: 'say', text: 'You sent bob 4 lines', tone: 'sent' }]);
  });

  test('junk in power_applied is skipped', () => {
    const f = feed();
    f.server({ power_applied: [null, 7, { id: 'x', power: 'quake' }, { id: 2, power: 9 }] });
    f.server({ power_applied: 'nope' });
    assert.deepEqual(f.take(), []);
  });
});

describe('FieldAnimations', () => {
  test('nothing running draws the still frame', () => {
    const a = new FieldAnimations();
    assert.deepEqual(a.frame(0), stillFrame());
    a.add({ kind: 'unknown' }, 0);
    a.add(null, 0);
    assert.equal(a.active, false);
  });

  test('garbage starts low by its lines and rises into place', () => {
    const a = new FieldAnimations();
    a.add({ kind: 'garbage', lines: 3 }, 1000);
    assert.equal(a.frame(1000).rise, 3);
    const mid = a.frame(1000 + DURATION_MS.garbage / 2).rise;
    assert.ok(mid > 0 && mid < 3, String(mid));
    assert.deepEqual(a.frame(1000 + DURATION_MS.garbage), stillFrame());
    assert.equal(a.active, false, 'finished animations are dropped');
  });

  test('each kind moves something, and all end', () => {
    for (const kind of ['quake', 'add_line', 'nuke', 'switch', 'gravity', 'clear_line']) {
      const a = new FieldAnimations();
      a.add({ kind }, 0);
      const frames = [0.1, 0.25, 0.4].map((p) => a.frame(p * DURATION_MS[kind]));
      assert.ok(frames.some((f) => JSON.stringify(f) !== JSON.stringify(stillFrame())), kind);
      assert.deepEqual(a.frame(DURATION_MS[kind] + 1), stillFrame(), kind);
    }
  });

  test('a burst keeps at most the newest few', () => {
    const a = new FieldAnimations();
    for (let k = 0; k < 50; k += 1) a.add({ kind: 'add_line' }, 0);
    assert.ok(a.frame(0).rise <= 8);
  });
});

describe('powers and their keys', () => {
  test('every power has a label, a target, words and an icon; the legend lists all six', () => {
    for (const power of POWERS) {
      const info = POWER_INFO[power];
      assert.ok(info.label && info.what && info.icon.length > 0, power);
      assert.ok(['self', 'opponent', 'both'].includes(info.target), power);
    }
    assert.deepEqual(legendRows().map((row) => row.power), [...POWERS]);
    assert.equal(powerLabel('clear_line'), 'Clear Line');
    assert.equal(powerLabel('mystery'), 'mystery');
  });

  test('keys 1–6 use slots 1–6 by default', () => {
    const map = keyMap(defaultSettings().bindings);
    assert.deepEqual(['Digit1', 'Digit6'].map((code) => powerSlot(map.get(code))), [0, 5]);
    assert.equal(powerSlot('hold'), null);
    assert.equal(powerSlot('power7'), null);
  });

  test('settings saved before powers existed keep the keys the player chose', () => {
    const old = defaultSettings();
    delete old.bindings.power1;
    delete old.bindings.power2;
    old.bindings.hold = ['Digit1'];
    const settings = sanitize(JSON.parse(JSON.stringify(old)));
    assert.deepEqual(settings.bindings.hold, ['Digit1']);
    assert.deepEqual(settings.bindings.power1, [], 'Digit1 stays with hold');
    assert.deepEqual(settings.bindings.power2, ['Digit2']);
  });
});

test('playerLayout centres the field with a meter gap between hold and well', () => {
  const { cell, left, x0, y0 } = playerLayout(1000, 1100);
  assert.equal(cell, 49);
  assert.equal(x0 - left, 5 * cell);
  assert.equal(y0, Math.floor((1100 - 22 * cell) / 2) + 2 * cell);
});

test('occupied hidden rows are drawn above the field, all of them up to a clip', () => {
  const rows = Array(20).fill('..........');
  const field = (hidden) => Field.fromRows(rows, hidden);
  assert.equal(hiddenRowsShown(field('')), 0, 'the opponent view adds none when there are none');
  assert.equal(hiddenRowsShown(field(''), 2), 2, 'the player always has the spawn rows');
  assert.equal(hiddenRowsShown(field('001000000'), 2), 3, 'from the highest occupied row down');
  assert.equal(hiddenRowsShown(field('001'.repeat(20)), 2), MAX_SHOWN_HIDDEN);
  for (const shown of [2, 5, MAX_SHOWN_HIDDEN]) {
    const { cell, y0 } = playerLayout(1000, 1100, shown);
    assert.ok(y0 - shown * cell >= 0 && y0 + 20 * cell <= 1100, `${shown} rows fit the canvas`);
    const them = opponentLayout(300, 500, shown);
    assert.ok(them.y0 - (1.6 + shown) * them.cell >= 0, 'and the name above them');
    assert.ok(them.y0 + 20 * them.cell <= 500);
  }
  assert.ok(playerLayout(1000, 1100, 8).cell < playerLayout(1000, 1100).cell, 'the well shrinks');
});

describe('a match with powers and effects', () => {
  const EMPTY = Array(20).fill('..........');
  const start = (overrides = {}) => ({
    timestamp: 1000, command: 'game_start', game_name: 'G'.repeat(22), self: 'alice',
    opponent: 'bob', user_blocks: EMPTY, opponent_blocks: EMPTY,
    next_block: ['T', 'I', 'O', 'S', 'Z', 'J', 'L', 'I', 'T', 'O', 'Z', 'S', 'L', 'J'],
    time_left: 180000, user_score: 0, opponent_score: 0, token: 'tok', piece_index: 0, ack: 0,
    powers_available: ['add_line', 'nuke'], ...overrides,
  });
  const flux = (timestamp, overrides) => ({ ...start(), command: 'game_flux', timestamp,
    ...overrides });

  const newMatch = () => newTestMatch(start(), { warn: (text) => { throw new Error(text); } });

  test('a power key sends the use at once and repeats it until the server handles it', () => {
    const { match, sent } = newMatch();
    assert.deepEqual(match.powers, ['add_line', 'nuke']);
    assert.equal(match.usePower(0, 10), true);
    assert.deepEqual(match.powers, ['nuke'], 'shown as spent at once');
    assert.deepEqual([sent[0].power_used, sent[0].power_n], ['add_line', 0]);
    match.tick(60);
    assert.equal(sent.length, 1);
    match.tick(210); // waiting for an ack: resent after 100-200 ms (messages.js FluxSchedule)
    assert.deepEqual([sent[1].power_used, sent[1].power_n], ['add_line', 0]);
    match.apply(flux(2000, { powers_available: ['nuke'], power_ack: 1 }), 220);
    assert.deepEqual(says(match.takeEvents()), ['You hit bob with Add Line']);
    match.tick(1210);
    assert.equal(sent[2].power_used, null);
    assert.equal('power_n' in sent[2], false);
  });

  test('the opponent\'s hidden rows come and go with their field', () => {
    const { match, sent } = newMatch();
    const theirs = ['GGGGG.GGGG', ...EMPTY.slice(1)].reverse();
    match.apply(flux(2000, { opponent_blocks: theirs, opponent_hidden: '3ff001' }), 10);
    assert.equal(match.opponentView().field.hiddenHex(), '3ff001');
    assert.deepEqual(match.opponentView().field.toRows(), theirs);
    match.apply(flux(2001, { opponent_blocks: undefined }), 20); // not in it: kept as it was
    assert.equal(match.opponentView().field.hiddenHex(), '3ff001');
    match.apply(flux(2002, { opponent_blocks: theirs }), 30); // left out: none any more
    assert.equal(match.opponentView().field.hiddenHex(), '');
    match.sendFlux();
    assert.deepEqual(sent.at(-1).opponent_blocks, theirs, 'the seed field: the visible rows');
  });

  test('an empty slot uses nothing and says so', () => {
    const { match, sent } = newMatch();
    assert.equal(match.usePower(4, 10), false);
    assert.deepEqual(sent, []);
    assert.deepEqual(toasts(match.takeEvents()), ['No power in slot 5']);
  });

  test('a refused use comes back as a toast and the inventory is the server\'s again', () => {
    const { match } = newMatch();
    match.usePower(1, 10);
    match.apply(flux(2000, { powers_available: ['add_line'], power_ack: 1,
      power_rejected: { n: 0, power: 'nuke', reason: 'not_held' } }), 20);
    assert.deepEqual(match.takeEvents(), [{ type: 'toast', text: "You don't hold Nuke" }]);
    assert.deepEqual(match.powers, ['add_line']);
  });

  test('garbage waits in the meter, lands at the next lock, animates and is told', () => {
    const { match } = newMatch();
    match.apply(flux(2000, {
      effects: [{ id: 1, kind: 'garbage', from: 'bob', lines: 2, hole: 7 }],
      power_applied: [],
    }), 100);
    assert.equal(match.playerView(100).incoming, 2);
    assert.deepEqual(match.takeEvents(), []);
    match.handling.press('hardDrop');
    match.step(8, 200);
    const view = match.playerView(200);
    assert.equal(view.incoming, 0);
    assert.equal(view.field.get(0, 19), 'G');
    assert.equal(view.field.get(7, 19), '.');
    assert.equal(view.fx.rise, 2, 'drawn two rows low, about to rise');
    assert.deepEqual(says(match.takeEvents()), ['bob sent you 2 lines']);
    assert.deepEqual(match.playerView(200 + DURATION_MS.garbage).fx, stillFrame());
  });

  test('a quake told by power_applied is not told again when it lands', () => {
    const { match } = newMatch();
    const shifts = Array(20).fill(1);
    match.apply(flux(2000, { effects: [{ id: 1, kind: 'quake', from: 'bob', shifts }],
      power_applied: [{ id: 1, power: 'quake', from: 'bob' }] }), 100);
    assert.deepEqual(says(match.takeEvents()), ['bob hit you with Quake']);
    match.handling.press('hardDrop');
    match.step(8, 200);
    assert.deepEqual(match.takeEvents(), []);
    assert.notEqual(match.playerView(250).fx.shake, 0);
  });
});
