// Short sound effects generated in code with the Web Audio API (no files): move, rotate, lock,
// line clear, tetris / T-spin, garbage received, power used and hit, countdown, win and lose.
// A mute toggle and a volume, remembered in localStorage. Never throws: without audio (a headless
// browser, an old one, a policy that blocks it) every call does nothing.

import { readJson, writeJson } from './stored.js';

const KEY = 'blockattack.sound';

export function defaultSound() {
  return { muted: false, volume: 0.5 };
}

/** Sound settings from untrusted data: each valid value kept, everything else the default. */
export function sanitizeSound(raw) {
  const sound = defaultSound();
  if (raw === null || typeof raw !== 'object') return sound;
  if (typeof raw.muted === 'boolean') sound.muted = raw.muted;
  if (Number.isFinite(raw.volume) && raw.volume >= 0 && raw.volume <= 1) sound.volume = raw.volume;
  return sound;
}

export const loadSound = (storage) => sanitizeSound(readJson(storage, KEY));
export const saveSound = (storage, sound) => writeJson(storage, KEY, sanitizeSound(sound));

// Each effect: notes of [frequency Hz, start s, length s, wave, gain], a frequency slide to
// `to` Hz when given. Short (under half a second) so they never pile up.
export const EFFECTS = Object.freeze({
  move: [[520, 0, 0.03, 'square', 0.12]],
  rotate: [[700, 0, 0.04, 'triangle', 0.18]],
  lock: [[160, 0, 0.07, 'triangle', 0.35, 90]],
  clear: [[523, 0, 0.08, 'square', 0.2], [784, 0.06, 0.12, 'square', 0.2]],
  tetris: [[523, 0, 0.08, 'square', 0.22], [659, 0.07, 0.08, 'square', 0.22],
    [784, 0.14, 0.08, 'square', 0.22], [1047, 0.21, 0.2, 'square', 0.24]],
  tspin: [[392, 0, 0.07, 'sawtooth', 0.18], [587, 0.07, 0.07, 'sawtooth', 0.18],
    [880, 0.14, 0.18, 'triangle', 0.24]],
  garbage: [[110, 0, 0.18, 'sawtooth', 0.3, 70]],
  power: [[440, 0, 0.15, 'sine', 0.3, 1320]],
  hit: [[300, 0, 0.22, 'square', 0.25, 80]],
  count: [[660, 0, 0.12, 'sine', 0.35]],
  go: [[990, 0, 0.3, 'sine', 0.4]],
  win: [[523, 0, 0.12, 'triangle', 0.3], [659, 0.12, 0.12, 'triangle', 0.3],
    [784, 0.24, 0.12, 'triangle', 0.3], [1047, 0.36, 0.35, 'triangle', 0.32]],
  lose: [[392, 0, 0.2, 'triangle', 0.3], [330, 0.2, 0.2, 'triangle', 0.3],
    [262, 0.4, 0.4, 'triangle', 0.3]],
  arrive: [[587, 0, 0.1, 'sine', 0.3], [880, 0.1, 0.18, 'sine', 0.3]],
});

export class Sound {
  /** AudioContextImpl: the constructor to use (window.AudioContext), or undefined: silent. */
  constructor(settings, AudioContextImpl = globalThis.AudioContext ?? globalThis.webkitAudioContext) {
    this.settings = sanitizeSound(settings);
    this.AudioContextImpl = AudioContextImpl;
    this.context = null;
  }

  configure(settings) {
    this.settings = sanitizeSound(settings);
  }

  /** After a user gesture (browsers start audio only then): make or wake the context. */
  unlock() {
    try {
      if (this.context === null && typeof this.AudioContextImpl === 'function') {
        this.context = new this.AudioContextImpl();
      }
      if (this.context?.state === 'suspended') this.context.resume()?.catch?.(() => {});
    } catch {
      this.context = null;
      this.AudioContextImpl = undefined; // no audio here: stay silent
    }
  }

  /** Play effect `name` (EFFECTS); false when nothing sounded. */
  play(name) {
    const notes = EFFECTS[name];
    const { muted, volume } = this.settings;
    if (notes === undefined || muted || volume === 0) return false;
    this.unlock();
    const ctx = this.context;
    if (ctx === null || ctx.state !== 'running') return false;
    try {
      const t0 = ctx.currentTime;
      for (const [freq, start, length, wave, gain, to] of notes) {
        const osc = ctx.createOscillator();
        const amp = ctx.createGain();
        osc.type = wave;
        osc.frequency.setValueAtTime(freq, t0 + start);
        if (to !== undefined) osc.frequency.exponentialRampToValueAtTime(to, t0 + start + length);
        amp.gain.setValueAtTime(gain * volume, t0 + start);
        amp.gain.exponentialRampToValueAtTime(0.0001, t0 + start + length);
        osc.connect(amp).connect(ctx.destination);
        osc.start(t0 + start);
        osc.stop(t0 + start + length + 0.02);
      }
      return true;
    } catch {
      return false;
    }
  }
}
