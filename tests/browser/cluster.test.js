// One match in headless Chromium through a cluster on loopback: redis-server, two
// `block-attack server` nodes with --directory and two bridges routing through it. alice opens
// the match through one bridge, bob follows the link through the other; both play to the end.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';

import { CHROMIUM_ARGS, CLI, findChromium, findExecutable, startProcess } from './game-process.js';
import {
  DESKTOP, OPPOSITE, Pages, createMatch, endScreen, inMatch, joinByLink, playUntilEnd,
} from './pages.js';

const MATCH_SECONDS = 8;
const BRIDGE_READY = /bridge ready: (http:\/\/\S+)/;
const NODE_READY = /listening on udp:\/\/(\S+)/;

/** A TCP port nobody listens on right now, for our own redis-server. */
const freePort = () => new Promise((resolve, reject) => {
  const probe = net.createServer();
  probe.once('error', reject);
  probe.listen(0, '127.0.0.1', () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
});

describe('a match through two bridges and two nodes', { timeout: 90000 }, () => {
  const processes = [];
  let bridges = [];
  let browser = null;
  let pages = null;

  before(async () => {
    const redisServer = findExecutable(['redis-server'], ['/usr/bin', '/usr/sbin']);
    assert.ok(redisServer, 'redis-server is installed (scripts/ensure-system-deps)');
    const port = await freePort();
    processes.push(await startProcess(redisServer, ['--port', String(port), '--bind',
      '127.0.0.1', '--save', '', '--appendonly', 'no'], /(Ready) to accept connections/));
    const url = `redis://127.0.0.1:${port}/0`;
    processes.push(...await Promise.all(['a', 'b'].map((id) => startProcess(CLI, ['server',
      '--host', '127.0.0.1', '--port', '0', '--match-seconds', String(MATCH_SECONDS),
      '--directory', url, '--node-id', id], NODE_READY))));
    const started = await Promise.all([0, 1].map(() => startProcess(CLI, ['bridge', '--host',
      '127.0.0.1', '--port', '0', '--directory', url], BRIDGE_READY)));
    processes.push(...started);
    bridges = started.map(({ ready }) => ready);
    browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
    pages = new Pages(browser);
  });

  after(async () => {
    await pages?.closeAll();
    await browser?.close();
    await Promise.all(processes.reverse().map((process) => process.stop()));
  });

  test('alice and bob meet through different bridges and agree on the result', async () => {
    assert.notEqual(bridges[0], bridges[1]);
    const alice = await pages.open(DESKTOP, bridges[0]);
    const link = await createMatch(alice, 'alice');
    // the share link names alice's bridge; bob takes the same path through the other one
    const bobUrl = bridges[1] + new URL(link).pathname.slice(1) + new URL(link).hash;
    const bob = await pages.open(DESKTOP, bobUrl);
    await joinByLink(bob, 'bob');
    await Promise.all([inMatch(alice), inMatch(bob)]);
    assert.equal(await alice.textContent('#them-name'), 'bob');
    assert.equal(await bob.textContent('#them-name'), 'alice');
    await Promise.all([playUntilEnd(alice, { touch: false }), playUntilEnd(bob, { touch: false })]);
    const [aliceEnd, bobEnd] = await Promise.all([endScreen(alice), endScreen(bob)]);
    assert.equal(bobEnd.outcome, OPPOSITE[aliceEnd.outcome]);
    assert.doesNotMatch(aliceEnd.reason, /server/i, 'the match ended by the rules, not a fault');
    assert.deepEqual(alice.problems, []);
    assert.deepEqual(bob.problems, []);
  });
});
