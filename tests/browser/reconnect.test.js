// A WebSocket the bridge drops, in headless Chromium against `block-attack play`: the page
// reconnects, comes back to its seat in a running match, and does not ask again for a match the
// server already refused. The socket is routed through Playwright so the test can drop it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  DESKTOP, countdownOver, createMatch, inMatch, joinByLink, until, withGame,
} from './pages.js';

const env = withGame({ matchSeconds: 60 });

/**
 * A page at `url` whose WebSockets pass through the test: page.frames lists what it sent (per
 * socket, parsed), page.received what it got, and page.dropSocket() closes its current one as a
 * restarting bridge would.
 */
async function routedPage(url) {
  const context = await env.browser.newContext(DESKTOP);
  env.pages.contexts.push(context);
  const sockets = [];
  const frames = [];
  const received = [];
  await context.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    const index = sockets.push(ws) - 1;
    ws.onMessage((text) => {
      frames.push({ socket: index, msg: JSON.parse(text) });
      server.send(text);
    });
    server.onMessage((text) => {
      received.push({ socket: index, msg: JSON.parse(text) });
      ws.send(text);
    });
  });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`pageerror: ${error.message}`));
  Object.assign(page, {
    frames, received, sockets: () => sockets.length,
    dropSocket: () => sockets.at(-1).close({ code: 1012, reason: 'restart' }),
  });
  await page.goto(url);
  return page;
}

const sentOn = (page, socket, command) => page.frames
  .filter((f) => f.socket === socket && f.msg.command === command);

describe('a dropped WebSocket', { timeout: 120000 }, () => {
  test('after a dead link is told, a reconnect does not ask for the match again', async () => {
    const page = await routedPage(`${env.game.url}m/${'B'.repeat(22)}`);
    await page.waitForSelector('#view-message:not([hidden]) #message-home:not([hidden])');
    const dead = 'This link doesn’t lead to a match';
    assert.equal(await page.textContent('#message-title'), dead);
    await page.dropSocket();
    await until(() => page.sockets() === 2);
    await until(async () => (await page.textContent('#conn-text')).startsWith('online'));
    await page.waitForTimeout(1500); // requests are retried once a second: give them the chance
    assert.deepEqual(sentOn(page, 1, 'connect'), [], 'nothing asked on the new socket');
    assert.deepEqual(sentOn(page, 1, 'probe'), [], 'the link was answered already');
    assert.equal(await page.textContent('#message-title'), dead);
    assert.deepEqual(page.problems, []);
  });

  test('in a running match, the page reconnects and gets its seat back', async () => {
    const alice = await routedPage(env.game.url);
    const link = await createMatch(alice, 'alice');
    const bob = await env.pages.open(DESKTOP, link);
    await joinByLink(bob, 'bob');
    await Promise.all([inMatch(alice), inMatch(bob)]);
    await alice.dropSocket();
    await until(() => alice.received.some((r) => r.socket === 1
      && r.msg.command === 'game_start'));
    const [rejoin] = sentOn(alice, 1, 'connect');
    assert.ok(rejoin.msg.token, 'the rejoin names the seat by its token');
    const before = sentOn(alice, 0, 'game_flux').at(-1).msg.timestamp;
    assert.ok(rejoin.msg.timestamp > before, 'newer than the old socket\'s last request');
    await countdownOver(alice);
    await alice.keyboard.press('Space'); // play on: the lock is acknowledged on the new socket
    await until(() => alice.received.some((r) => r.socket === 1 && r.msg.ack >= 1));
    assert.ok(await alice.isVisible('#view-match'));
    assert.deepEqual([...alice.problems, ...bob.problems], []);
  });
});
