// The replay page (`<base>replay`): opens a replay from a link (`?game=NAME`: this browser's
// history first, else the bridge), from the history, or from a file dropped on the page or
// picked; rebuilds it with the JavaScript rules (rebuild.js) and plays it (timeline.js,
// view.js). Wiring only: every rule lives in the modules it imports.
import { MAX_REPLAY_BYTES, parseReplay, replayFileName } from './format.js';
import { MatchHistory, browserIndexedDB } from './history.js';
import { HistoryView, download } from './history-view.js';
import { rebuildReplay } from './rebuild.js';
import { fetchReplay, gameFromLocation, readFile, replayPageUrl } from './source.js';
import { Timeline } from './timeline.js';
import { ReplayView } from './view.js';

const $ = (id) => document.getElementById(id);
const basePath = document.body.dataset.basePath || '/';

const history = new MatchHistory(browserIndexedDB());
const view = new ReplayView(document);
let timeline = null;
let current = null; // {text, doc} of the replay shown

function showView(name) {
  $('view-open').hidden = name !== 'open';
  $('view-replay').hidden = name !== 'replay';
  document.body.dataset.view = name;
}

function showError(text) {
  $('replay-error').textContent = text;
  showView('open');
}

/** Play replay `text` (from `where`, for the error's words). */
function open(text, where) {
  let doc;
  try {
    doc = parseReplay(text);
  } catch (error) {
    showError(`${where} is not a replay this page can play: ${error.message}`);
    return false;
  }
  let rebuild;
  try {
    rebuild = rebuildReplay(doc);
  } catch (error) { // a fault of this page's, not the file's: still said, not thrown
    showError(`${where} could not be rebuilt by this page: ${error.message}`);
    return false;
  }
  const shown = rebuild.states.length - 1;
  const end = shown === doc.events.length ? doc.result.t : doc.events[shown - 1]?.[0] ?? 0;
  timeline = new Timeline(doc.events.slice(0, shown), end);
  current = { text, doc };
  $('replay-error').textContent = '';
  view.load(rebuild, timeline);
  showView('replay');
  view.draw(timeline);
  $('replay-play').focus();
  return true;
}

async function openGame(gameName) {
  $('replay-error').textContent = '';
  try {
    const saved = await history.findGame(gameName).catch(() => null);
    const text = saved?.replay ?? await fetchReplay(fetch, basePath, gameName);
    open(text, `The replay of ${gameName}`);
  } catch (error) {
    showError(error.message);
  }
}

async function openFile(file) {
  if (!file) return;
  try {
    open(await readFile(file, MAX_REPLAY_BYTES), file.name);
  } catch (error) {
    showError(error.message);
  }
}

function closeReplay() {
  timeline = null;
  current = null;
  window.history.replaceState(null, '', `${basePath}replay`);
  showView('open');
  historyView.render();
}

const historyView = new HistoryView(document, history, {
  onWatch: (entry) => {
    if (open(entry.replay, `The saved replay of ${entry.gameName}`)) {
      window.history.replaceState(null, '', replayPageUrl(basePath, entry.gameName));
    }
  },
});

// -- controls -----------------------------------------------------------------------------

const act = (change) => {
  if (timeline === null) return;
  change(timeline);
  view.draw(timeline);
};
const pauseThen = (change) => act((t) => {
  t.playing = false;
  change(t);
});

$('replay-play').addEventListener('click', () => act((t) => t.toggle()));
$('replay-forward').addEventListener('click', () => pauseThen((t) => t.stepForward()));
$('replay-back').addEventListener('click', () => pauseThen((t) => t.stepBack()));
$('replay-seek').addEventListener('input', (event) => {
  act((t) => t.seek(Number(event.target.value)));
});
for (const button of document.querySelectorAll('[data-speed]')) {
  button.addEventListener('click', () => act((t) => t.setSpeed(Number(button.dataset.speed))));
}
$('replay-download').addEventListener('click', () => {
  if (current !== null) download(document, current.text, replayFileName(current.doc));
});
$('replay-close').addEventListener('click', closeReplay);

const KEYS = {
  Space: (t) => t.toggle(),
  ArrowRight: (t) => { t.playing = false; t.stepForward(); },
  ArrowLeft: (t) => { t.playing = false; t.stepBack(); },
};
document.addEventListener('keydown', (event) => {
  const key = KEYS[event.code];
  if (!key || timeline === null || event.target === $('replay-seek') || event.repeat) return;
  if (event.target.closest?.('button') && event.code === 'Space') return; // the button's own
  event.preventDefault();
  act(key);
});

// -- files: the picker and a drop anywhere on the page ------------------------------------------

$('replay-file').addEventListener('change', (event) => {
  openFile(event.target.files?.[0]);
  event.target.value = ''; // the same file again is a new choice
});
const drop = $('replay-drop');
document.addEventListener('dragover', (event) => {
  if (![...(event.dataTransfer?.types ?? [])].includes('Files')) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = 'copy';
  drop.classList.add('dragging');
});
document.addEventListener('dragleave', (event) => {
  if (event.relatedTarget === null) drop.classList.remove('dragging');
});
document.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('dragging');
  openFile(event.dataTransfer?.files?.[0]);
});

// -- the loop -----------------------------------------------------------------------------------

let last = null;
function frame(now) {
  if (timeline !== null && !document.hidden) {
    if (timeline.playing && last !== null) timeline.advance(now - last);
    view.draw(timeline);
  }
  last = now;
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
window.addEventListener('resize', () => timeline !== null && view.draw(timeline));

showView('open');
historyView.render();
const linked = gameFromLocation(window.location);
if (linked !== null) openGame(linked);
