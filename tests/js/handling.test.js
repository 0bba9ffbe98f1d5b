// DAS / ARR / soft drop timing and key settings, fed with literal presses and milliseconds.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Handling } from '../../static/js/handling.js';
import {
  bindKey, defaultSettings, keyLabel, keyMap, loadSettings, sanitize, unbindKey,
} from '../../static/js/settings.js';

const shifts = (commands) => commands.filter((c) => c.kind === 'shift')
  .reduce((sum, c) => sum + c.dx * c.steps, 0);

describe('Handling', () => {
  test('a tap moves once; holding repeats after DAS every ARR', () => {
    const h = new Handling({ das: 100, arr: 20, sdr: 30 });
    h.press('left');
    assert.deepEqual(h.step(10), [{ kind: 'shift', dx: -1, steps: 1 }]);
    assert.equal(shifts(h.step(80)), 0); // 90 ms held
    assert.equal(shifts(h.step(10)), -1); // 100 ms: DAS reached
    assert.equal(shifts(h.step(39)), -1); // 139 ms: one more at 120
    assert.equal(shifts(h.step(1)), -1); // 140 ms
    h.release('left');
    assert.deepEqual(h.step(500), []);
  });

  test('ARR 0 sends the piece to the wall once DAS is charged', () => {
    const h = new Handling({ das: 50, arr: 0, sdr: 30 });
    h.press('right');
    h.step(10);
    assert.deepEqual(h.step(40), [{ kind: 'shift', dx: 1, steps: Infinity }]);
  });

  test('the newest direction wins and the older one charges DAS anew on release', () => {
    const h = new Handling({ das: 100, arr: 10, sdr: 30 });
    h.press('left');
    h.step(150);
    h.press('right');
    assert.equal(shifts(h.step(1)), 1);
    assert.equal(shifts(h.step(50)), 0);
    h.release('right');
    assert.equal(shifts(h.step(99)), 0); // left held again, but its DAS starts over
    assert.equal(shifts(h.step(1)), -1);
  });

  test('soft drop: one row at once, then one per sdr ms; sdr 0 drops to the floor', () => {
    const h = new Handling({ das: 100, arr: 10, sdr: 25 });
    h.press('softDrop');
    assert.deepEqual(h.step(24), [{ kind: 'soft', steps: 1 }]);
    assert.deepEqual(h.step(1), [{ kind: 'soft', steps: 1 }]); // 25 ms
    assert.deepEqual(h.step(24), []);
    assert.deepEqual(h.step(1), [{ kind: 'soft', steps: 1 }]); // 50 ms
    h.release('softDrop');
    assert.deepEqual(h.step(100), []);
    h.configure({ das: 100, arr: 10, sdr: 0 });
    h.press('softDrop');
    assert.deepEqual(h.step(1),
      [{ kind: 'soft', steps: Infinity }, { kind: 'soft', steps: Infinity }]);
  });

  test('rotations, hard drop and hold happen once per press, in order', () => {
    const h = new Handling({ das: 100, arr: 10, sdr: 25 });
    h.press('rotateCw');
    h.press('hold');
    h.press('rotateCcw');
    h.press('hardDrop');
    assert.deepEqual(h.step(16), [
      { kind: 'rotate', dir: 1 }, { kind: 'hold' }, { kind: 'rotate', dir: -1 },
      { kind: 'hardDrop' },
    ]);
    assert.deepEqual(h.step(16), []);
  });

  test('releaseAll stops every repeat', () => {
    const h = new Handling({ das: 10, arr: 10, sdr: 10 });
    h.press('left');
    h.press('softDrop');
    h.step(5);
    h.releaseAll();
    assert.deepEqual(h.step(1000), []);
  });
});

describe('settings', () => {
  test('defaults map the documented keys', () => {
    const map = keyMap(defaultSettings().bindings);
    const expected = {
      ArrowLeft: 'left', ArrowRight: 'right', ArrowDown: 'softDrop', Space: 'hardDrop',
      ArrowUp: 'rotateCw', KeyX: 'rotateCw', KeyZ: 'rotateCcw', ControlLeft: 'rotateCcw',
      KeyC: 'hold', ShiftLeft: 'hold', Escape: 'settings', KeyP: 'settings',
    };
    for (const [code, action] of Object.entries(expected)) assert.equal(map.get(code), action);
  });

  test('sanitize keeps valid values and replaces the rest with defaults', () => {
    const raw = { das: 80, arr: -5, sdr: 'fast', bindings: { left: ['KeyA'], right: [42] } };
    const settings = sanitize(raw);
    assert.equal(settings.das, 80);
    assert.equal(settings.arr, defaultSettings().arr);
    assert.equal(settings.sdr, defaultSettings().sdr);
    assert.deepEqual(settings.bindings.left, ['KeyA']);
    assert.deepEqual(settings.bindings.right, ['ArrowRight']);
    assert.deepEqual(sanitize(null), defaultSettings());
  });

  test('rotate180 is KeyA by default; settings saved before it get KeyA only where it is free', () => {
    assert.equal(keyMap(defaultSettings().bindings).get('KeyA'), 'rotate180');
    const saved = JSON.parse(JSON.stringify(defaultSettings()));
    delete saved.bindings.rotate180;
    assert.deepEqual(sanitize(saved).bindings.rotate180, ['KeyA']);
    saved.bindings.hold = ['KeyA'];
    const settings = sanitize(saved);
    assert.deepEqual(settings.bindings.rotate180, [], 'KeyA stays with hold');
    assert.deepEqual(settings.bindings.hold, ['KeyA']);
  });

  test('loadSettings survives damaged storage', () => {
    assert.deepEqual(loadSettings({ getItem: () => '{oops' }), defaultSettings());
    assert.deepEqual(loadSettings({ getItem: () => { throw new Error('denied'); } }),
      defaultSettings());
  });

  test('bindKey moves a key from its old action; unbindKey removes it', () => {
    let settings = bindKey(defaultSettings(), 'hold', 'Space');
    assert.deepEqual(settings.bindings.hardDrop, []);
    assert.ok(settings.bindings.hold.includes('Space'));
    settings = unbindKey(settings, 'hold', 'Space');
    assert.ok(!settings.bindings.hold.includes('Space'));
    assert.deepEqual(defaultSettings().bindings.hardDrop, ['Space']); // no shared state
  });

  test('keyLabel is short and readable', () => {
    const codes = ['ArrowLeft', 'KeyZ', 'Space', 'ControlLeft', 'Escape', 'Digit4'];
    assert.deepEqual(codes.map(keyLabel), ['←', 'Z', 'Space', 'Ctrl Left', 'Esc', '4']);
  });
});
