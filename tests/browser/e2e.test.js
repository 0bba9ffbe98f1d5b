// End to end in headless Chromium against `block-attack play` on loopback: two players meet
// through a share link, play with real key presses and touch taps until game_end, and both
// screens agree on the result. Screenshots go to tests/screenshots/ (gitignored) for a look.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  DESKTOP, OPPOSITE, PHONE, createMatch, endScreen, inMatch, joinByLink, playUntilEnd,
  shot, until,
  withGame,
} from './pages.js';

const env = withGame({ matchSeconds: 20 });

const openPage = (options, url = env.game.url) => env.pages.open(options, url);

// Pixels of piece colour on a canvas: the well, grid and labels are grey-blue, pieces are not.
const colouredPixels = (page, selector) => page.$eval(selector, (canvas) => {
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let count = 0;
  for (let k = 0; k < data.length; k += 4) {
    const [r, g, b] = [data[k], data[k + 1], data[k + 2]];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 100) count += 1;
  }
  return count;
});

// docs/protocol.md: every connect is padded to 400 bytes (anti-amplification); every game_flux
// and leave carries the seat's token.
function checkHandshake(sent) {
  const connects = sent.filter(({ msg }) => msg.command === 'connect');
  assert.ok(connects.length >= 2, 'both players connected');
  for (const { bytes, msg } of connects) assert.ok(bytes >= 400, `${bytes} bytes: ${msg.self}`);
  const seated = sent.filter(({ msg }) => ['game_flux', 'leave'].includes(msg.command));
  assert.ok(seated.length > 0);
  for (const { msg } of seated) assert.match(String(msg.token), /^[A-Za-z0-9_-]{16,}$/);
}

describe('Block Attack in the browser', { timeout: 120000 }, () => {
  test('two players meet by share link, play to the end and agree on the result', async () => {
    const alice = await openPage(DESKTOP);
    await shot(alice, 'home');
    await alice.click('#open-settings');
    await alice.waitForSelector('#settings[open]');
    await shot(alice, 'settings');
    await alice.keyboard.press('Escape');
    await alice.waitForSelector('#settings:not([open])', { state: 'attached' });

    const link = await createMatch(alice, 'alice');
    assert.match(link, /\/m\/[A-Za-z0-9_-]{22}#host=alice$/);
    assert.match(alice.url(), /\/m\/[A-Za-z0-9_-]{22}$/, 'the URL bar names the match');
    await shot(alice, 'waiting');

    const bob = await openPage(PHONE, link);
    assert.equal(await bob.textContent('#join-button'), 'Join alice’s match');
    await shot(bob, 'join-phone');
    await joinByLink(bob, 'bob');
    await Promise.all([inMatch(alice), inMatch(bob)]);
    assert.equal(await alice.textContent('#them-name'), 'bob');
    assert.equal(await bob.textContent('#them-name'), 'alice');

    assert.equal(await colouredPixels(bob, '#opponent-canvas'), 0, 'alice locked nothing yet');
    for (const key of ['ArrowLeft', 'ArrowLeft', 'Space', 'ArrowUp', 'ArrowRight', 'Space']) {
      await alice.keyboard.press(key);
      await alice.waitForTimeout(80);
    }
    await bob.tap('#touch [data-action="hardDrop"]');
    // each player's locks reach the other through the server: the opponent's field fills in
    await until(async () => await colouredPixels(bob, '#opponent-canvas') > 0);
    await until(async () => await colouredPixels(alice, '#opponent-canvas') > 0);
    // the connection light shows the round trip measured from `echo`
    await until(async () => / · \d+ ms$/.test(await alice.textContent('#conn-text')));
    await shot(alice, 'match-desktop');
    await shot(bob, 'match-phone');

    await Promise.all([playUntilEnd(alice, { touch: false }), playUntilEnd(bob, { touch: true })]);
    await shot(alice, 'end-desktop');
    await shot(bob, 'end-phone');
    checkHandshake([...alice.sent, ...bob.sent]);

    const [a, b] = [await endScreen(alice), await endScreen(bob)];
    assert.equal(a.outcome, OPPOSITE[b.outcome], `${a.title} / ${b.title}`);
    assert.deepEqual(a.me, b.them, 'alice\'s score as both screens show it');
    assert.deepEqual(a.them, b.me, 'bob\'s score as both screens show it');
    assert.ok(["Time's up", 'You topped out', 'bob topped out'].includes(a.reason), a.reason);
    assert.deepEqual([...alice.problems, ...bob.problems], []);
  });

  test('a reloaded tab rejoins its match, waiting or playing; Leave forfeits it', async () => {
    const alice = await openPage(DESKTOP);
    const first = await createMatch(alice, 'carol');
    await alice.reload(); // the host comes back to its waiting match with its token
    await alice.waitForSelector('#view-waiting:not([hidden])');
    await alice.waitForFunction(() => document.getElementById('share-link').value !== '');
    const link = await alice.inputValue('#share-link');
    assert.equal(link, first, 'the link the host sent out still works');
    const bob = await openPage(DESKTOP, link);
    await joinByLink(bob, 'dave');
    await Promise.all([inMatch(alice), inMatch(bob)]);
    await alice.keyboard.press('Space');

    await alice.reload();
    await inMatch(alice);
    assert.equal(await alice.textContent('#them-name'), 'dave');

    await alice.click('#leave-button');
    assert.equal(await alice.textContent('#leave-button'), 'Really leave?');
    await alice.click('#leave-button');
    await Promise.all([alice, bob].map((page) => page.waitForSelector('#view-end:not([hidden])')));
    checkHandshake([...alice.sent, ...bob.sent]);
    assert.equal(await bob.textContent('#end-title'), 'You win!');
    assert.equal(await bob.textContent('#end-reason'), 'carol left the match');
    assert.equal(await alice.textContent('#end-title'), 'dave wins');
    assert.deepEqual([...alice.problems, ...bob.problems], []);
  });

  test('two players who challenge each other by name meet in one match', async () => {
    const [frank, grace] = await Promise.all([openPage(DESKTOP), openPage(DESKTOP)]);
    for (const [page, self, other] of [[frank, 'frank', 'grace'], [grace, 'grace', 'frank']]) {
      await page.fill('#name', self);
      await page.fill('#opponent', other);
      await page.click('#challenge-button');
    }
    await Promise.all([inMatch(frank), inMatch(grace)]);
    assert.equal(await frank.textContent('#them-name'), 'grace');
    assert.equal(await grace.textContent('#them-name'), 'frank');
    assert.equal(frank.url(), grace.url(), 'both URLs name the same match');
  });

  test('settings: a key is rebound by pressing it, remembered, and reset', async () => {
    const page = await openPage(DESKTOP);
    const holdKeys = () => page.$$eval('#bindings tr:nth-child(7) .key:not(.add)',
      (keys) => keys.map((key) => key.textContent));
    await page.click('#open-settings');
    await page.click('#bindings tr:nth-child(7) .key.add');
    assert.equal(await page.textContent('#bindings tr:nth-child(7) .key.adding'), 'press a key…');
    await page.keyboard.press('KeyV');
    assert.deepEqual(await holdKeys(), ['C', 'Shift Left', 'Shift Right', 'V']);
    await page.$eval('#set-das', (input) => {
      input.value = '90';
      input.dispatchEvent(new Event('input'));
    });
    await page.keyboard.press('Escape');

    await page.reload();
    await page.click('#open-settings');
    assert.deepEqual(await holdKeys(), ['C', 'Shift Left', 'Shift Right', 'V']);
    assert.equal(await page.inputValue('#set-das'), '90');
    assert.match(await page.textContent('#controls-help'), /C \/ Shift Left \/ Shift Right \/ V/);
    await page.click('#settings-reset');
    assert.deepEqual(await holdKeys(), ['C', 'Shift Left', 'Shift Right']);
    assert.equal(await page.inputValue('#set-das'), '133');
    assert.deepEqual(page.problems, []);
  });

  test('cancelling a waiting match goes home and kills its link', async () => {
    const host = await openPage(DESKTOP);
    const link = await createMatch(host, 'jack');
    await host.click('#cancel-button');
    await host.waitForSelector('#view-home:not([hidden])');
    const leave = host.sent.find(({ msg }) => msg.command === 'leave');
    assert.equal(leave.msg.intent, 'forfeit');
    assert.ok(leave.msg.token, 'the token that came with waiting');
    assert.equal(new URL(host.url()).pathname, '/');
    const guest = await openPage(DESKTOP, link);
    await joinByLink(guest, 'kate');
    await guest.waitForSelector('#message-home:not([hidden])');
    assert.equal(await guest.textContent('#message-text'), 'This match no longer exists.');
  });

  test('a dead link says the match no longer exists and offers a way home', async () => {
    const page = await openPage(DESKTOP, `${env.game.url}m/${'A'.repeat(22)}`);
    await joinByLink(page, 'erin');
    await page.waitForSelector('#view-message:not([hidden]) #message-home:not([hidden])');
    assert.equal(await page.textContent('#message-text'), 'This match no longer exists.');
    assert.ok(await page.isVisible('#message-home'));
    await shot(page, 'dead-link');
    await page.click('#message-home');
    await page.waitForSelector('#view-home:not([hidden])');
    assert.ok(await page.isVisible('#create-button'));
  });
});
