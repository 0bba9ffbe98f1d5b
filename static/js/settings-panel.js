// The settings dialog: handling sliders and key bindings with "press a key" rebinding.
// Built from settings.js's tables with createElement/textContent (no markup from data).
import {
  ACTIONS, LIMITS, bindKey, defaultSettings, keyLabel, unbindKey,
} from './settings.js';

export class SettingsPanel {
  /** store: {get() → settings, set(settings)} — set saves and applies them. */
  constructor(doc, store) {
    this.doc = doc;
    this.store = store;
    this.dialog = doc.getElementById('settings');
    this.hint = doc.getElementById('rebind-hint');
    this.capturing = null; // the action waiting for a key press, or null
    // capture phase on the document: the "+" button is re-rendered, so focus may be anywhere
    doc.addEventListener('keydown', (event) => this.#capture(event), true);
    this.dialog.addEventListener('cancel', (event) => {
      if (this.capturing !== null) event.preventDefault(); // Esc cancels the capture only
    });
    this.dialog.addEventListener('close', () => this.#stopCapture());
    doc.getElementById('settings-reset').addEventListener('click', () => {
      this.store.set(defaultSettings());
      this.render();
    });
  }

  get isOpen() {
    return this.dialog.open;
  }

  open() {
    if (this.isOpen) return;
    this.render();
    this.dialog.showModal();
  }

  render() {
    this.#renderHandling();
    this.#renderBindings();
  }

  #renderHandling() {
    const box = this.doc.getElementById('handling');
    box.replaceChildren();
    const settings = this.store.get();
    for (const [name, limit] of Object.entries(LIMITS)) {
      const label = this.doc.createElement('label');
      const title = this.doc.createElement('span');
      title.textContent = limit.label;
      const input = this.doc.createElement('input');
      Object.assign(input, { type: 'range', min: limit.min, max: limit.max, step: limit.step });
      input.value = String(settings[name]);
      input.id = `set-${name}`;
      const output = this.doc.createElement('output');
      output.textContent = String(settings[name]);
      input.addEventListener('input', () => {
        output.textContent = input.value;
        this.store.set({ ...this.store.get(), [name]: Number(input.value) });
      });
      label.append(title, input, output);
      box.append(label);
    }
  }

  #renderBindings() {
    const body = this.doc.getElementById('bindings');
    body.replaceChildren();
    const { bindings } = this.store.get();
    for (const [action, words] of ACTIONS) {
      const row = this.doc.createElement('tr');
      const name = this.doc.createElement('th');
      name.textContent = words;
      const keys = this.doc.createElement('td');
      for (const code of bindings[action]) {
        keys.append(this.#button(keyLabel(code), 'key', `Remove ${code}`, () => {
          this.store.set(unbindKey(this.store.get(), action, code));
          this.render();
        }));
      }
      const adding = this.capturing === action;
      const [text, className] = adding ? ['press a key…', 'key add adding'] : ['+', 'key add'];
      keys.append(this.#button(text, className, `Add a key for ${words}`,
        () => this.#startCapture(action)));
      row.append(name, keys);
      body.append(row);
    }
  }

  #button(text, className, title, onClick) {
    const button = this.doc.createElement('button');
    Object.assign(button, { type: 'button', className, title, textContent: text });
    button.addEventListener('click', onClick);
    return button;
  }

  #startCapture(action) {
    this.capturing = action;
    this.hint.textContent = 'Press the key to use (Esc cancels).';
    this.#renderBindings();
  }

  #stopCapture() {
    this.capturing = null;
    this.hint.textContent = '';
  }

  #capture(event) {
    if (this.capturing === null) return;
    event.preventDefault();
    event.stopImmediatePropagation(); // the key is being bound, not played or typed
    if (event.code !== 'Escape' && event.code) {
      this.store.set(bindKey(this.store.get(), this.capturing, event.code));
    }
    this.#stopCapture();
    this.render();
  }
}
