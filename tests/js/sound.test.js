// static/js/sound.js: the sound settings (remembered, sanitised) and a player that never throws.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  EFFECTS, Sound, defaultSound, loadSound, sanitizeSound, saveSound,
} from '../../static/js/sound.js';

function memoryStorage() {
  const data = new Map();
  return {
    getItem: (key) => (data.has(key) ? data.get(key) : null),
    setItem: (key, value) => data.set(key, String(value)),
    data,
  };
}

// A fake AudioContext that records the oscillators started.
class FakeContext {
  static started = [];
  state = 'running';
  currentTime = 10;
  destination = {};
  createOscillator() {
    const param = { setValueAtTime() {}, exponentialRampToValueAtTime() {} };
    return { frequency: param, connect: (node) => node, start: (t) => FakeContext.started.push(t),
      stop() {} };
  }
  createGain() {
    return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} },
      connect: (node) => node };
  }
}

describe('sound settings', () => {
  test('remembered across loads', () => {
    const storage = memoryStorage();
    assert.deepEqual(loadSound(storage), defaultSound());
    saveSound(storage, { muted: true, volume: 0.2 });
    assert.deepEqual(loadSound(storage), { muted: true, volume: 0.2 });
  });

  test('damaged or out-of-range values fall back to the defaults, one by one', () => {
    assert.deepEqual(sanitizeSound({ muted: 'yes', volume: 3 }), defaultSound());
    assert.deepEqual(sanitizeSound({ muted: true, volume: -1 }), { muted: true, volume: 0.5 });
    assert.deepEqual(sanitizeSound(null), defaultSound());
    const storage = memoryStorage();
    storage.setItem('blockattack.sound', '{not json');
    assert.deepEqual(loadSound(storage), defaultSound());
    const broken = { getItem() { throw new Error('denied'); }, setItem() { throw new Error('x'); } };
    assert.deepEqual(loadSound(broken), defaultSound());
    assert.doesNotThrow(() => saveSound(broken, defaultSound()));
  });
});

describe('Sound', () => {
  test('every effect plays its notes; muted or silent plays nothing', () => {
    FakeContext.started = [];
    const sound = new Sound(defaultSound(), FakeContext);
    for (const name of Object.keys(EFFECTS)) assert.equal(sound.play(name), true, name);
    assert.equal(FakeContext.started.length,
      Object.values(EFFECTS).reduce((n, notes) => n + notes.length, 0));
    assert.equal(sound.play('nonsense'), false);
    sound.configure({ muted: true, volume: 0.5 });
    assert.equal(sound.play('lock'), false);
    sound.configure({ muted: false, volume: 0 });
    assert.equal(sound.play('lock'), false);
  });

  test('no audio at all (headless): every call does nothing and never throws', () => {
    const none = new Sound(defaultSound(), undefined);
    assert.equal(none.play('win'), false);
    class Refusing { constructor() { throw new Error('not allowed'); } }
    const refused = new Sound(defaultSound(), Refusing);
    assert.doesNotThrow(() => refused.unlock());
    assert.equal(refused.play('lose'), false);
    class Suspended extends FakeContext { state = 'suspended'; resume() { return Promise.reject(new Error('no')); } }
    assert.equal(new Sound(defaultSound(), Suspended).play('go'), false);
  });
});
