// Wires the page: config from <body data-*>, the connection, the views, the match and its loop.
// DOM events become the session's intents (session.js, where the phases live) and its actions
// become DOM, connection and storage changes. Everything it calls is a small module of its own.
import { BattleView, renderLegend } from './battle-view.js';
import {
  Hud, formatClock, showCallout, showCountdown, showEnd, showMessage, showRematch, showView,
} from './hud.js';
import { Home, copyShareLink, renderControlsHelp, showWaiting } from './home.js';
import { KeyboardInput, attachTouchButtons } from './input.js';
import { Match } from './match.js';
import { Connection, Stamper, wsUrl } from './net.js';
import { drawOpponent, drawPlayer } from './render.js';
import { Field } from './rules/field.js';
import { offerReplay } from './replay/end-replay.js';
import { MatchHistory, browserIndexedDB } from './replay/history.js';
import { Phase, Session } from './session.js';
import {
  dropSeat, dropWaiting, loadSeat, loadWaiting, saveSeat, saveWaiting, tabKey,
} from './seats.js';
import { loadSettings, powerSlot, saveSettings } from './settings.js';
import { SettingsPanel } from './settings-panel.js';
import { Sound, loadSound, saveSound } from './sound.js';
import { Timer } from './timer.js';
import { WatchView } from './watch-view.js';

const $ = (id) => document.getElementById(id);
const config = {
  basePath: document.body.dataset.basePath || '/',
  gameName: document.body.dataset.gameName || null,
  shareBase: document.body.dataset.shareBase || `${location.origin}/`,
  wsPath: document.body.dataset.wsPath || '/ws',
};

const hud = new Hud(document);
const stamper = new Stamper();
let settings = loadSettings(localStorage);
let match = null; // the running Match (match.js), while the session plays
const session = new Session({
  basePath: config.basePath, shareBase: config.shareBase, stamp: () => stamper.next(),
  key: tabKey(sessionStorage, crypto),
});

const conn = new Connection(wsUrl(location, config.wsPath), {
  onMessage: (msg) => run(session.receive(msg, performance.now())),
  onState: (status) => hud.connection(status),
  onRtt: (rtt) => match?.schedule.measured(rtt), // no resend before its answer could be back
  onOpen: () => {
    run(session.socketOpened(performance.now()));
    if (document.body.dataset.view === 'home') home.askChallenges(); // asked before it opened
  },
});

let soundSettings = loadSound(localStorage);
const sound = new Sound(soundSettings);
const watchView = new WatchView(document);
const matchHistory = new MatchHistory(browserIndexedDB()); // this browser's last matches
let callout = null; // the newest callout of this player's locks
let countdownShown = null; // the countdown number last sounded
let goAt = null; // when GO was shown
let queuedSince = null; // the quick-match queue's waiting time counts from here
const CHALLENGES_EVERY_MS = 5000; // the start page asks who challenges its name this often
let challengesAskedAt = -Infinity;

// A tab in the background is told by its title (and a sound) that something needs the player.
const TITLE = document.title;
function announce(text, effect = 'arrive') {
  sound.play(effect);
  if (document.hidden) document.title = `● ${text} · ${TITLE}`;
}
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) document.title = TITLE;
});

function startMatch({ message, total, countdownMs = 0 }) {
  const now = performance.now();
  match = new Match(message, {
    settings, now, total, countdownMs, send: (m) => conn.send(m), stamp: () => stamper.next(),
  });
  conn.link.restart(now); // the first replies of a match are no measure of the link
  callout = null;
  countdownShown = null;
  goAt = countdownMs > 0 ? null : now;
  if (countdownMs > 0) announce(`${match.opponent} is here: starting`);
  // At once, not at the next tick: a request with the token proves this address, so the
  // server's unasked pushes (the opponent's moves, powers) are not held back by its 3x limit.
  match.sendFlux();
  document.activeElement?.blur?.(); // Space must not press whichever button has the focus
  battle.reset();
  showView(document, 'match');
  timer.draw(); // names and fields at once, not one animation frame later
  timer.start();
}

// A final field on the end screen: the opponent drawing, with the name above.
const drawField = (canvas, rows, name) => drawOpponent(canvas, {
  field: Field.fromRows(rows), name, away: false,
});

const VIEWS = {
  home: ({ error, invite }) => {
    if (error !== undefined) home.showError(error);
    if (invite !== undefined) home.showInvite(invite);
    showView(document, 'home');
    home.askChallenges();
  },
  message: ({ title, text, home: withHome, buttons = [] }) => {
    showMessage(document, title, text, withHome, buttons, intent);
  },
  waiting: ({ link, opponent, quick = false, since = null }) => {
    queuedSince = quick ? since : null;
    showWaiting(document, { link, opponent, quick });
    showView(document, 'waiting');
  },
  watch: () => {
    watchView.reset();
    showView(document, 'watch');
    timer.start();
  },
  end: ({ summary, rematch }) => {
    showEnd(document, summary, { rematch, drawField });
    offerReplay(document, {
      basePath: config.basePath, summary, history: matchHistory, fetchFn: fetch,
    });
    if (summary.outcome === 'win') announce('You win', 'win');
    else if (summary.outcome === 'loss') announce(summary.title, 'lose');
  },
};

// The buttons of the message view and the end screen: the session's intents.
function intent(button) {
  const now = performance.now();
  if (button.intent === 'watch') run(session.watch({ gameName: button.gameName }, now));
  else if (button.intent === 'playHere') run(session.playHere(now));
  else if (button.intent === 'rematch') run(session.rematch(now));
}

// What each of the session's actions does to the page (session.js lists them).
const ACTIONS = {
  send: ({ message }) => conn.send(message),
  show: (action) => VIEWS[action.view](action),
  'set-url': ({ path }) => history.replaceState(null, '', path),
  'store-seat': ({ gameName, seat }) => saveSeat(sessionStorage, gameName, seat),
  'drop-seat': ({ gameName }) => dropSeat(sessionStorage, gameName),
  'store-waiting': ({ gameName, entry }) => saveWaiting(sessionStorage, gameName, entry),
  'drop-waiting': ({ gameName }) => dropWaiting(sessionStorage, gameName),
  'start-match': startMatch,
  'resume-match': ({ message, countdownMs = 0 }) => {
    match.apply(message, performance.now());
    match.startIn(countdownMs, performance.now());
    match.sendFlux(); // the new address proves itself with the token, so pushes reach it
  },
  apply: ({ message }) => match.apply(message, performance.now()),
  'stop-match': () => {
    timer.stop();
    keyboard.releaseAll();
    match = null;
    showCountdown(document, 0, Infinity);
  },
  go: () => {
    goAt = performance.now();
    announce('GO', 'go');
  },
  'rematch-status': (status) => showRematch(document, status),
  announce: ({ text }) => announce(text),
  challenged: ({ self, from }) => home.challenged(self, from),
  spectate: ({ message }) => watchView.update(message, performance.now()),
  'stop-watch': () => timer.stop(),
  warn: ({ text }) => console.warn(text),
};

function run(actions) {
  for (const action of actions) ACTIONS[action.type](action);
}

function choose(choice) {
  const now = performance.now();
  sound.unlock(); // a click: browsers let audio start from here
  if (choice.queue === 'quick') run(session.quick(choice, now));
  else if (choice.gameName) run(session.join(choice, now));
  else if (choice.bot) run(session.computer(choice, now));
  else if (choice.opponent) run(session.challenge(choice, now));
  else run(session.create(choice, now));
}

function leave() {
  const button = $('leave-button');
  if (!match) return;
  if (button.dataset.confirm !== 'yes') {
    button.dataset.confirm = 'yes'; // a second click within 3 s confirms
    button.textContent = 'Really leave?';
    setTimeout(() => {
      delete button.dataset.confirm;
      button.textContent = 'Leave';
    }, 3000);
    return;
  }
  run(session.leave());
}

const timer = new Timer({
  update: (dt) => match?.step(dt, performance.now()),
  draw: () => {
    const now = performance.now();
    if (session.phase === Phase.WATCHING) watchView.draw(now);
    if (!match) return;
    drawPlayer($('player-canvas'), match.playerView(now));
    drawOpponent($('opponent-canvas'), match.opponentView());
    hud.match(match, now);
    battle.powers(match.powers, settings.bindings);
    battle.show(match.takeEvents());
    battle.away(match.away, match.awayLeftAt(now), match.opponent);
    const count = match.countdownAt(now);
    if (count > 0 && count !== countdownShown) {
      countdownShown = count;
      sound.play('count');
    }
    showCountdown(document, count, goAt === null ? 0 : now - goAt);
    for (const next of match.takeCallouts()) callout = next;
    showCallout(document, callout, now);
    for (const cue of match.takeCues()) sound.play(cue);
  },
});

// The match's clock, not the session's 50 ms tick, says when GO is: a key pressed the moment
// "GO" is drawn plays.
const playing = () => session.running && match !== null && !panel.isOpen
  && match.countdownAt(performance.now()) === 0;
const usePower = (slot) => {
  if (playing()) match.usePower(slot, performance.now());
};
const battle = new BattleView(document, { onUse: usePower });
const press = (action) => {
  const slot = powerSlot(action);
  if (slot !== null) {
    usePower(slot);
  } else if (action === 'settings') {
    keyboard.releaseAll();
    panel.open();
  } else if (playing()) {
    match.handling.press(action);
  }
};
const keyboard = new KeyboardInput(document, {
  onPress: press,
  onRelease: (action) => match?.handling.release(action),
  onReleaseAll: () => match?.handling.releaseAll(),
  enabled: playing,
});

const panel = new SettingsPanel(document, {
  get: () => settings,
  set: (next) => {
    settings = next;
    saveSettings(localStorage, settings);
    keyboard.setBindings(settings.bindings);
    match?.handling.configure(settings);
    renderControlsHelp(document, settings.bindings);
  },
});
renderLegend(document, $('legend-home'));

const home = new Home(document, {
  gameName: config.gameName, hash: location.hash, storage: localStorage, choose,
  watch: (gameName) => run(session.watch({ gameName }, performance.now())),
  named: (self) => run(session.askChallenges({ self })),
});

// Settings: the sound's mute and volume, remembered apart from the keys.
function showSoundSettings() {
  $('sound-mute').checked = soundSettings.muted;
  $('sound-volume').value = String(Math.round(soundSettings.volume * 100));
  $('sound-volume-value').textContent = `${Math.round(soundSettings.volume * 100)}%`;
}
function setSound(next) {
  soundSettings = next;
  sound.configure(next);
  saveSound(localStorage, next);
  showSoundSettings();
}
$('sound-mute').addEventListener('change', (event) => {
  setSound({ ...soundSettings, muted: event.target.checked });
});
$('sound-volume').addEventListener('input', (event) => {
  setSound({ ...soundSettings, volume: Number(event.target.value) / 100 });
  sound.unlock();
  sound.play('rotate');
});
showSoundSettings();
$('rematch-button').addEventListener('click', () => run(session.rematch(performance.now())));
$('rematch-accept').addEventListener('click', () => run(session.rematch(performance.now())));
$('rematch-decline').addEventListener('click', () => {
  run(session.declineRematch(performance.now()));
});
$('stop-watching').addEventListener('click', () => run(session.leave()));
document.addEventListener('pointerdown', () => sound.unlock(), { once: true });
document.addEventListener('keydown', () => sound.unlock(), { once: true });

keyboard.setBindings(settings.bindings);
keyboard.attach(window);
attachTouchButtons($('touch'), { onPress: press, onRelease: keyboard.handlers.onRelease });
renderControlsHelp(document, settings.bindings);
$('open-settings').addEventListener('click', () => panel.open());
$('leave-button').addEventListener('click', leave);
$('cancel-button').addEventListener('click', () => run(session.leave()));
$('copy-button').addEventListener('click', () => copyShareLink(document, navigator.clipboard));
window.addEventListener('resize', () => timer.draw());

// Network schedule: connect retries as the session decides, game_flux as match.js does.
setInterval(() => {
  const now = performance.now();
  run(session.tick(now));
  if (session.live && match !== null) match.tick(now);
  const status = conn.status();
  hud.connection(status);
  // the start page keeps its "alice challenged you" fresh
  if (document.body.dataset.view === 'home' && now - challengesAskedAt >= CHALLENGES_EVERY_MS) {
    challengesAskedAt = now;
    home.askChallenges();
  }
  if (queuedSince !== null && session.phase === Phase.WAITING) {
    const text = formatClock(now - queuedSince);
    if ($('queued-time').textContent !== text) $('queued-time').textContent = text;
  }
  battle.link(session.live ? status : { state: 'online', silentMs: 0 });
}, 50);

conn.open();
run(session.restore({
  gameName: config.gameName,
  seat: loadSeat(sessionStorage, config.gameName),
  waiting: loadWaiting(sessionStorage, config.gameName),
}, performance.now()));
if (session.phase === Phase.HOME) home.focus();
