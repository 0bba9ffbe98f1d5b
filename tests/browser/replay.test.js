// Replays in headless Chromium against `block-attack play` with short matches: a match played to
// the end and its replay watched (seek, speed, steps, the end statistics) then downloaded and
// verified by `block-attack replay verify`; the history after three matches; a replay file
// picked or dropped on the page; corrupt and tampered files; storage that refuses.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';

import { formatClock } from '../../static/js/hud.js';
import { CLI, ROOT } from './game-process.js';
import {
  DESKTOP, createMatch, inMatch, joinByLink, playUntilEnd, shot, until, withGame,
} from './pages.js';

const env = withGame({ matchSeconds: 5, extraArgs: ['--countdown-seconds', '0'] });
const run = promisify(execFile);
const VECTORS = JSON.parse(readFileSync(path.join(ROOT, 'tests/vectors/replays.json'), 'utf8'));
const BATTLE = JSON.stringify(VECTORS.find((c) => c.name === 'battle').replay);

const replayPage = () => new URL('replay', env.game.url).href;
const saved = (page) => page.waitForSelector('#end-replay-status[data-saved]', { timeout: 20000 })
  .then(() => page.getAttribute('#end-replay-status', 'data-saved'));
const position = (page) => page.$eval('#replay-time',
  (el) => ({ text: el.textContent, count: Number(el.dataset.count) }));
const seek = (page, ms) => page.$eval('#replay-seek', (el, value) => {
  el.value = String(value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}, ms);

// alice and bob play one short match to its end screen, pressing keys all the while.
async function playMatch(alice, bob, names = ['alice', 'bob']) {
  const link = await createMatch(alice, names[0]);
  await bob.goto(link);
  await joinByLink(bob, names[1]);
  await Promise.all([inMatch(alice), inMatch(bob)]);
  await Promise.all([playUntilEnd(alice, { touch: false }), playUntilEnd(bob, { touch: false })]);
}

// A page whose site storage quota is (nearly) nothing: IndexedDB writes fail for real.
async function withFullStorage(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', {
    origin: new URL(env.game.url).origin, quotaSize: 1,
  });
}

describe('replays in the browser', { timeout: 180000 }, () => {
  test('a match to the end, its replay watched with seek and speed, downloaded, verified',
    async () => {
      const alice = await env.pages.open(DESKTOP, env.game.url);
      const bob = await env.pages.open(DESKTOP, 'about:blank');
      await bob.goto(env.game.url);
      await withFullStorage(bob);
      await playMatch(alice, bob);
      assert.equal(await saved(alice), 'true');
      assert.equal(await alice.textContent('#end-replay-status'), 'Saved to your history.');
      // bob's storage is full: said under the button, and the rest of the end screen stands
      assert.equal(await saved(bob), 'false');
      assert.match(await bob.textContent('#end-replay-status'),
        /^Not saved to your history: The browser’s storage for this site is full/);
      assert.ok(await bob.isVisible('#end-replay-link'));
      await shot(alice, 'replay-end-screen');
      await shot(bob, 'replay-not-saved');
      const endStats = await alice.$$eval('#end-stats tr', (rows) => rows.slice(1)
        .map((row) => [...row.cells].map((cell) => cell.textContent)));

      await alice.click('#end-replay-link');
      await alice.waitForSelector('#view-replay:not([hidden])');
      assert.equal(await alice.getAttribute('#replay-verdict', 'data-ok'), 'true');
      assert.match(await alice.textContent('#replay-verdict'),
        /^Verified: the JavaScript rules rebuild all \d+ locks/);
      assert.equal(await alice.textContent('#replay-a-name'), 'alice');
      assert.equal(await alice.textContent('#replay-b-name'), 'bob');
      const start = await position(alice);
      assert.equal(start.count, 0);
      assert.match(start.text, /^0:00 \/ 0:0[1-5]$/);
      await shot(alice, 'replay-start');

      await alice.click('[data-speed="4"]');
      assert.equal(await alice.getAttribute('[data-speed="4"]', 'aria-checked'), 'true');
      await alice.click('#replay-play');
      assert.equal(await alice.textContent('#replay-play'), 'Pause');
      await until(async () => (await position(alice)).count > 0, 5000);
      await alice.click('#replay-play'); // pause
      const duration = Number(await alice.getAttribute('#replay-seek', 'max'));
      await seek(alice, duration / 2);
      const middle = await position(alice);
      assert.equal(middle.text.split(' / ')[0], formatClock(Math.floor(duration / 2000) * 1000));
      assert.ok(middle.count > 0, 'half way, pieces have locked');
      await alice.click('#replay-forward');
      const stepped = await position(alice);
      assert.ok(stepped.count > middle.count, `${stepped.count} > ${middle.count}`);
      await alice.click('#replay-back');
      await alice.click('#replay-back');
      assert.ok((await position(alice)).count < middle.count);
      await shot(alice, 'replay-seek');
      await alice.click('[data-speed="0.5"]');
      await seek(alice, duration - 500);
      await alice.click('[data-speed="4"]');
      await alice.click('#replay-play');
      await alice.waitForSelector('#replay-end:not([hidden])', { timeout: 5000 });
      assert.equal(await alice.textContent('#replay-play'), 'Again');
      const replayStats = await alice.$$eval('#replay-stats tr', (rows) => rows.slice(1)
        .map((row) => [...row.cells].map((cell) => cell.textContent)));
      assert.deepEqual(replayStats, endStats, "the rebuild's figures are the server's");
      await shot(alice, 'replay-end-stats');

      const [download] = await Promise.all([alice.waitForEvent('download'),
        alice.click('#replay-download')]);
      const dir = mkdtempSync(path.join(tmpdir(), 'replay-'));
      try {
        const file = path.join(dir, download.suggestedFilename());
        await download.saveAs(file);
        const { stdout } = await run(CLI, ['replay', 'verify', file], { timeout: 30000 });
        assert.match(stdout, /^winner: /m);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      assert.deepEqual([...alice.problems, ...bob.problems], []);
    });

  test('the history after three matches: watch, download, delete', async () => {
    const alice = await env.pages.open(DESKTOP, env.game.url);
    const bob = await env.pages.open(DESKTOP, 'about:blank');
    for (const k of [1, 2, 3]) {
      if (k > 1) { // Home, and the start page loaded (it fills in the remembered name)
        await Promise.all([alice.waitForURL(env.game.url), alice.click('#again-button')]);
      }
      await playMatch(alice, bob, [`alice${k}`, `bob${k}`]);
      assert.equal(await saved(alice), 'true');
    }
    await alice.goto(replayPage());
    await until(async () => (await alice.$$('#history-list li')).length === 3);
    const titles = await alice.$$eval('#history-list li b',
      (items) => items.map((b) => b.textContent));
    assert.deepEqual(titles, ['alice3 vs bob3', 'alice2 vs bob2', 'alice1 vs bob1'],
      'newest first');
    await shot(alice, 'replay-history');

    const [download] = await Promise.all([alice.waitForEvent('download'),
      alice.click('#history-list li:nth-child(2) [data-action="download"]')]);
    assert.match(download.suggestedFilename(), /^[A-Za-z0-9_-]+\.json$/);
    await alice.click('#history-list li:nth-child(3) [data-action="delete"]');
    await until(async () => (await alice.$$('#history-list li')).length === 2);
    await alice.click('#history-list li:nth-child(1) [data-action="watch"]');
    await alice.waitForSelector('#view-replay:not([hidden])');
    assert.equal(await alice.textContent('#replay-a-name'), 'alice3');
    assert.equal(await alice.getAttribute('#replay-verdict', 'data-ok'), 'true');
    assert.match(alice.url(), /\/replay\?game=[A-Za-z0-9_-]+$/);
    // the link opens it from the history again, after a reload
    await alice.reload();
    await alice.waitForSelector('#view-replay:not([hidden])');
    assert.equal(await alice.textContent('#replay-a-name'), 'alice3');
    assert.deepEqual([...alice.problems, ...bob.problems], []);
  });

  test('a replay file picked or dropped plays, and a tampered one is told plainly', async () => {
    const page = await env.pages.open(DESKTOP, replayPage());
    await page.setInputFiles('#replay-file', {
      name: 'vector-battle.json', mimeType: 'application/json', buffer: Buffer.from(BATTLE),
    });
    await page.waitForSelector('#view-replay:not([hidden])');
    assert.equal(await page.getAttribute('#replay-verdict', 'data-ok'), 'true');
    await seek(page, 9000);
    await until(async () => (await page.textContent('#replay-log')).length > 0);
    await shot(page, 'replay-file');

    await page.click('#replay-close');
    const tampered = JSON.parse(BATTLE);
    tampered.result.boards[1].score += 100;
    const dataTransfer = await page.evaluateHandle((text) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], 'tampered.json', { type: 'application/json' }));
      return transfer;
    }, JSON.stringify(tampered));
    await page.dispatchEvent('#replay-drop', 'drop', { dataTransfer });
    await page.waitForSelector('#view-replay:not([hidden])');
    assert.equal(await page.getAttribute('#replay-verdict', 'data-ok'), 'false');
    assert.equal(await page.textContent('#replay-verdict'), 'This replay does not match the '
      + "JavaScript rules: result: bob's score: the file says 1000, the rules say 900.");
    await seek(page, 18000);
    await page.waitForSelector('#replay-end:not([hidden])');
    await shot(page, 'replay-tampered');
    assert.deepEqual(page.problems, []);
  });

  test('a corrupt file gives a clear error; no IndexedDB is said, and files still play',
    async () => {
      const page = await env.pages.open(DESKTOP, 'about:blank');
      await page.addInitScript(() => {
        Object.defineProperty(window, 'indexedDB', { get: () => undefined });
      });
      await page.goto(replayPage());
      await page.setInputFiles('#replay-file', {
        name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"format": 1, "ru'),
      });
      await until(async () => (await page.textContent('#replay-error')) !== '');
      assert.match(await page.textContent('#replay-error'),
        /^broken\.json is not a replay this page can play: not JSON: /);
      assert.ok(await page.isVisible('#view-open'));
      assert.match(await page.textContent('#history-status'),
        /^This browser keeps no match history here/);
      await shot(page, 'replay-corrupt');

      const wrong = JSON.parse(BATTLE);
      wrong.events[0][4] = 'X';
      await page.setInputFiles('#replay-file', {
        name: 'wrong.json', mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(wrong)),
      });
      await until(async () => (await page.textContent('#replay-error')).startsWith('wrong.json'));
      assert.equal(await page.textContent('#replay-error'), 'wrong.json is not a replay this page '
        + 'can play: events[0][4] (piece): expected one of I J L O S T Z, got "X"');
      await page.setInputFiles('#replay-file', {
        name: 'vector-battle.json', mimeType: 'application/json', buffer: Buffer.from(BATTLE),
      });
      await page.waitForSelector('#view-replay:not([hidden])');
      await page.goto(`${replayPage()}?game=nosuchgame`);
      await until(async () => (await page.textContent('#replay-error')) !== '');
      assert.match(await page.textContent('#replay-error'),
        /^The server has no replay of match nosuchgame: /);
      // the 404 of the fetch is the console's one error, expected
      assert.deepEqual(page.problems.filter((p) => !/404/.test(p)), []);
    });
});
