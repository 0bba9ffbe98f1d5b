// The start page and the waiting page: name (remembered), create / challenge / join by link,
// the share link with its copy button. Calls back with what the player chose; sends nothing.
import { MAX_NAME_LENGTH, cleanName } from './messages.js';
import { MAX_POWERS } from './rules/effects.js';
import { ACTIONS, keyLabel, powerSlot } from './settings.js';

const NAME_KEY = 'blockattack.name';

/** The inviting host's name from a share link's fragment (#host=alice), if it is a valid name. */
export function hostFromHash(hash) {
  const raw = new URLSearchParams(String(hash ?? '').replace(/^#/, '')).get('host');
  return raw === null ? null : cleanName(raw);
}

export class Home {
  /** choose({self, opponent?, gameName?}) is called when the player starts or joins a match. */
  constructor(doc, { gameName, hash, storage, choose }) {
    const $ = (id) => doc.getElementById(id);
    this.doc = doc;
    this.storage = storage;
    this.choose = choose;
    this.gameName = gameName;
    this.name = $('name');
    this.opponent = $('opponent');
    this.error = $('home-error');
    this.name.value = this.#remembered();
    $('join-box').hidden = !gameName;
    $('create-box').hidden = Boolean(gameName);
    const host = hostFromHash(hash);
    if (host) {
      $('invite-text').textContent = `${host} invited you to a match.`;
      $('join-button').textContent = `Join ${host}’s match`;
    }
    $('home-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.#start(gameName ? { gameName } : {});
    });
    $('challenge-button').addEventListener('click', () => this.#challenge());
    this.opponent.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      event.preventDefault(); // Enter here challenges rather than submitting "Create match"
      this.#challenge();
    });
  }

  showError(text) {
    this.error.textContent = text;
  }

  focus() {
    (this.name.value ? this.doc.getElementById(this.gameName ? 'join-button' : 'create-button')
      : this.name).focus();
  }

  #remembered() {
    try {
      return this.storage.getItem(NAME_KEY) ?? '';
    } catch {
      return '';
    }
  }

  #challenge() {
    const opponent = cleanName(this.opponent.value);
    if (opponent === null) {
      this.showError('Type the name of the player you want to challenge.');
      this.opponent.focus();
      return;
    }
    this.#start({ opponent });
  }

  #start(choice) {
    const self = cleanName(this.name.value);
    if (self === null) {
      this.showError(`Pick a name: 1–${MAX_NAME_LENGTH} plain letters (A–Z), digits, spaces, `
        + '_ - or . characters.');
      this.name.focus();
      return;
    }
    if (choice.opponent && choice.opponent.toLowerCase() === self.toLowerCase()) {
      this.showError('You cannot challenge yourself.');
      return;
    }
    try {
      this.storage.setItem(NAME_KEY, self);
    } catch {
      // not remembered, still playable
    }
    this.showError('');
    this.choose({ self, ...choice });
  }
}

/** The waiting page's share link, copy button and title. */
export function showWaiting(doc, { link, opponent }) {
  doc.getElementById('waiting-title').textContent = opponent
    ? `Waiting for ${opponent}…` : 'Waiting for an opponent…';
  doc.getElementById('share-link').value = link;
  doc.getElementById('copy-status').textContent = '';
}

export async function copyShareLink(doc, clipboard) {
  const input = doc.getElementById('share-link');
  const status = doc.getElementById('copy-status');
  try {
    await clipboard.writeText(input.value);
    status.textContent = 'Link copied. Send it to your opponent.';
  } catch {
    // no clipboard API (plain http on a LAN address): select it for a manual copy
    input.select();
    status.textContent = 'Press Ctrl+C (⌘C) to copy the selected link.';
  }
}

/**
 * The controls list on the start page, from the current key bindings; the "use power" keys (one
 * per inventory slot) share one line ("1 2 3 4 5 6").
 */
export function renderControlsHelp(doc, bindings) {
  const rows = ACTIONS.filter(([action]) => powerSlot(action) === null)
    .map(([action, words]) => [bindings[action].map(keyLabel).join(' / '), words]);
  const powerKeys = ACTIONS.filter(([action]) => powerSlot(action) !== null)
    .map(([action]) => (bindings[action][0] ? keyLabel(bindings[action][0]) : '—'));
  rows.splice(rows.length - 1, 0, [powerKeys.join(' '), `Use power 1–${MAX_POWERS}`]);
  const list = doc.getElementById('controls-help');
  list.replaceChildren(...rows.map(([keysText, words]) => {
    const item = doc.createElement('li');
    const keys = doc.createElement('span');
    keys.className = 'keys';
    keys.textContent = keysText || '—';
    const what = doc.createElement('span');
    what.textContent = words;
    item.append(keys, what);
    return item;
  }));
}
