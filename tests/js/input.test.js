// Keyboard input: mapped keys become actions once per press, and nothing stays held when the
// page loses the keyboard (static/js/input.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KeyboardInput } from '../../static/js/input.js';

class FakeTarget {
  constructor() {
    this.listeners = {};
    this.visibilityState = 'visible';
  }

  addEventListener(type, fn) {
    (this.listeners[type] ??= []).push(fn);
  }

  emit(type, event = {}) {
    for (const fn of this.listeners[type] ?? []) fn(event);
  }
}

function keyboard() {
  const doc = new FakeTarget();
  const win = new FakeTarget();
  const log = [];
  const input = new KeyboardInput(doc, {
    onPress: (action) => log.push(`press ${action}`),
    onRelease: (action) => log.push(`release ${action}`),
    onReleaseAll: () => log.push('release all'),
    enabled: () => true,
  });
  input.setBindings({ left: ['ArrowLeft'] });
  input.attach(win);
  log.length = 0;
  const key = (type, code, repeat = false) => doc.emit(type, {
    code, repeat, target: { tagName: 'CANVAS' }, preventDefault: () => {},
  });
  return { doc, win, log, key, input };
}

test('a held key presses once, repeats are ignored, and it releases once', () => {
  const { log, key } = keyboard();
  key('keydown', 'ArrowLeft');
  key('keydown', 'ArrowLeft', true);
  key('keyup', 'ArrowLeft');
  key('keyup', 'ArrowLeft');
  assert.deepEqual(log, ['press left', 'release left']);
});

test('a window blur releases every held key', () => {
  const { win, log, key, input } = keyboard();
  key('keydown', 'ArrowLeft');
  win.emit('blur');
  assert.equal(input.down.size, 0);
  assert.deepEqual(log, ['press left', 'release all']);
});

test('a page that goes hidden releases every held key; coming back does nothing', () => {
  const { doc, log, key, input } = keyboard();
  key('keydown', 'ArrowLeft');
  doc.visibilityState = 'hidden';
  doc.emit('visibilitychange');
  assert.equal(input.down.size, 0);
  doc.visibilityState = 'visible';
  doc.emit('visibilitychange');
  key('keydown', 'ArrowLeft'); // pressed again after coming back: a fresh press
  assert.deepEqual(log, ['press left', 'release all', 'press left']);
});
