// The match history's pure parts (static/js/replay/history.js), the end screen's save
// (end-replay.js) with a fake bridge and store, and the replay page's sources (source.js).
// IndexedDB itself is exercised in the browser tests (tests/browser/replay.test.js).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { saveMatchReplay } from '../../../static/js/replay/end-replay.js';
import {
  HISTORY_SIZE, HistoryError, MatchHistory, browserIndexedDB, entryFor, historyError, idsToTrim,
} from '../../../static/js/replay/history.js';
import { entryWords } from '../../../static/js/replay/history-view.js';
import { fetchReplay, gameFromLocation, replayUrl } from '../../../static/js/replay/source.js';
import { loadVectors } from '../vectors.js';

const DOC = loadVectors('replays.json').find((c) => c.name === 'battle').replay;
const TEXT = JSON.stringify(DOC);

describe('history', () => {
  test('keeps the last 50: a save trims the oldest ids first', () => {
    assert.equal(HISTORY_SIZE, 50);
    assert.deepEqual(idsToTrim([3, 1, 2]), []);
    const ids = Array.from({ length: 50 }, (_, k) => 50 - k); // 50..1, any order
    assert.deepEqual(idsToTrim(ids), [1]);
    assert.deepEqual(idsToTrim([...ids, 51, 52]), [1, 2, 3]);
    assert.deepEqual(idsToTrim([5, 6, 7], 2), [5, 6]);
  });

  test('an entry is the summary and the replay text', () => {
    const entry = entryFor(DOC, TEXT, { self: 'bob', savedAt: 1700000000000 });
    assert.deepEqual({ ...entry, replay: entry.replay.length }, {
      gameName: 'vector-battle', savedAt: 1700000000000, players: ['alice', 'bob'], self: 'bob',
      winner: 'alice', reason: 'time_up', score: [3450, 900], durationMs: 18000,
      replay: TEXT.length,
    });
    assert.equal(entryFor(DOC, TEXT, { self: 'carol' }).self, null);
    const words = entryWords(entry, 'en-GB');
    assert.equal(words.title, 'alice vs bob');
    assert.match(words.detail, /^alice won 3,450 to 900 · 0:18 · /);
  });

  test('storage failures in words', () => {
    const full = historyError(Object.assign(new Error('quota'), { name: 'QuotaExceededError' }));
    assert.equal(full.kind, 'full');
    assert.match(full.message, /^The browser’s storage for this site is full\. Delete some /);
    assert.equal(historyError({ name: 'SecurityError', message: 'no' }).kind, 'unavailable');
    assert.equal(historyError({ name: 'InvalidStateError', message: 'private' }).kind,
      'unavailable');
    const other = historyError({ name: 'UnknownError', message: 'disk' });
    assert.equal(other.kind, 'failed');
    assert.match(other.message, /\(UnknownError: disk\)/);
  });

  test('no IndexedDB: every call says so', async () => {
    assert.equal(browserIndexedDB({}), null);
    assert.equal(browserIndexedDB({ get indexedDB() { throw new Error('SecurityError'); } }), null);
    const history = new MatchHistory(null);
    for (const call of [() => history.list(), () => history.save({}), () => history.get(1)]) {
      await assert.rejects(call, (error) => error instanceof HistoryError
        && error.kind === 'unavailable' && /keeps no match history here/.test(error.message));
    }
  });
});

// A bridge answering `statuses` in turn (then the replay), and a store recording saves.
function bridge(statuses) {
  const asked = [];
  const fetchFn = async (url) => {
    asked.push(url);
    const status = statuses.shift() ?? 200;
    return { ok: status === 200, status, text: async () => TEXT };
  };
  return { asked, fetchFn };
}
const store = (failure = null) => ({
  saved: [],
  async save(entry) {
    if (failure) throw failure;
    this.saved.push(entry);
    return this.saved.length;
  },
});
const noWait = async () => {};

describe('the end screen saves the replay', () => {
  test('fetched (after the server had it ready) and saved', async () => {
    const { asked, fetchFn } = bridge([404, 504]);
    const history = store();
    const said = await saveMatchReplay({
      fetchFn, history, basePath: '/ba/', gameName: 'vector-battle', self: 'alice', wait: noWait,
    });
    assert.deepEqual(said, { ok: true, text: 'Saved to your history.' });
    assert.deepEqual(asked, Array(3).fill('/ba/replays/vector-battle.json'));
    assert.equal(history.saved[0].self, 'alice');
    assert.equal(history.saved[0].replay, TEXT);
  });

  test('a full store or a missing replay is told, nothing else', async () => {
    const full = historyError({ name: 'QuotaExceededError' });
    const saidFull = await saveMatchReplay({ ...bridge([]), history: store(full), basePath: '/',
      gameName: 'g', self: null, wait: noWait });
    assert.equal(saidFull.ok, false);
    assert.match(saidFull.text,
      /^Not saved to your history: The browser’s storage for this site is full/);
    const gone = await saveMatchReplay({ ...bridge([404, 404, 404, 404]), history: store(),
      basePath: '/', gameName: 'g', self: null, wait: noWait });
    assert.match(gone.text, /^Not saved to your history: The server has no replay of match g: /);
  });
});

describe('sources', () => {
  test('the game a replay link names', () => {
    assert.equal(gameFromLocation({ search: '?game=Xk3_a-9' }), 'Xk3_a-9');
    assert.equal(gameFromLocation({ hash: '#game=abc' }), 'abc');
    assert.equal(gameFromLocation({ hash: '#abc' }), 'abc');
    assert.equal(gameFromLocation({ search: '?game=a%20b' }), null);
    assert.equal(gameFromLocation({ search: '?game=', hash: '' }), null);
    assert.equal(gameFromLocation({}), null);
  });

  test('fetch errors in words', async () => {
    assert.equal(replayUrl('/', 'abc'), '/replays/abc.json');
    await assert.rejects(fetchReplay(bridge([504]).fetchFn, '/', 'abc'),
      /did not send the replay in time/);
    await assert.rejects(fetchReplay(bridge([500]).fetchFn, '/', 'abc'),
      /^ReplaySourceError: The replay could not be fetched \(HTTP 500\)\.$/);
    await assert.rejects(fetchReplay(async () => { throw new TypeError('offline'); }, '/', 'abc'),
      /could not be fetched: offline/);
    assert.equal(await fetchReplay(bridge([]).fetchFn, '/', 'abc'), TEXT);
  });
});
