// The site under a base path, as behind nginx at /blockattack/: every URL the page makes (static
// files, the WebSocket, the address bar, the share link) stays under it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withGame } from './pages.js';

const env = withGame({ extraArgs: ['--base-path', '/blockattack/'] });

test('under /blockattack/ a match is made and joined by its link', { timeout: 60000 }, async () => {
  assert.match(env.game.url, /\/blockattack\/$/);
  const context = await env.browser.newContext();
  env.pages.contexts.push(context); // closed after the test
  const problems = [];
  const requested = [];
  const open = async (url) => {
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    page.on('websocket', (ws) => requested.push(new URL(ws.url()).pathname));
    await page.goto(url);
    return page;
  };
  const host = await open(env.game.url);
  await host.fill('#name', 'henry');
  await host.click('#create-button');
  await host.waitForFunction(() => document.getElementById('share-link').value !== '');
  const link = await host.inputValue('#share-link');
  assert.ok(link.startsWith(`${env.game.url}m/`), link);
  assert.ok(new URL(host.url()).pathname.startsWith('/blockattack/m/'), host.url());

  const guest = await open(link);
  await guest.fill('#name', 'iris');
  await guest.click('#join-button');
  await Promise.all([host, guest].map((p) => p.waitForSelector('#view-match:not([hidden])')));
  assert.deepEqual(requested.filter((p) => !p.startsWith('/blockattack/')), []);
  assert.ok(requested.includes('/blockattack/static/js/main.js'));
  assert.ok(requested.includes('/blockattack/ws'));
  assert.deepEqual(problems, []);
});
