// Playing the computer in headless Chromium against `block-attack play` on loopback: the home
// page's "Play the computer", a short match against CPU Hard played to its end (the bot's field
// fills on the opponent's canvas), the end screen, and a rematch the computer accepts.
// Screenshots go to tests/screenshots/ for a look.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  DESKTOP, endScreen, inMatch, playUntilEnd, shot, until, withGame,
} from './pages.js';

const env = withGame({ matchSeconds: 8, extraArgs: ['--countdown-seconds', '1'] });
const text = (page, selector) => page.textContent(selector);

// Pixels of piece colour in a canvas's lower half (the empty well is grey-blue, pieces are not).
const colouredPixels = (page, selector) => page.$eval(selector, (canvas) => {
  const top = Math.floor(canvas.height / 2);
  const { data } = canvas.getContext('2d').getImageData(0, top, canvas.width, canvas.height - top);
  let count = 0;
  for (let k = 0; k < data.length; k += 4) {
    if (Math.max(data[k], data[k + 1], data[k + 2]) - Math.min(data[k], data[k + 1], data[k + 2])
      > 100) count += 1;
  }
  return count;
});

describe('playing the computer', { timeout: 120000 }, () => {
  test('a match against the computer played to the end, then its rematch', async () => {
    const page = await env.pages.open(DESKTOP, env.game.url);
    await page.fill('#name', 'alice');
    assert.equal(await page.isVisible('#bot-pace'), false, 'the pace slider shows for Pace only');
    await page.check('input[name="bot-level"][value="pace"]');
    await page.waitForSelector('#bot-pace:not([hidden])');
    await page.fill('#bot-pps', '2.5');
    assert.equal(await text(page, '#bot-pps-value'), '2.5');
    await page.check('input[name="bot-level"][value="hard"]');
    await shot(page, 'computer-home');
    await page.click('#computer-button');
    await inMatch(page);
    const connect = page.sent.find(({ msg }) => msg.command === 'connect');
    assert.equal(connect.msg.opponent, 'bot:hard');
    assert.equal(await text(page, '#them-name'), 'CPU Hard');
    // the bot plays: its field on the opponent's canvas fills with piece colours
    await until(async () => (await colouredPixels(page, '#opponent-canvas')) > 200, 8000);
    await shot(page, 'computer-match');
    await playUntilEnd(page, { touch: false });
    const end = await endScreen(page);
    assert.ok(['win', 'loss', 'draw'].includes(end.outcome), JSON.stringify(end));
    assert.match(end.them.join(' '), /CPU Hard/);
    await shot(page, 'computer-end');

    await page.click('#rematch-button');
    await until(async () => !(await page.isVisible('#view-end')), 8000);
    await inMatch(page);
    assert.equal(await text(page, '#them-name'), 'CPU Hard');
    assert.deepEqual(page.problems, []);
  });
});
