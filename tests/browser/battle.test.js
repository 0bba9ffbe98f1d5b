// The battle in headless Chromium against `block-attack play --starting-powers add_line,quake`
// (both players hold both powers from the start): a power key on one screen puts a garbage row
// into the other player's field and says who did it; a quake shifts their rows as its `shifts`
// say; a tap on an inventory icon uses it; a closed tab shows the seconds it has to come back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  DESKTOP, PHONE, countdownOver, createMatch, fieldRows, inMatch, joinByLink, shot, until,
  withGame,
} from './pages.js';

const env = withGame({ matchSeconds: 60, extraArgs: ['--starting-powers', 'add_line,quake'] });

const powerIcons = (page) => page.$$eval('#powers button[data-power]',
  (buttons) => buttons.map((b) => b.dataset.power));
const log = (page) => page.textContent('#battle-log');
const BOTTOM = [16, 17, 18, 19];

// The effects the server sent this page by id, and the newest `fx` (how many of them the
// server has applied), read from the frames it received.
function recordEffects(page) {
  const seen = { effects: new Map(), fx: 0 };
  page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
    const msg = JSON.parse(payload);
    for (const effect of msg.effects ?? []) seen.effects.set(effect.id, effect);
    if (Number.isInteger(msg.fx)) seen.fx = Math.max(seen.fx, msg.fx);
  }));
  return seen;
}

const rotate = (row, shift) => {
  const k = ((shift % 10) + 10) % 10; // right by `shift`, wrapping (rules.md "quake")
  return row.slice(10 - k) + row.slice(0, 10 - k);
};

describe('powers in the browser', { timeout: 120000 }, () => {
  test('a power key hits the opponent: garbage row, quake shift, and who did it', async () => {
    const alice = await env.pages.open(DESKTOP, env.game.url);
    const link = await createMatch(alice, 'alice');
    const bob = await env.pages.open(PHONE, link);
    const bobSeen = recordEffects(bob);
    await joinByLink(bob, 'bob');
    await Promise.all([countdownOver(alice), countdownOver(bob)]); // powers play from GO
    await until(async () => (await powerIcons(alice)).length === 2);
    assert.deepEqual(await powerIcons(alice), ['add_line', 'quake'], 'oldest first');
    assert.deepEqual(await fieldRows(bob, [19]), ['..........']);

    await alice.keyboard.press('Digit1'); // slot 1: add_line
    await until(async () => (await log(bob)).includes('alice hit you with Add Line'));
    await bob.keyboard.press('Space'); // the lock boundary: the garbage row comes in under it
    await until(async () => {
      const [bottom] = await fieldRows(bob, [19]);
      return bottom.replaceAll('G', '').length === 1 && !bottom.includes('#');
    });
    await until(async () => (await log(alice)).includes('You hit bob with Add Line'));
    assert.deepEqual(await powerIcons(alice), ['quake']);
    await shot(alice, 'power-sent');
    await shot(bob, 'power-hit');

    const before = await fieldRows(bob, BOTTOM);
    assert.ok(before.join('').includes('#'), `bob's piece sits on the garbage: ${before}`);
    await alice.keyboard.press('Digit1'); // slot 1 is the quake now
    await until(async () => (await log(bob)).includes('alice hit you with Quake'));
    const quake = [...bobSeen.effects.values()].find((effect) => effect.kind === 'quake');
    const expected = before.map((row, k) => rotate(row, quake.shifts[BOTTOM[k]]));
    // bob does not lock: the server applies the quake after its grace period (5 s)
    await until(() => bobSeen.fx >= quake.id, 15000);
    await until(async () => (await fieldRows(bob, BOTTOM)).join() === expected.join());
    await shot(bob, 'power-quake');
    assert.deepEqual([...alice.problems, ...bob.problems], []);
  });

  test('a tap uses an icon; the legend folds out; a closed tab is told', async () => {
    const alice = await env.pages.open(DESKTOP, env.game.url);
    const link = await createMatch(alice, 'carol');
    const bob = await env.pages.open(PHONE, link);
    await joinByLink(bob, 'dave');
    await Promise.all([countdownOver(alice), countdownOver(bob)]); // powers play from GO
    await until(async () => (await powerIcons(bob)).length === 2);
    await bob.tap('#powers button[data-slot="1"]'); // the second icon: quake
    await until(async () => (await log(alice)).includes('dave hit you with Quake'));
    await until(async () => (await log(bob)).includes('You hit carol with Quake'));
    assert.deepEqual(await powerIcons(bob), ['add_line']);
    await bob.keyboard.press('Digit2'); // an empty slot now
    await bob.waitForSelector('#toast:not([hidden])');
    assert.equal(await bob.textContent('#toast'), 'No power in slot 2');
    await shot(bob, 'power-tap-phone');

    await alice.click('.legend summary');
    assert.ok(await alice.isVisible('#legend-match'));
    assert.match(await alice.textContent('#legend-match'), /Shifts your opponent’s rows/);
    await shot(alice, 'legend-desktop');
    await alice.click('.legend summary');
    assert.equal(await alice.isVisible('#legend-match'), false);

    await bob.context().close();
    await alice.waitForSelector('#opponent-away:not([hidden])');
    // the note counts down the closed tab's short grace (opponent_away_ms)
    assert.match(await alice.textContent('#opponent-away'), /^\S+ is away — loses in [1-3] s$/);
    await shot(alice, 'opponent-away');
    assert.deepEqual(alice.problems, []);
  });

  test('a silent server shows "no reply" over the field, and the game comes back', async () => {
    const alice = await env.pages.open(DESKTOP, env.game.url);
    const link = await createMatch(alice, 'erin');
    const bob = await env.pages.open(DESKTOP, link);
    await joinByLink(bob, 'frank');
    await Promise.all([inMatch(alice), inMatch(bob)]);
    await until(async () => / · \d+ ms$/.test(await alice.textContent('#conn-text')));
    env.game.pause();
    try {
      await alice.waitForSelector('#link-banner:not([hidden])', { timeout: 10000 });
      const banner = await alice.textContent('#link-banner');
      assert.match(banner, /^No reply for \d+ s — retrying…$/);
      assert.equal(await alice.getAttribute('#conn', 'data-state'), 'poor');
      assert.match(await alice.textContent('#conn-text'), /^no reply for \d+ s$/);
      await alice.keyboard.press('Space'); // the game plays on while the link is silent
      await shot(alice, 'no-reply');
    } finally {
      env.game.resume();
    }
    await alice.waitForSelector('#link-banner', { state: 'hidden', timeout: 10000 });
    await until(async () => await alice.getAttribute('#conn', 'data-state') === 'online');
    assert.deepEqual([...alice.problems, ...bob.problems], []);
  });

  test('the powers legend is on the home page, phones included', async () => {
    const page = await env.pages.open(PHONE, env.game.url);
    const names = await page.$$eval('#legend-home b', (items) => items.map((b) => b.textContent));
    assert.deepEqual(names, ['Add Line', 'Clear Line', 'Quake', 'Gravity', 'Switch', 'Nuke']);
    assert.match(await page.textContent('#legend-home'), /Swaps fields with your opponent/);
    await shot(page, 'home-phone');
  });
});
