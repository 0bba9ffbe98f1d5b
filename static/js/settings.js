// Player settings: handling (DAS, ARR, soft drop) and key bindings by `event.code`,
// remembered in localStorage. Loading never throws: anything damaged falls back to defaults.

import { MAX_POWERS } from './rules/effects.js';
import { readJson, writeJson } from './stored.js';

const KEY = 'blockattack.settings';
// One "use power" action per inventory slot: 'power1' uses slot 0.
const POWER_ACTIONS = Array.from({ length: MAX_POWERS }, (_, slot) => `power${slot + 1}`);

export const ACTIONS = Object.freeze([
  ['left', 'Move left'],
  ['right', 'Move right'],
  ['softDrop', 'Soft drop'],
  ['hardDrop', 'Hard drop'],
  ['rotateCw', 'Rotate clockwise'],
  ['rotateCcw', 'Rotate counter-clockwise'],
  ['rotate180', 'Rotate 180°'],
  ['hold', 'Hold'],
  ...POWER_ACTIONS.map((action, slot) => [action, `Use power ${slot + 1}`]),
  ['settings', 'Settings'],
]);

/** The inventory slot (0–5) an action uses, or null: 'power1' → 0. */
export function powerSlot(action) {
  const slot = POWER_ACTIONS.indexOf(action);
  return slot < 0 ? null : slot;
}

export const LIMITS = Object.freeze({
  das: { label: 'DAS (ms)', min: 0, max: 500, step: 1 },
  arr: { label: 'ARR (ms, 0 = instant)', min: 0, max: 200, step: 1 },
  sdr: { label: 'Soft drop (ms per row, 0 = instant)', min: 0, max: 200, step: 1 },
});

export function defaultSettings() {
  return {
    das: 133,
    arr: 10,
    sdr: 25,
    bindings: {
      left: ['ArrowLeft'],
      right: ['ArrowRight'],
      softDrop: ['ArrowDown'],
      hardDrop: ['Space'],
      rotateCw: ['ArrowUp', 'KeyX'],
      rotateCcw: ['KeyZ', 'ControlLeft', 'ControlRight'],
      rotate180: ['KeyA'], // TETR.IO's default
      hold: ['KeyC', 'ShiftLeft', 'ShiftRight'],
      ...Object.fromEntries(POWER_ACTIONS.map((action, slot) => [action, [`Digit${slot + 1}`]])),
      settings: ['Escape', 'KeyP'],
    },
  };
}

const isCode = (code) => typeof code === 'string' && /^[A-Za-z0-9]{1,32}$/.test(code);

/** Settings from untrusted data: each valid value kept, everything else the default. */
export function sanitize(raw) {
  const settings = defaultSettings();
  if (raw === null || typeof raw !== 'object') return settings;
  for (const [name, { min, max }] of Object.entries(LIMITS)) {
    const value = raw[name];
    if (Number.isFinite(value) && value >= min && value <= max) settings[name] = value;
  }
  const saved = new Set();
  for (const [action] of ACTIONS) {
    const codes = raw.bindings?.[action];
    if (Array.isArray(codes) && codes.every(isCode)) {
      settings.bindings[action] = [...new Set(codes)];
      saved.add(action);
    }
  }
  // An action new since the settings were saved keeps its default keys only where the player
  // has not given them to another action (one key, one action).
  const taken = new Set([...saved].flatMap((action) => settings.bindings[action]));
  for (const [action] of ACTIONS) {
    if (!saved.has(action)) {
      settings.bindings[action] = settings.bindings[action].filter((c) => !taken.has(c));
    }
  }
  return settings;
}

export const loadSettings = (storage) => sanitize(readJson(storage, KEY));
export const saveSettings = (storage, settings) => writeJson(storage, KEY, settings);

/** Bind `code` to `action`, taking it away from any other action (one key, one action). */
export function bindKey(settings, action, code) {
  const bindings = {};
  for (const [name, codes] of Object.entries(settings.bindings)) {
    bindings[name] = codes.filter((c) => c !== code);
  }
  bindings[action] = [...bindings[action], code];
  return { ...settings, bindings };
}

export function unbindKey(settings, action, code) {
  const codes = settings.bindings[action].filter((c) => c !== code);
  return { ...settings, bindings: { ...settings.bindings, [action]: codes } };
}

/** event.code → action, for the keyboard listener. */
export function keyMap(bindings) {
  const map = new Map();
  for (const [action, codes] of Object.entries(bindings)) {
    for (const code of codes) map.set(code, action);
  }
  return map;
}

/** A short readable label for a key code ("ArrowLeft" → "←", "KeyZ" → "Z"). */
export function keyLabel(code) {
  const arrows = { ArrowLeft: '←', ArrowRight: '→', ArrowUp: '↑', ArrowDown: '↓' };
  if (code in arrows) return arrows[code];
  if (/^Key[A-Z]$/.test(code)) return code.slice(3);
  if (/^Digit\d$/.test(code)) return code.slice(5);
  return code.replace(/(Left|Right)$/, ' $1').replace(/^Control/, 'Ctrl').replace(/^Escape/, 'Esc');
}
