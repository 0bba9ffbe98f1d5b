// The fixed-step clock: steps per elapsed time, and one loop only however often a match stops
// and starts (static/js/timer.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { STEP_MS, Timer } from '../../static/js/timer.js';

// requestAnimationFrame by hand: frame(now) runs every callback queued so far.
function fakeFrames() {
  let queued = [];
  return {
    raf: (fn) => queued.push(fn),
    frame(now) {
      const due = queued;
      queued = [];
      for (const fn of due) fn(now);
    },
    get pending() {
      return queued.length;
    },
  };
}

test('advance runs one update per whole step and carries the rest', () => {
  let steps = 0;
  const timer = new Timer({ update: () => { steps += 1; }, draw: () => {} }, { raf: () => {} });
  assert.equal(timer.advance(STEP_MS * 2.5), 2);
  assert.equal(timer.advance(STEP_MS * 0.5), 1);
  assert.equal(steps, 3);
});

test('stop then start before the queued frame runs keeps a single loop', () => {
  const frames = fakeFrames();
  let draws = 0;
  const timer = new Timer({ update: () => {}, draw: () => { draws += 1; } }, { raf: frames.raf });
  timer.start();
  frames.frame(0);
  timer.stop(); // the match ended; its next frame is still queued
  timer.start(); // the next match starts before that frame ran
  for (let k = 1; k <= 5; k += 1) frames.frame(k * 16);
  assert.equal(draws, 1 + 5, 'one draw per animation frame');
  assert.equal(frames.pending, 1);
});

test('a new start does not run time left over from the previous match', () => {
  const frames = fakeFrames();
  let steps = 0;
  const timer = new Timer({ update: () => { steps += 1; }, draw: () => {} }, { raf: frames.raf });
  timer.advance(STEP_MS * 0.9);
  timer.stop();
  timer.start();
  frames.frame(1000);
  frames.frame(1000 + STEP_MS * 0.5);
  assert.equal(steps, 0);
});
