// Wires the page: config from <body data-*>, the connection, the views, the match and its loop.
// DOM events become the session's intents (session.js, where the phases live) and its actions
// become DOM, connection and storage changes. Everything it calls is a small module of its own.
import { BattleView, renderLegend } from './battle-view.js';
import { Hud, showEnd, showMessage, showView } from './hud.js';
import { Home, copyShareLink, renderControlsHelp, showWaiting } from './home.js';
import { KeyboardInput, attachTouchButtons } from './input.js';
import { Match } from './match.js';
import { Connection, Stamper, wsUrl } from './net.js';
import { drawOpponent, drawPlayer } from './render.js';
import { Phase, Session } from './session.js';
import {
  dropSeat, dropWaiting, loadSeat, loadWaiting, saveSeat, saveWaiting,
} from './seats.js';
import { loadSettings, powerSlot, saveSettings } from './settings.js';
import { SettingsPanel } from './settings-panel.js';
import { Timer } from './timer.js';

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
});

const conn = new Connection(wsUrl(location, config.wsPath), {
  onMessage: (msg) => run(session.receive(msg, performance.now())),
  onState: (status) => hud.connection(status),
  onOpen: () => run(session.socketOpened(performance.now())),
});

function startMatch({ message, total }) {
  const now = performance.now();
  match = new Match(message, {
    settings, now, total, send: (m) => conn.send(m), stamp: () => stamper.next(),
  });
  // At once, not at the next tick: a request with the token proves this address, so the
  // server's unasked pushes (the opponent's moves, powers) are not held back by its 3x limit.
  match.sendFlux();
  document.activeElement?.blur?.(); // Space must not press whichever button has the focus
  battle.reset();
  showView(document, 'match');
  timer.draw(); // names and fields at once, not one animation frame later
  timer.start();
}

const VIEWS = {
  home: ({ error }) => {
    if (error !== undefined) home.showError(error);
    showView(document, 'home');
  },
  message: ({ title, text, home: withHome }) => showMessage(document, title, text, withHome),
  waiting: ({ link, opponent }) => {
    showWaiting(document, { link, opponent });
    showView(document, 'waiting');
  },
  end: ({ summary }) => showEnd(document, summary),
};

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
  'resume-match': ({ message }) => {
    match.apply(message, performance.now());
    match.sendFlux(); // the new address proves itself with the token, so pushes reach it
  },
  apply: ({ message }) => match.apply(message, performance.now()),
  'stop-match': () => {
    timer.stop();
    keyboard.releaseAll();
    match = null;
  },
  warn: ({ text }) => console.warn(text),
};

function run(actions) {
  for (const action of actions) ACTIONS[action.type](action);
}

function choose(choice) {
  const now = performance.now();
  if (choice.gameName) run(session.join(choice, now));
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
    if (!match) return;
    const now = performance.now();
    drawPlayer($('player-canvas'), match.playerView(now));
    drawOpponent($('opponent-canvas'), match.opponentView());
    hud.match(match, now);
    battle.powers(match.powers, settings.bindings);
    battle.show(match.takeEvents());
    battle.away(match.away);
  },
});

const playing = () => session.phase === Phase.PLAYING && match !== null && !panel.isOpen;
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
});

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
  battle.link(session.phase === Phase.PLAYING ? status : { state: 'online', silentMs: 0 });
}, 50);

conn.open();
run(session.restore({
  gameName: config.gameName,
  seat: loadSeat(sessionStorage, config.gameName),
  waiting: loadWaiting(sessionStorage, config.gameName),
}, performance.now()));
if (session.phase === Phase.HOME) home.focus();
