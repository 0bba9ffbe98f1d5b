// Keyboard and touch buttons → action press/release. Keys by `event.code` (the physical key,
// whatever the layout); key repeat is ignored because DAS/ARR in handling.js does the repeating;
// only mapped keys have their default prevented.
import { keyMap } from './settings.js';

const TYPING = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

export class KeyboardInput {
  /**
   * handlers: onPress(action), onRelease(action), onReleaseAll(), enabled() → bool
   * (keys are only game input while a match is on screen and no form field has focus).
   */
  constructor(target, handlers) {
    this.target = target;
    this.handlers = handlers;
    this.map = new Map();
    this.down = new Set();
    this.onKeyDown = (event) => this.#keyDown(event);
    this.onKeyUp = (event) => this.#keyUp(event);
    this.onBlur = () => this.releaseAll();
    // A hidden page gets no keyup for keys let go meanwhile (a phone backgrounds the tab
    // without a blur): treat it as every key released.
    this.onVisibility = () => {
      if (this.target.visibilityState === 'hidden') this.releaseAll();
    };
  }

  setBindings(bindings) {
    this.map = keyMap(bindings);
    this.releaseAll();
  }

  attach(windowLike) {
    this.target.addEventListener('keydown', this.onKeyDown);
    this.target.addEventListener('keyup', this.onKeyUp);
    this.target.addEventListener('visibilitychange', this.onVisibility);
    windowLike.addEventListener('blur', this.onBlur);
  }

  releaseAll() {
    this.down.clear();
    this.handlers.onReleaseAll();
  }

  #keyDown(event) {
    const action = this.map.get(event.code);
    if (action === undefined || !this.#live(event)) return;
    event.preventDefault();
    if (event.repeat || this.down.has(event.code)) return;
    this.down.add(event.code);
    this.handlers.onPress(action);
  }

  #keyUp(event) {
    const action = this.map.get(event.code);
    if (action === undefined || !this.down.delete(event.code)) return;
    event.preventDefault();
    this.handlers.onRelease(action);
  }

  #live(event) {
    return this.handlers.enabled() && !TYPING.has(event.target?.tagName);
  }
}

/** On-screen buttons carrying `data-action`; a held button repeats through DAS like a key. */
export function attachTouchButtons(container, { onPress, onRelease }) {
  for (const button of container.querySelectorAll('[data-action]')) {
    const action = button.dataset.action;
    let pointer = null;
    const up = () => {
      if (pointer === null) return;
      pointer = null;
      button.classList.remove('pressed');
      onRelease(action);
    };
    button.addEventListener('pointerdown', (event) => {
      event.preventDefault(); // no focus ring, no text selection, no synthetic mouse events
      if (pointer !== null) return;
      pointer = event.pointerId;
      button.setPointerCapture?.(event.pointerId);
      button.classList.add('pressed');
      onPress(action);
    });
    button.addEventListener('pointerup', up);
    button.addEventListener('pointercancel', up);
    button.addEventListener('lostpointercapture', up);
    button.addEventListener('contextmenu', (event) => event.preventDefault());
  }
}
