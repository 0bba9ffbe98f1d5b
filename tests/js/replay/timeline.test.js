// Seek and step maths of the replay player (static/js/replay/timeline.js).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SPEEDS, Timeline, countAt } from '../../../static/js/replay/timeline.js';

// Two locks at 250 (both players) with the garbage the second sends, a power at 400, a lock at
// 900, a forced effect at 1000; the match ran to 2000 ms.
const EVENTS = [
  [250, 'l', 0], [250, 'l', 1], [250, 'e', 0], [400, 'p', 1], [900, 'l', 0], [1000, 'f', 1],
];
const at = (timeline) => [timeline.t, timeline.count];

test('countAt: the events with time <= t', () => {
  const times = EVENTS.map((e) => e[0]);
  assert.deepEqual([0, 249, 250, 399, 400, 999, 1000, 5000].map((t) => countAt(times, t)),
    [0, 0, 3, 3, 4, 5, 6, 6]);
  assert.equal(countAt([], 100), 0);
});

describe('Timeline', () => {
  test('seek applies every event up to the time, clamped to the match', () => {
    const timeline = new Timeline(EVENTS, 2000);
    timeline.seek(400);
    assert.deepEqual(at(timeline), [400, 4]);
    timeline.seek(-50);
    assert.deepEqual(at(timeline), [0, 0]);
    timeline.seek(99999);
    assert.deepEqual(at(timeline), [2000, 6]);
    assert.ok(timeline.atEnd);
    assert.throws(() => timeline.seek(Number.NaN), RangeError);
  });

  test('a step takes one piece of either player, even at one moment', () => {
    const timeline = new Timeline(EVENTS, 2000);
    assert.equal(timeline.stepForward(), true);
    assert.deepEqual(at(timeline), [250, 1]); // alice's lock, not yet bob's at the same time
    timeline.stepForward();
    assert.deepEqual(at(timeline), [250, 2]);
    timeline.stepForward(); // the garbage and the power come with the next lock
    assert.deepEqual(at(timeline), [900, 5]);
    assert.equal(timeline.stepForward(), false); // no lock left: to the end
    assert.deepEqual(at(timeline), [2000, 6]);
    assert.equal(timeline.stepBack(), true); // the newest lock taken back, with what followed it
    assert.deepEqual(at(timeline), [400, 4]);
    timeline.stepBack();
    assert.deepEqual(at(timeline), [250, 1]);
    timeline.stepBack();
    assert.deepEqual(at(timeline), [0, 0]);
    assert.equal(timeline.stepBack(), false);
    assert.deepEqual(at(timeline), [0, 0]);
  });

  test('forward then back returns to the same position', () => {
    const timeline = new Timeline(EVENTS, 2000);
    timeline.seek(500);
    timeline.stepForward();
    timeline.stepBack();
    assert.deepEqual(at(timeline), [400, 4]);
  });

  test('playing moves the clock by the time passed times the speed, and stops at the end', () => {
    const timeline = new Timeline(EVENTS, 2000);
    timeline.advance(500);
    assert.deepEqual(at(timeline), [0, 0], 'paused: nothing moves');
    timeline.toggle();
    timeline.advance(200);
    assert.deepEqual(at(timeline), [200, 0]);
    timeline.setSpeed(4);
    timeline.advance(50);
    assert.deepEqual(at(timeline), [400, 4]);
    timeline.setSpeed(0.5);
    timeline.advance(1000);
    assert.deepEqual(at(timeline), [900, 5]);
    timeline.setSpeed(2);
    timeline.advance(10000);
    assert.deepEqual(at(timeline), [2000, 6]);
    assert.equal(timeline.playing, false);
    timeline.toggle(); // play again from the start
    assert.deepEqual([...at(timeline), timeline.playing], [0, 0, true]);
    assert.throws(() => timeline.setSpeed(3), RangeError);
    assert.deepEqual(SPEEDS, [0.5, 1, 2, 4]);
  });

  test('playing after a step keeps the pieces the step applied', () => {
    const timeline = new Timeline(EVENTS, 2000);
    timeline.stepForward();
    timeline.toggle();
    timeline.advance(1);
    assert.deepEqual(at(timeline), [251, 3]);
  });

  test('a replay that stops early ends at its last event', () => {
    const timeline = new Timeline(EVENTS.slice(0, 4), 0);
    assert.equal(timeline.duration, 400);
  });
});
