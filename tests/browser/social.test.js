// Issue 11 in headless Chromium against `block-attack play` on loopback: the countdown, the
// rematch (accepted, then declined), quick match, a challenge accepted from the start page, and a
// spectator watching a match to its end. Screenshots go to tests/screenshots/ for a look.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  DESKTOP, PHONE, countdownOver, createMatch, inMatch, joinByLink, shot, until, withGame,
} from './pages.js';
import { ONE_ADDRESS } from './loopback.js';

// Short matches; the server's default 3 s countdown.
const env = withGame({ matchSeconds: 6, extraArgs: ['--countdown-seconds', '3', ...ONE_ADDRESS] });
const openPage = (options, url = env.game.url) => env.pages.open(options, url);
const visible = (page, selector) => page.waitForSelector(`${selector}:not([hidden])`);
const text = (page, selector) => page.textContent(selector);
const ended = (page) => visible(page, '#view-end');

// Pixels of piece colour on a canvas below its top fifth (the NEXT previews are grey-boxed
// pieces too, so only the well's lower part counts): the well is grey-blue, pieces are not.
const colouredPixels = (page, selector) => page.$eval(selector, (canvas) => {
  const top = Math.floor(canvas.height / 2);
  const { data } = canvas.getContext('2d').getImageData(0, top, canvas.width, canvas.height - top);
  let count = 0;
  for (let k = 0; k < data.length; k += 4) {
    const [r, g, b] = [data[k], data[k + 1], data[k + 2]];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 100) count += 1;
  }
  return count;
});

// Two players in a match, its countdown running.
async function pair(hostName, guestName, guestOptions = DESKTOP) {
  const host = await openPage(DESKTOP);
  const link = await createMatch(host, hostName);
  const guest = await openPage(guestOptions, link);
  await joinByLink(guest, guestName);
  await Promise.all([inMatch(host), inMatch(guest)]);
  return [host, guest];
}

describe('the social loop in the browser', { timeout: 180000 }, () => {
  test('a countdown, then a rematch accepted and one declined', async () => {
    const [alice, bob] = await pair('alice', 'bob');
    // 3-2-1 over the field; nothing falls and no key plays before GO
    await visible(alice, '#countdown');
    assert.match(await text(alice, '#countdown'), /^[123]$/);
    await shot(alice, 'countdown');
    await alice.keyboard.press('Space');
    const early = alice.sent.filter(({ msg }) => msg.command === 'game_flux'
      && msg.locks.length > 0);
    assert.deepEqual(early, [], 'a hard drop during the countdown locks nothing');
    await until(async () => (await text(alice, '#countdown')) === 'GO', 5000);
    await alice.keyboard.press('Space');
    await until(() => alice.sent.some(({ msg }) => msg.command === 'game_flux'
      && msg.locks.length > 0));

    await Promise.all([ended(alice), ended(bob)]);
    // the statistics come from the server's books: both pages show the same numbers
    const stats = (page) => page.$$eval('#end-stats tr', (rows) => rows.map((row) => [...row.cells]
      .map((cell) => cell.textContent)));
    const [aStats, bStats] = [await stats(alice), await stats(bob)];
    assert.ok(aStats.length >= 8, 'a row per figure');
    const byName = (rows) => {
      const names = rows[0].slice(1);
      return Object.fromEntries(names.map((name, k) => [name, rows.slice(1).map((r) => r[k + 1])]));
    };
    assert.deepEqual(byName(aStats), byName(bStats));
    assert.equal(await alice.isVisible('#end-fields'), true, 'the final fields');
    await shot(alice, 'end-stats');

    const firstUrl = alice.url();
    await alice.click('#rematch-button');
    await until(async () => /wants a rematch/.test(await text(bob, '#rematch-status')));
    assert.equal(await text(bob, '#rematch-status'), 'alice wants a rematch');
    await shot(bob, 'rematch-offer');
    await bob.click('#rematch-accept');
    await Promise.all([countdownOver(alice), countdownOver(bob)]);
    assert.notEqual(alice.url(), firstUrl, 'the URL names the new match');
    assert.equal(alice.url(), bob.url(), 'both pages moved to the same match');
    assert.equal(await text(alice, '#them-name'), 'bob');
    await shot(alice, 'rematch-started');

    await Promise.all([ended(alice), ended(bob)]);
    await alice.click('#rematch-button');
    await visible(bob, '#rematch-offer');
    await bob.click('#rematch-decline');
    await until(async () => (await text(alice, '#rematch-status')) === 'bob declined the rematch.');
    await shot(alice, 'rematch-declined');
    assert.deepEqual([...alice.problems, ...bob.problems], []);
  });

  test('two quick-matchers are paired', async () => {
    const carol = await openPage(DESKTOP);
    await carol.fill('#name', 'carol');
    await carol.click('#quick-button');
    await visible(carol, '#queued');
    await until(async () => (await text(carol, '#queued-time')) !== '0:00', 3000);
    await shot(carol, 'quick-waiting');
    const dave = await openPage(PHONE);
    await dave.fill('#name', 'dave');
    await dave.click('#quick-button');
    await Promise.all([countdownOver(carol), countdownOver(dave)]);
    assert.equal(await text(carol, '#them-name'), 'dave');
    assert.equal(await text(dave, '#them-name'), 'carol');
    await shot(dave, 'quick-paired-phone');
    assert.deepEqual([...carol.problems, ...dave.problems], []);
  });

  test('a challenge is shown on the start page and accepted there', async () => {
    const erin = await openPage(DESKTOP);
    await erin.fill('#name', 'erin');
    await erin.fill('#opponent', 'frank');
    await erin.click('#challenge-button');
    await visible(erin, '#view-waiting');
    const frank = await openPage(DESKTOP);
    await frank.fill('#name', 'frank');
    await visible(frank, '#challenged-box');
    assert.equal(await text(frank, '#challenged-text'), 'erin challenged you.');
    await shot(frank, 'challenged');
    await frank.click('#challenged-accept');
    await Promise.all([countdownOver(erin), countdownOver(frank)]);
    assert.equal(await text(frank, '#them-name'), 'erin');
    assert.deepEqual([...erin.problems, ...frank.problems], []);
  });

  test('a spectator watches a match to its end', async () => {
    const [gina, hal] = await pair('gina', 'hal');
    const link = gina.url();
    const ivy = await openPage(DESKTOP, link);
    await visible(ivy, '#message-actions button');
    assert.equal(await text(ivy, '#message-title'), 'gina vs hal are playing');
    await ivy.click('#message-actions button');
    await visible(ivy, '#view-watch');
    await until(async () => (await text(ivy, '#watch-a-name')) !== '');
    const names = [await text(ivy, '#watch-a-name'), await text(ivy, '#watch-b-name')];
    assert.deepEqual(names.sort(), ['gina', 'hal']);
    await until(async () => (await text(gina, '#watchers')) === '1 watching');
    await countdownOver(gina);
    for (const key of ['Space', 'Space', 'Space']) {
      await gina.keyboard.press(key);
      await gina.waitForTimeout(150);
    }
    // gina's locks show on her field as the spectator sees it, live
    const side = (await text(ivy, '#watch-a-name')) === 'gina' ? 'a' : 'b';
    await until(async () => await colouredPixels(ivy, `#watch-${side}-canvas`) > 0);
    assert.equal(await ivy.isVisible('#view-watch'), true, 'still live');
    await shot(ivy, 'watching');
    await ended(ivy);
    assert.match(await text(ivy, '#end-title'), /^(gina wins|hal wins|Draw)$/);
    assert.equal(await ivy.isVisible('#rematch-button'), false, 'a spectator has no rematch');
    await shot(ivy, 'watched-end');
    assert.deepEqual([...gina.problems, ...hal.problems, ...ivy.problems], []);
  });
});
