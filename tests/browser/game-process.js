// Test helpers: run `block-attack play` on loopback for one test file, and find Chromium.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ONE_ADDRESS } from './loopback.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY = /^open (http:\/\/\S+)$/m;
const START_TIMEOUT_MS = 30000;

/**
 * Start the server and bridge together; resolves {url, stop(), pause(), resume()} once the CLI
 * prints its URL. The bridge listens on `port` (0: any free one).
 */
export function startGame({ matchSeconds = 20, port = 0, extraArgs = [] } = {}) {
  const args = ['play', '--host', '127.0.0.1', '--port', String(port), '--match-seconds',
    String(matchSeconds), ...ONE_ADDRESS, ...extraArgs];
  return startProcess(CLI, args, READY).then(({ ready, ...handle }) => ({ url: ready, ...handle }));
}

export const CLI = path.join(ROOT, '.venv', 'bin', 'block-attack');

/**
 * Start `command` with `args`; resolves {ready, stop(), output(), pause(), resume()} once its
 * output matches `readyPattern` (`ready`: the pattern's first group).
 */
export function startProcess(command, args, readyPattern) {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGCONT'); // a paused game could not act on SIGTERM
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${path.basename(command)} ${args[0]} did not start:\n${output}`));
    }, START_TIMEOUT_MS);
    const read = (chunk) => {
      output += chunk;
      const found = readyPattern.exec(output);
      if (found) {
        clearTimeout(timer);
        // pause/resume freeze the whole process (a game: server and bridge): it goes silent
        resolve({
          ready: found[1], stop, output: () => output,
          pause: () => child.kill('SIGSTOP'), resume: () => child.kill('SIGCONT'),
        });
      }
    };
    child.stdout.setEncoding('utf8').on('data', read);
    child.stderr.setEncoding('utf8').on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${path.basename(command)} ${args[0]} exited with ${code}:\n${output}`));
    });
  });
}

/** The first executable named one of `names` in the $PATH directories, then `moreDirs`. */
export function findExecutable(names, moreDirs = []) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...moreDirs];
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** A Chromium binary: $CHROMIUM_PATH, else the first chromium on $PATH (Debian's package). */
export function findChromium() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const found = findExecutable(['chromium', 'chromium-browser', 'google-chrome']);
  if (found === null) throw new Error('Chromium not found: install it or set CHROMIUM_PATH');
  return found;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
