// The start page and the waiting page: name (remembered), create / challenge / join by link,
// the share link with its copy button. Calls back with what the player chose; sends nothing.
import { MAX_NAME_LENGTH, cleanName } from './messages.js';
import { MAX_POWERS } from './rules/effects.js';
import { ACTIONS, keyLabel, powerSlot } from './settings.js';

const NAME_KEY = 'blockattack.name';

// The server's game names (docs/protocol.md): what the watch field accepts, bare or in a link.
const GAME_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const LINKED_GAME = /\/m\/([A-Za-z0-9_-]{1,64})(?:[./)]*)(?:[?#].*)?$/;

/** The game name in what was typed into "Watch a match": a link to it or the name; or null. */
export function gameNameFrom(text) {
  const raw = String(text ?? '').trim().replace(/[.)/]+$/, '');
  if (GAME_NAME.test(raw)) return raw;
  return LINKED_GAME.exec(raw)?.[1] ?? null;
}

// The computer's levels and pace range (docs/protocol.md "Playing the computer").
export const BOT_LEVELS = Object.freeze(['easy', 'medium', 'hard']);
export const MIN_BOT_PPS = 0.25;
export const MAX_BOT_PPS = 5;

/**
 * The `opponent` that challenges the computer: `bot:medium`, or for a pace (`level` 'pace')
 * `bot:1.5`, rounded to the server's two decimals and kept within its range; null otherwise.
 */
export function botOpponent(level, pps) {
  if (BOT_LEVELS.includes(level)) return `bot:${level}`;
  const pace = Number(pps);
  if (level !== 'pace' || !Number.isFinite(pace)) return null;
  const kept = Math.min(MAX_BOT_PPS, Math.max(MIN_BOT_PPS, Math.round(pace * 100) / 100));
  return `bot:${kept}`;
}

/** The inviting host's name from a share link's fragment (#host=alice), if it is a valid name. */
export function hostFromHash(hash) {
  const raw = new URLSearchParams(String(hash ?? '').replace(/^#/, '')).get('host');
  return raw === null ? null : cleanName(raw);
}

export class Home {
  /**
   * choose({self, opponent?, gameName?, queue?, bot?}) is called when the player starts or joins a
   * match, watch(gameName) to watch one, named(self) when a valid name is typed or remembered
   * (to ask who challenges it).
   */
  constructor(doc, { gameName, hash, storage, choose, watch = () => {}, named = () => {} }) {
    const $ = (id) => doc.getElementById(id);
    this.doc = doc;
    this.storage = storage;
    this.choose = choose;
    this.gameName = gameName;
    this.name = $('name');
    this.opponent = $('opponent');
    this.error = $('home-error');
    this.named = named;
    this.challengers = []; // who challenges the typed name, oldest first
    this.promptedCreate = false; // Create pressed once while challenged: the prompt showed
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
      // Create while someone challenges this name: their challenge first (a second press creates)
      if (!gameName && this.challengers.length > 0 && !this.promptedCreate) {
        this.promptedCreate = true;
        this.#showChallenge();
        return;
      }
      this.#start(gameName ? { gameName } : {});
    });
    $('quick-button').addEventListener('click', () => this.#start({ queue: 'quick' }));
    const level = () => doc.querySelector('input[name="bot-level"]:checked')?.value ?? 'medium';
    const pps = $('bot-pps');
    const showPace = () => {
      $('bot-pace').hidden = level() !== 'pace';
      $('bot-pps-value').textContent = String(Number(pps.value));
    };
    for (const radio of doc.querySelectorAll('input[name="bot-level"]')) {
      radio.addEventListener('change', showPace);
    }
    pps.addEventListener('input', showPace);
    $('computer-button').addEventListener('click', () => {
      const bot = botOpponent(level(), pps.value);
      if (bot !== null) this.#start({ bot });
    });
    $('watch-button').addEventListener('click', () => {
      const game = gameNameFrom($('watch-link').value);
      if (game === null) {
        this.showError('Paste the link of the match to watch, or its game name.');
        return;
      }
      this.showError('');
      watch(game);
    });
    $('challenged-accept').addEventListener('click', () => {
      const [opponent] = this.challengers;
      if (opponent !== undefined) this.#start({ opponent });
    });
    $('challenged-dismiss').addEventListener('click', () => { $('challenged-box').hidden = true; });
    let typing = null;
    this.name.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(() => this.askChallenges(), 400);
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

  /** Ask who challenges the name typed (when it is a valid name). */
  askChallenges() {
    const self = cleanName(this.name.value);
    if (self !== null) this.named(self);
  }

  /** The server's answer: `from` challenge `self` (when that is still the name typed). */
  challenged(self, from) {
    if (cleanName(this.name.value) !== self) return;
    const known = this.challengers.join();
    this.challengers = [...from];
    if (from.length === 0) {
      this.doc.getElementById('challenged-box').hidden = true;
    } else if (from.join() !== known) {
      this.#showChallenge();
    }
  }

  #showChallenge() {
    const [first, ...more] = this.challengers;
    const others = more.length > 0 ? ` (and ${more.length} more)` : '';
    this.doc.getElementById('challenged-text').textContent = `${first} challenged you${others}.`;
    this.doc.getElementById('challenged-box').hidden = false;
  }

  /** What probing the link said of its waiting match: who invited, and whom. */
  showInvite({ host, invited }) {
    if (!host) return;
    const $ = (id) => this.doc.getElementById(id);
    const you = invited ? `${host} challenged ${invited}.` : `${host} invited you to a match.`;
    $('invite-text').textContent = you;
    $('join-button').textContent = `Join ${host}’s match`;
    if (invited && !this.name.value) this.name.value = invited;
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

/** The waiting page's share link, copy button and title; the queue's waiting time for quick. */
export function showWaiting(doc, { link, opponent, quick = false }) {
  let title = opponent ? `Waiting for ${opponent}…` : 'Waiting for an opponent…';
  if (quick) title = 'Looking for an opponent…';
  doc.getElementById('waiting-title').textContent = title;
  doc.getElementById('share-box').hidden = quick;
  doc.getElementById('queued').hidden = !quick;
  doc.getElementById('share-link').value = link ?? '';
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
