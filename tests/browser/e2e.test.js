// End to end in headless Chromium against `block-attack play` on loopback: two players meet
// through a share link, play with real key presses and touch taps until game_end, and both
// screens agree on the result. Screenshots go to tests/screenshots/ (gitignored) for a look.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

import { CHROMIUM_ARGS, ROOT, findChromium, startGame } from './game-process.js';

const SHOTS = path.join(ROOT, 'tests', 'screenshots');
const DESKTOP = { viewport: { width: 1280, height: 720 } };
const PHONE = {
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true,
};
const OPPOSITE = { win: 'loss', loss: 'win', draw: 'draw' };

let game;
let browser;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  game = await startGame(20);
  browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await game?.stop();
});

/** A page in its own context (own storage, own WebSocket) that records script errors. */
async function openPage(options, url = game.url) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`pageerror: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.problems.push(`console: ${msg.text()}`);
  });
  await page.goto(url);
  return page;
}

const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

async function createMatch(page, name) {
  await page.fill('#name', name);
  await page.click('#create-button');
  await page.waitForSelector('#view-waiting:not([hidden])');
  await page.waitForFunction(() => document.getElementById('share-link').value !== '');
  return page.inputValue('#share-link');
}

async function joinByLink(page, name) {
  await page.fill('#name', name);
  await page.click('#join-button');
}

const inMatch = (page) => page.waitForSelector('#view-match:not([hidden])');
const ended = (page) => page.isVisible('#view-end');

// Keep playing until the end screen shows: moves, turns and hard drops, by key or by touch.
async function play(page, { touch }) {
  const keys = ['ArrowLeft', 'ArrowUp', 'Space', 'ArrowRight', 'ArrowRight', 'KeyZ', 'Space',
    'ArrowLeft', 'ArrowLeft', 'KeyC', 'ArrowDown', 'Space'];
  const taps = ['left', 'rotateCw', 'hardDrop', 'right', 'right', 'hold', 'hardDrop'];
  for (let k = 0; !(await ended(page)); k += 1) {
    if (touch && k % 2 === 0) {
      await page.tap(`#touch [data-action="${taps[k % taps.length]}"]`).catch(() => {});
    } else {
      await page.keyboard.press(keys[k % keys.length]);
    }
    await page.waitForTimeout(60);
    if (k > 2000) throw new Error('the match never ended');
  }
}

async function endScreen(page) {
  return page.evaluate(() => ({
    title: document.getElementById('end-title').textContent,
    outcome: document.getElementById('end-title').dataset.outcome,
    reason: document.getElementById('end-reason').textContent,
    me: [...document.getElementById('end-me').cells].map((c) => c.textContent),
    them: [...document.getElementById('end-them').cells].map((c) => c.textContent),
  }));
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

    for (const key of ['ArrowLeft', 'ArrowLeft', 'Space', 'ArrowUp', 'ArrowRight', 'Space']) {
      await alice.keyboard.press(key);
      await alice.waitForTimeout(80);
    }
    await bob.tap('#touch [data-action="hardDrop"]');
    await alice.waitForTimeout(400);
    await shot(alice, 'match-desktop');
    await shot(bob, 'match-phone');

    await Promise.all([play(alice, { touch: false }), play(bob, { touch: true })]);
    await shot(alice, 'end-desktop');
    await shot(bob, 'end-phone');

    const [a, b] = [await endScreen(alice), await endScreen(bob)];
    assert.equal(a.outcome, OPPOSITE[b.outcome], `${a.title} / ${b.title}`);
    assert.deepEqual(a.me, b.them, 'alice\'s score as both screens show it');
    assert.deepEqual(a.them, b.me, 'bob\'s score as both screens show it');
    assert.ok(["Time's up", 'You topped out', 'bob topped out'].includes(a.reason), a.reason);
    assert.deepEqual([...alice.problems, ...bob.problems], []);
  });

  test('a reloaded tab rejoins its match; Leave forfeits it', async () => {
    const alice = await openPage(DESKTOP);
    const link = await createMatch(alice, 'carol');
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
    assert.equal(await bob.textContent('#end-title'), 'You win!');
    assert.equal(await bob.textContent('#end-reason'), 'carol left the match');
    assert.equal(await alice.textContent('#end-title'), 'dave wins');
    assert.deepEqual([...alice.problems, ...bob.problems], []);
  });

  test('a dead link says the match no longer exists and offers a way home', async () => {
    const page = await openPage(DESKTOP, `${game.url}m/${'A'.repeat(22)}`);
    await joinByLink(page, 'erin');
    await page.waitForSelector('#view-message:not([hidden])');
    assert.equal(await page.textContent('#message-text'), 'This match no longer exists.');
    assert.ok(await page.isVisible('#message-home'));
    await shot(page, 'dead-link');
    await page.click('#message-home');
    await page.waitForSelector('#view-home:not([hidden])');
    assert.ok(await page.isVisible('#create-button'));
  });
});
