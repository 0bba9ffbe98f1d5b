// End to end in headless Chromium against `block-attack play` on loopback: two players meet
// through a share link, play with real key presses and touch taps until game_end, and both
// screens agree on the result. Screenshots go to tests/screenshots/ (gitignored) for a look.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { pieceCells } from '../../static/js/rules/pieces.js';
import {
  DESKTOP, OPPOSITE, PHONE, createMatch, endScreen, fieldRows, inMatch, joinByLink,
  playUntilEnd, shot, until, withGame,
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

// The first lock a page sent (its own state: piece, r, x, y, last), once it has sent one.
const firstLock = (page) => page.sent.map(({ msg }) => msg.locks?.find((lock) => lock.n === 0))
  .find((lock) => lock !== undefined);

// Keys move pieces once the 3-2-1 countdown over the field says GO (docs/protocol.md), and the
// session has seen it at its next 50 ms tick (a key in between is dropped).
async function countedDown(page) {
  await page.waitForFunction(() => document.getElementById('countdown')?.textContent === 'GO');
  await page.waitForTimeout(200);
}

// Rows `ys` as fieldRows reads them off the canvas, for a field holding only `lock`.
function rowsOf(lock, ys) {
  const cells = new Set(pieceCells(lock.piece, lock.r)
    .map(([dx, dy]) => `${lock.x + dx},${lock.y + dy}`));
  return ys.map((y) => Array.from({ length: 10 }, (_, x) => (cells.has(`${x},${y}`) ? '#' : '.'))
    .join(''));
}

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
    // 180°: alice turns her first piece with its key (A by default) and drops it; bob drops the
    // same piece unturned. Each page's lock says how it lay, and its canvas shows it so.
    await Promise.all([countedDown(alice), countedDown(bob)]);
    await alice.keyboard.press('KeyA');
    await alice.waitForTimeout(80);
    await alice.keyboard.press('Space');
    await bob.tap('#touch [data-action="hardDrop"]');
    await until(async () => firstLock(alice) !== undefined && firstLock(bob) !== undefined);
    const [turned, plain] = [firstLock(alice), firstLock(bob)];
    assert.equal(turned.piece, plain.piece, 'one sequence for both');
    assert.deepEqual([turned.r, plain.r], [2, 0], 'alice\'s piece turned 180°, bob\'s not');
    assert.equal(turned.last, undefined, 'the hard drop moved it after the turn: no spin claim');
    const bottom = [16, 17, 18, 19];
    assert.deepEqual(await fieldRows(alice, bottom), rowsOf(turned, bottom));
    assert.deepEqual(await fieldRows(bob, bottom), rowsOf(plain, bottom));
    await shot(alice, 'rotate180-desktop');
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
    // a top-out says which (docs/protocol.md game_end.top_out)
    assert.match(a.reason, /^(Time's up|(You|bob) topped out \((lock|block|garbage) out\))$/);
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
    const row = (action) => `#bindings tr:has(th:text-is("${action}"))`;
    const keysOf = (action) => page.$$eval(`${row(action)} .key:not(.add)`,
      (keys) => keys.map((key) => key.textContent));
    const holdKeys = () => keysOf('Hold');
    await page.click('#open-settings');
    assert.deepEqual(await keysOf('Rotate 180°'), ['A'], 'the 180° turn is listed with its key');
    await page.click(`${row('Hold')} .key.add`);
    assert.equal(await page.textContent(`${row('Hold')} .key.adding`), 'press a key…');
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
    // the link says so before asking for a name (probe → match_info)
    const guest = await openPage(DESKTOP, link);
    await guest.waitForSelector('#message-home:not([hidden])');
    assert.equal(await guest.textContent('#message-title'), 'This link doesn’t lead to a match');
    assert.equal(await guest.isVisible('#join-button'), false);
  });

  test('occupied hidden rows are drawn above both fields, in one neutral colour', async () => {
    // The page's own drawing code on a field built here (no server involved): a stack that
    // reaches 3 rows into the hidden rows, as user_hidden/opponent_hidden would bring it.
    const page = await openPage(DESKTOP);
    const seen = await page.evaluate(async () => {
      const base = document.body.dataset.staticUrl;
      const render = await import(`${base}js/render.js`);
      const { Field } = await import(`${base}js/rules/field.js`);
      const rows = Array.from({ length: 20 }, (_, y) => (y < 4 ? 'G........G' : 'GIIIITTT.G'));
      const field = Field.fromRows(rows, '201201001'); // rows -3, -2: columns 0, 9; -1: 0
      const box = document.createElement('div');
      box.id = 'hidden-rows-shot';
      box.style.cssText = 'position:fixed;inset:0;display:flex;gap:16px;padding:16px;'
        + 'background:#0d1220;z-index:99';
      const canvas = (width, height) => {
        const element = document.createElement('canvas');
        element.style.cssText = `width:${width}px;height:${height}px`;
        box.append(element);
        return element;
      };
      const mine = canvas(700, 680);
      const theirs = canvas(260, 520);
      document.body.append(box);
      render.drawPlayer(mine, { field, active: null, ghost: null, hold: null, canHold: false,
        next: [], incoming: 0 });
      render.drawOpponent(theirs, { field, name: 'bob', away: false });
      const colour = (element, x, y) => [...element.getContext('2d')
        .getImageData(x, y, 1, 1).data];
      const shown = render.hiddenRowsShown(field, 2);
      const me = render.playerLayout(mine.width, mine.height, shown);
      const them = render.opponentLayout(theirs.width, theirs.height,
        render.hiddenRowsShown(field));
      const at = ({ cell, x0, y0 }, element, x, y) => colour(element,
        Math.floor(x0 + (x + 0.5) * cell), Math.floor(y0 + (y + 0.5) * cell));
      return {
        shown,
        mine: [at(me, mine, 0, -3), at(me, mine, 9, -2), at(me, mine, 4, -2),
          at(me, mine, 1, 10)],
        theirs: [at(them, theirs, 0, -3), at(them, theirs, 0, -1), at(them, theirs, 4, -1)],
      };
    });
    await shot(page, 'hidden-rows');
    const NEUTRAL = [0x50, 0x5a, 0x6e, 255]; // render.js HIDDEN_COLOR
    assert.equal(seen.shown, 3, 'every occupied hidden row');
    const [mine03, mine92, mine42, visible] = seen.mine;
    assert.deepEqual([mine03, mine92], [NEUTRAL, NEUTRAL]);
    assert.equal(mine42[3], 0, 'an empty hidden cell stays undrawn');
    assert.notDeepEqual(visible, NEUTRAL, 'visible cells keep their piece colour');
    assert.deepEqual(seen.theirs.slice(0, 2), [NEUTRAL, NEUTRAL], 'the opponent\'s too');
    assert.equal(seen.theirs[2][3], 0);
    assert.deepEqual(page.problems, []);
  });

  test('a dead link says it leads to no match and offers a way home', async () => {
    const page = await openPage(DESKTOP, `${env.game.url}m/${'A'.repeat(22)}`);
    await page.waitForSelector('#view-message:not([hidden]) #message-home:not([hidden])');
    assert.equal(await page.textContent('#message-title'), 'This link doesn’t lead to a match');
    assert.ok(await page.isVisible('#message-home'));
    await shot(page, 'dead-link');
    await page.click('#message-home');
    await page.waitForSelector('#view-home:not([hidden])');
    assert.ok(await page.isVisible('#create-button'));
  });
});
