// Test helpers for pages of the game in headless Chromium: pages in their own contexts that
// record script errors and the frames they send, the steps of meeting in a match, screenshots,
// and reading the player's field back from the canvas.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { playerLayout } from '../../static/js/render.js';
import { after, afterEach, before } from 'node:test';
import { chromium } from 'playwright-core';

import { CHROMIUM_ARGS, ROOT, findChromium, startGame } from './game-process.js';

export const SHOTS = path.join(ROOT, 'tests', 'screenshots');
export const DESKTOP = { viewport: { width: 1280, height: 720 } };
export const PHONE = {
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true,
};

/** Pages of one test, each in its own context (own storage, own WebSocket), closed together. */
export class Pages {
  constructor(browser) {
    this.browser = browser;
    this.contexts = [];
  }

  /**
   * A page at `url` with page.problems (script errors), page.sent (parsed frames sent) and
   * page.sockets (the URLs of the WebSockets it opened).
   */
  async open(options, url) {
    const context = await this.browser.newContext(options);
    this.contexts.push(context);
    const page = await context.newPage();
    page.problems = [];
    page.sent = [];
    page.sockets = [];
    page.on('pageerror', (error) => page.problems.push(`pageerror: ${error.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') page.problems.push(`console: ${msg.text()}`);
    });
    page.on('websocket', (ws) => {
      page.sockets.push(ws.url());
      ws.on('framesent', ({ payload }) => {
        page.sent.push({ bytes: Buffer.byteLength(String(payload)), msg: JSON.parse(payload) });
      });
    });
    await page.goto(url);
    return page;
  }

  /** The bridge caps WebSockets per address: close every context after each test. */
  async closeAll() {
    await Promise.all(this.contexts.map((context) => context.close()));
    this.contexts = [];
  }
}

export function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  return page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

export async function createMatch(page, name) {
  await page.fill('#name', name);
  await page.click('#create-button');
  await page.waitForSelector('#view-waiting:not([hidden])');
  await page.waitForFunction(() => document.getElementById('share-link').value !== '');
  return page.inputValue('#share-link');
}

export async function joinByLink(page, name) {
  await page.fill('#name', name);
  await page.click('#join-button');
}

export const inMatch = (page) => page.waitForSelector('#view-match:not([hidden])');

/** The match view shows and its 3-2-1-GO is over: keys play. */
export async function countdownOver(page) {
  await inMatch(page);
  await page.waitForSelector('#countdown', { state: 'hidden', timeout: 10000 });
}

const ended = (page) => page.isVisible('#view-end');

/** Keep playing until the end screen shows: moves, turns and hard drops, by key or by touch. */
export async function playUntilEnd(page, { touch }) {
  const keys = ['ArrowLeft', 'ArrowUp', 'Space', 'ArrowRight', 'ArrowRight', 'KeyZ', 'Space',
    'ArrowLeft', 'ArrowLeft', 'KeyC', 'ArrowDown', 'Space'];
  const taps = ['left', 'rotateCw', 'hardDrop', 'right', 'right', 'hold', 'hardDrop'];
  for (let k = 0; !(await ended(page)); k += 1) {
    if (touch && k % 2 === 0) {
      // the end screen may hide the buttons at any moment: do not wait for them
      const button = `#touch [data-action="${taps[k % taps.length]}"]`;
      await page.tap(button, { timeout: 500 }).catch(() => {});
    } else {
      await page.keyboard.press(keys[k % keys.length]);
    }
    await page.waitForTimeout(60);
    if (k > 2000) throw new Error('the match never ended');
  }
}

/** The end screen as text: title, outcome (win/loss/draw), reason, and both score columns. */
export async function endScreen(page) {
  return page.evaluate(() => ({
    title: document.getElementById('end-title').textContent,
    outcome: document.getElementById('end-title').dataset.outcome,
    reason: document.getElementById('end-reason').textContent,
    me: [...document.getElementById('end-me').cells].map((c) => c.textContent),
    them: [...document.getElementById('end-them').cells].map((c) => c.textContent),
  }));
}

/** The outcome the other player's screen must show. */
export const OPPOSITE = { win: 'loss', loss: 'win', draw: 'draw' };

export async function until(check, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${check}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// A cell's centre pixel: garbage grey (#7d8591), the empty well (dark), or a piece colour.
function classify([r, g, b]) {
  if (Math.max(r, g, b) < 70) return '.';
  const grey = Math.max(r, g, b) - Math.min(r, g, b) < 40;
  return grey && Math.abs(r - 0x7d) < 30 && Math.abs(b - 0x91) < 30 ? 'G' : '#';
}

/** Rows `ys` of the player's field as drawn: '.' empty, 'G' garbage, '#' a piece's block. */
export async function fieldRows(page, ys) {
  const [width, height] = await page.$eval('#player-canvas', (c) => [c.width, c.height]);
  const { cell, x0, y0 } = playerLayout(width, height);
  const centre = (k) => Math.floor(k * cell + cell / 2);
  const points = ys.flatMap((y) => Array.from({ length: 10 }, (_, x) => [x0 + centre(x),
    y0 + centre(y)]));
  const colours = await page.$eval('#player-canvas', (canvas, pts) => {
    const ctx = canvas.getContext('2d');
    return pts.map(([x, y]) => [...ctx.getImageData(x, y, 1, 1).data.slice(0, 3)]);
  }, points);
  return ys.map((_, k) => colours.slice(10 * k, 10 * k + 10).map(classify).join(''));
}

/**
 * Registers the hooks every browser suite needs: the game started with `gameOptions` (see
 * startGame) and one Chromium before the tests, each test's pages closed after it, both stopped
 * at the end. Returns the live handles as `{game, browser, pages}`, set once `before` has run.
 */
export function withGame(gameOptions) {
  const env = { game: null, browser: null, pages: null };
  before(async () => {
    env.game = await startGame(gameOptions);
    env.browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
    env.pages = new Pages(env.browser);
  });
  afterEach(() => env.pages?.closeAll());
  after(async () => {
    await env.browser?.close();
    await env.game?.stop();
  });
  return env;
}
