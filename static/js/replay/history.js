// The match history of this browser (IndexedDB): the last HISTORY_SIZE matches, each a summary
// and its replay's text, saved when a match ends. Every storage failure becomes a HistoryError
// whose words say what happened (full, private mode, no IndexedDB); a failed save changes
// nothing (its transaction, the trimming of old entries with it, is undone) and the game goes on.
//
//   const history = new MatchHistory(globalThis.indexedDB);
//   await history.save(entryFor(doc, self))  → the entry's id
//   await history.list()                       → summaries (no replay), newest first
//   await history.get(id)                      → the entry with its replay text, or null
//   await history.findGame(gameName)           → the newest entry of that match, or null
//   await history.remove(id)

export const HISTORY_SIZE = 50;
const DB_NAME = 'blockattack';
const DB_VERSION = 1;
const STORE = 'matches';

export class HistoryError extends Error {
  /** kind: 'unavailable' (no IndexedDB, or refused: private mode), 'full', 'failed'. */
  constructor(kind, message) {
    super(message);
    this.name = 'HistoryError';
    this.kind = kind;
  }
}

const UNAVAILABLE = 'This browser keeps no match history here: its storage is off or refused '
  + '(a private window, or site data blocked).';
const FULL = 'The browser’s storage for this site is full. Delete some matches from the '
  + 'history, or free space in the browser.';

/** A storage failure (a DOMException or an error event's) as a HistoryError. */
export function historyError(error) {
  if (error instanceof HistoryError) return error;
  const name = error?.name ?? '';
  if (name === 'QuotaExceededError') return new HistoryError('full', FULL);
  if (['SecurityError', 'InvalidStateError', 'NotAllowedError'].includes(name)) {
    return new HistoryError('unavailable', UNAVAILABLE);
  }
  return new HistoryError('failed', `The match history could not be read or saved (${name
    || 'error'}: ${error?.message ?? error}).`);
}

/** What the history keeps of a match: the summary from its replay, `self` the player here. */
export function entryFor(doc, text, { self = null, savedAt = Date.now() } = {}) {
  const { result, players } = doc;
  return {
    gameName: doc.game_name,
    savedAt,
    players: [...players],
    self: players.includes(self) ? self : null,
    winner: result.winner,
    reason: result.reason,
    score: players.map((name) => result.score[name]),
    durationMs: result.t,
    replay: text,
  };
}

/** The entries to delete so that, with one more, at most `size` remain: the oldest ids. */
export function idsToTrim(ids, size = HISTORY_SIZE) {
  const sorted = [...ids].sort((a, b) => a - b);
  return sorted.slice(0, Math.max(0, sorted.length - (size - 1)));
}

const finished = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = () => resolve();
  tx.onabort = () => reject(historyError(tx.error ?? { name: 'AbortError' }));
  tx.onerror = (event) => event.preventDefault(); // onabort says why, once
});

/** The browser's IndexedDB, or null: some refuse even the property in a private window. */
export function browserIndexedDB(scope = globalThis) {
  try {
    return scope.indexedDB ?? null;
  } catch {
    return null;
  }
}

export class MatchHistory {
  #factory;
  #db = null;

  constructor(factory) {
    this.#factory = factory ?? null;
  }

  #open() {
    if (this.#db !== null) return this.#db;
    this.#db = new Promise((resolve, reject) => {
      if (this.#factory === null) throw new HistoryError('unavailable', UNAVAILABLE);
      const request = this.#factory.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const store = request.result.createObjectStore(STORE,
          { keyPath: 'id', autoIncrement: true });
        store.createIndex('gameName', 'gameName');
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(historyError(request.error));
      request.onblocked = () => reject(new HistoryError('failed', 'The match history is open '
        + 'in an older version of this page in another tab: close it and reload.'));
    }).catch((error) => {
      this.#db = null; // the next call tries again
      throw historyError(error);
    });
    return this.#db;
  }

  async #run(mode, work) {
    const db = await this.#open();
    let tx;
    try {
      tx = db.transaction(STORE, mode);
    } catch (error) {
      throw historyError(error);
    }
    const result = work(tx.objectStore(STORE));
    await finished(tx);
    return result;
  }

  /** Keep `entry` (entryFor); the oldest go past HISTORY_SIZE. Resolves to its id. */
  async save(entry) {
    let id = null;
    let refused = null; // add's own error (a DataCloneError, a QuotaExceededError), not the abort's
    try {
      await this.#run('readwrite', (store) => {
        store.getAllKeys().onsuccess = (event) => {
          for (const old of idsToTrim(event.target.result)) store.delete(old);
          try {
            store.add({ ...entry }).onsuccess = (added) => { id = added.target.result; };
          } catch (error) {
            refused = error;
            store.transaction.abort(); // the trimming is undone with it: nothing is lost
          }
        };
      });
    } catch (error) {
      throw historyError(refused ?? error);
    }
    return id;
  }

  /** Every entry's summary (the replay left out), newest first. */
  async list() {
    const entries = [];
    await this.#run('readonly', (store) => {
      store.openCursor(null, 'prev').onsuccess = (event) => {
        const cursor = event.target.result;
        if (cursor === null) return;
        const { replay, ...summary } = cursor.value;
        entries.push(summary);
        cursor.continue();
      };
    });
    return entries;
  }

  async get(id) {
    const found = { entry: null };
    await this.#run('readonly', (store) => {
      store.get(id).onsuccess = (event) => { found.entry = event.target.result ?? null; };
    });
    return found.entry;
  }

  /** The newest entry of match `gameName`, or null. */
  async findGame(gameName) {
    const found = { entry: null };
    await this.#run('readonly', (store) => {
      store.index('gameName').openCursor(gameName, 'prev').onsuccess = (e) => {
        found.entry = e.target.result?.value ?? null;
      };
    });
    return found.entry;
  }

  async remove(id) {
    await this.#run('readwrite', (store) => store.delete(id));
  }
}
