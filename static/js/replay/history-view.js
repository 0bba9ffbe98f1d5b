// The History view of the replay page: this browser's last matches (history.js), each with
// Watch, Download and Delete. A storage failure is said in the view's status line; the rest of
// the page goes on working.
import { formatClock } from '../hud.js';
import { resultText } from '../messages.js';

/** A download of `text` as `fileName` (an <a download> on a blob URL). */
export function download(doc, text, fileName) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = doc.createElement('a');
  link.href = url;
  link.download = fileName;
  doc.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** "alice vs bob" and "alice won 3,450 to 900 · 0:18 · 5 Mar, 14:02" of a history entry. */
export function entryWords(entry, locale = undefined) {
  const score = Object.fromEntries(entry.players.map((name, p) => [name, entry.score[p]]));
  const when = new Date(entry.savedAt).toLocaleString(locale, {
    day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit',
  });
  const outcome = entry.reason === 'server_shutdown' ? 'stopped by the server'
    : resultText({ winner: entry.winner, score });
  return {
    title: entry.players.join(' vs '),
    detail: `${outcome} · ${formatClock(entry.durationMs)} · ${when}`,
  };
}

export class HistoryView {
  /** onWatch(entry) opens an entry's replay. */
  constructor(doc, history, { onWatch }) {
    this.doc = doc;
    this.history = history;
    this.onWatch = onWatch;
  }

  #status(text) {
    this.doc.getElementById('history-status').textContent = text;
  }

  async render() {
    const list = this.doc.getElementById('history-list');
    let entries;
    try {
      entries = await this.history.list();
    } catch (error) {
      list.replaceChildren();
      this.#status(error.message);
      return;
    }
    this.#status(entries.length === 0 ? 'No matches yet: play one and its replay is kept here.'
      : '');
    list.replaceChildren(...entries.map((entry) => this.#item(entry)));
  }

  #item(entry) {
    const { doc } = this;
    const item = doc.createElement('li');
    item.dataset.game = entry.gameName;
    const what = doc.createElement('span');
    what.className = 'what';
    const words = entryWords(entry);
    const title = doc.createElement('b');
    title.textContent = words.title;
    const detail = doc.createElement('span');
    detail.className = 'when';
    detail.textContent = words.detail;
    what.append(title, detail);
    const button = (label, action) => {
      const element = doc.createElement('button');
      element.type = 'button';
      element.textContent = label;
      element.dataset.action = label.toLowerCase();
      element.addEventListener('click', () => {
        action().catch((error) => this.#status(error.message));
      });
      return element;
    };
    item.append(what,
      button('Watch', async () => this.onWatch(await this.#entry(entry.id))),
      button('Download', async () => {
        const full = await this.#entry(entry.id);
        download(doc, full.replay, `${full.gameName}.json`);
      }),
      button('Delete', async () => {
        await this.history.remove(entry.id);
        await this.render();
      }));
    return item;
  }

  async #entry(id) {
    const entry = await this.history.get(id);
    if (entry === null) throw new Error('That match is no longer in the history.');
    return entry;
  }
}
