// The two-player flow of e2e.test.js once through a real nginx: Debian's nginx, started here on
// a loopback port with deploy/nginx.conf under a temp prefix, in front of `block-attack play`
// under /blockattack/ trusting the proxy. Pages, share links and the WebSocket all go through
// nginx's address; the bridge's own port never shows in the browser.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

import { CHROMIUM_ARGS, ROOT, findChromium, findExecutable, startGame } from './game-process.js';
import { ONE_ADDRESS } from './loopback.js';
import {
  DESKTOP, OPPOSITE, Pages, countdownOver, createMatch, endScreen, fieldRows, inMatch,
  joinByLink, playUntilEnd, shot, until,
} from './pages.js';

const PREFIX = '/blockattack/';
const NGINX_CONF = path.join(ROOT, 'deploy', 'nginx.conf');
// deploy/nginx.conf names each address once, so plain text replacement moves it (as in
// tests/test_nginx.py): the `listen` address and the `upstream` (bridge) address.
const PUBLIC_PLACEHOLDER = '127.0.0.1:8088';
const BRIDGE_PLACEHOLDER = '127.0.0.1:8080';
// A free port may be taken between probing and binding: each attempt probes a new one.
const ATTEMPTS = 3;
const READY_TIMEOUT_MS = 10000;
const STOP_WAIT_MS = 5000;

let prefix;
let game;
let nginx;
let browser;
let pages;

before(async () => {
  // Debian puts nginx in /usr/sbin, which an ordinary user's PATH may lack.
  const binary = findExecutable(['nginx'], ['/usr/sbin', '/usr/local/sbin']);
  assert.ok(binary, 'nginx is not installed: `make test` installs it (scripts/ensure-system-deps)');
  prefix = mkdtempSync(path.join(os.tmpdir(), 'block-attack-nginx-'));
  game = await onFreePort((port) => startGame({
    matchSeconds: 15, port, extraArgs: ['--base-path', PREFIX, '--trust-proxy', ...ONE_ADDRESS],
  }));
  nginx = await onFreePort((port) => startNginx(binary, prefix, port, new URL(game.url).port));
  browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  pages = new Pages(browser);
});

after(async () => {
  await pages?.closeAll();
  await browser?.close();
  await nginx?.stop();
  await game?.stop();
  if (prefix) rmSync(prefix, { recursive: true, force: true });
});

test('through nginx: two players meet by share link, play to the end and agree', {
  timeout: 120000,
}, async () => {
  const home = `${nginx.origin}${PREFIX}`;
  const alice = await pages.open(DESKTOP, home);
  const link = await createMatch(alice, 'alice');
  // the share link names the public host as nginx passed it on, not the bridge's port
  assert.ok(link.startsWith(`${home}m/`), link);
  assert.match(link, /\/m\/[A-Za-z0-9_-]{22}#host=alice$/);
  assert.ok(alice.url().startsWith(`${home}m/`), alice.url());

  const bob = await pages.open(DESKTOP, link);
  await joinByLink(bob, 'bob');
  await Promise.all([countdownOver(alice), countdownOver(bob)]);
  assert.equal(await alice.textContent('#them-name'), 'bob');
  assert.equal(await bob.textContent('#them-name'), 'alice');

  for (const key of ['ArrowLeft', 'ArrowLeft', 'Space', 'ArrowRight', 'ArrowRight', 'Space']) {
    await alice.keyboard.press(key);
    await alice.waitForTimeout(80);
  }
  await until(async () => (await fieldRows(alice, [19]))[0].includes('#'));
  await shot(alice, 'nginx-match');

  await Promise.all([playUntilEnd(alice, { touch: false }), playUntilEnd(bob, { touch: false })]);
  const [a, b] = [await endScreen(alice), await endScreen(bob)];
  assert.equal(a.outcome, OPPOSITE[b.outcome], `${a.title} / ${b.title}`);
  assert.deepEqual(a.me, b.them, 'alice\'s score as both screens show it');
  assert.deepEqual(a.them, b.me, 'bob\'s score as both screens show it');
  assert.match(a.reason, /^(Time's up|(You|bob) topped out( \((lock|block|garbage) out\))?)$/);

  const ws = `ws://127.0.0.1:${nginx.port}${PREFIX}ws`;
  assert.deepEqual([...new Set([...alice.sockets, ...bob.sockets])], [ws]);
  assert.deepEqual([...alice.problems, ...bob.problems], []);
});

test('through nginx: a spectator watches a match to its end, then a rematch starts', {
  timeout: 120000,
}, async () => {
  const home = `${nginx.origin}${PREFIX}`;
  const dave = await pages.open(DESKTOP, home);
  const link = await createMatch(dave, 'dave');
  const erin = await pages.open(DESKTOP, link);
  await joinByLink(erin, 'erin');
  await Promise.all([countdownOver(dave), countdownOver(erin)]);

  const frank = await pages.open(DESKTOP, dave.url());
  await frank.waitForSelector('#message-actions button');
  assert.equal(await frank.textContent('#message-title'), 'dave vs erin are playing');
  await frank.click('#message-actions button');
  await frank.waitForSelector('#view-watch:not([hidden])');
  await until(async () => (await dave.textContent('#watchers')) === '1 watching');
  await shot(frank, 'nginx-watching');

  await Promise.all([playUntilEnd(dave, { touch: false }), playUntilEnd(erin, { touch: false })]);
  await frank.waitForSelector('#view-end:not([hidden])');
  const [d, f] = [await endScreen(dave), await endScreen(frank)];
  assert.equal(f.title, d.outcome === 'win' ? 'dave wins' : d.outcome === 'loss' ? 'erin wins'
    : 'Draw');

  const first = dave.url();
  await dave.click('#rematch-button');
  await erin.waitForSelector('#rematch-offer:not([hidden])');
  await erin.click('#rematch-accept');
  await Promise.all([inMatch(dave), inMatch(erin)]);
  assert.notEqual(dave.url(), first);
  assert.equal(dave.url(), erin.url());
  assert.ok(dave.url().startsWith(`${home}m/`), dave.url());
  await shot(erin, 'nginx-rematch');
  const ws = `ws://127.0.0.1:${nginx.port}${PREFIX}ws`;
  assert.deepEqual([...new Set([...dave.sockets, ...erin.sockets, ...frank.sockets])], [ws]);
  assert.deepEqual([...dave.problems, ...erin.problems, ...frank.problems], []);
});

/** start(port) with a free loopback port, trying another port if that one fails. */
async function onFreePort(start) {
  let failure;
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    try {
      return await start(await freePort());
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function renderConf(publicPort, bridgePort) {
  const conf = readFileSync(NGINX_CONF, 'utf8');
  for (const placeholder of [PUBLIC_PLACEHOLDER, BRIDGE_PLACEHOLDER]) {
    const count = conf.split(placeholder).length - 1;
    assert.equal(count, 1, `deploy/nginx.conf must name ${placeholder} once`);
  }
  return conf.replace(PUBLIC_PLACEHOLDER, `127.0.0.1:${publicPort}`)
    .replace(BRIDGE_PLACEHOLDER, `127.0.0.1:${bridgePort}`);
}

/**
 * nginx in the foreground as this user, everything under `dir`, in its own process group;
 * resolves {origin, port, stop()} once `healthz` answers through it.
 */
async function startNginx(binary, dir, port, bridgePort) {
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  mkdirSync(path.join(dir, 'temp'), { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, renderConf(port, bridgePort));
  const args = ['-p', dir, '-c', conf, '-e', 'stderr',
    '-g', `daemon off; pid ${path.join(dir, 'nginx.pid')};`];
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  const state = { gone: false, output: '' };
  child.once('exit', () => { state.gone = true; });
  child.once('error', (error) => {
    state.gone = true;
    state.output += `${error.message}\n`;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => { state.output += chunk; });
  const stop = () => stopGroup(child, state);
  const origin = `http://127.0.0.1:${port}`;
  const answer = await healthz(`${origin}${PREFIX}healthz`, state);
  if (answer !== 'ok') {
    await stop();
    const log = state.output.slice(-2000); // the error log repeats itself once per poll
    throw new Error(`nginx did not answer healthz on ${origin} (${answer}):\n${log}`);
  }
  return { origin, port, stop };
}

/** 'ok' once healthz answers so, else what went wrong last, within READY_TIMEOUT_MS. */
async function healthz(url, state) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (!state.gone && Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      const text = (await response.text()).trim();
      if (response.status === 200 && text === 'ok') return 'ok';
      last = `HTTP ${response.status}: ${text.slice(0, 200)}`;
    } catch (error) {
      last = error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return state.gone ? 'nginx exited' : last;
}

/** SIGTERM to the whole group (master and workers), SIGKILL if it lingers; waits boundedly. */
function stopGroup(child, state) {
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      // the group is gone already
    }
  };
  return new Promise((resolve) => {
    if (state.gone) return resolve();
    const kill = setTimeout(() => signal('SIGKILL'), STOP_WAIT_MS);
    const giveUp = setTimeout(resolve, 2 * STOP_WAIT_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      clearTimeout(giveUp);
      signal('SIGKILL'); // any worker the master left behind
      resolve();
    });
    signal('SIGTERM');
  });
}
