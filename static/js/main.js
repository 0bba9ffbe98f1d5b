// Wires the page: config from <body data-*>, the connection, the views, the match and its loop.
// The only module with mutable page state; everything it calls is a small module of its own.
import { Hud, showEnd, showMessage, showView } from './hud.js';
import { Home, copyShareLink, renderControlsHelp, showWaiting } from './home.js';
import { KeyboardInput, attachTouchButtons } from './input.js';
import { Match } from './match.js';
import { connectMessage, endSummary, errorText, leaveMessage } from './messages.js';
import { Connection, Stamper, wsUrl } from './net.js';
import { drawOpponent, drawPlayer } from './render.js';
import {
  dropSeat, dropWaiting, loadSeat, loadWaiting, saveSeat, saveWaiting,
} from './seats.js';
import { loadSettings, saveSettings } from './settings.js';
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
let phase = 'home'; // home → connecting → waiting → playing → ended (or message)
let intent = null; // the connect fields to (re)send: {self, opponent} or {self, gameName, token}
let needConnect = false; // repeat `connect` once a second until game_start
let lastConnect = -Infinity;
let waitingIn = null; // game_name of the match this tab opened and waits in
let match = null;

const conn = new Connection(wsUrl(location, config.wsPath), {
  onMessage: (msg) => HANDLERS[msg.command]?.(msg),
  onState: (state, rtt) => hud.connection(state, rtt),
  onOpen: () => {
    if (intent === null) return;
    needConnect = true; // a new socket is a new address: claim the seat again
    sendConnect();
  },
});

function sendConnect() {
  lastConnect = performance.now();
  conn.send({ ...connectMessage(intent), timestamp: stamper.next() });
}

function setUrl(path) {
  history.replaceState(null, '', path);
}

function begin(choice) {
  intent = choice;
  phase = 'connecting';
  needConnect = true;
  showMessage(document, choice.token ? 'Rejoining your match…' : 'Connecting…', '', false);
  sendConnect();
}

function onWaiting(msg) {
  if (phase !== 'connecting' && phase !== 'waiting') return;
  phase = 'waiting';
  if (waitingIn !== msg.game_name) {
    if (waitingIn !== null) dropWaiting(sessionStorage, waitingIn); // reconnected: a new match
    waitingIn = msg.game_name;
    const { self, opponent = null } = intent;
    saveWaiting(sessionStorage, waitingIn, { self, opponent });
  }
  const name = encodeURIComponent(msg.game_name);
  setUrl(`${config.basePath}m/${name}`);
  const link = `${config.shareBase}m/${name}#host=${encodeURIComponent(intent.self)}`;
  showWaiting(document, { link, opponent: msg.opponent });
  showView(document, 'waiting');
}

function onStart(msg) {
  const now = performance.now();
  if (match !== null && match.gameName === msg.game_name) {
    match.apply(msg, now); // a rejoin after a reconnect: the match as it stands
    needConnect = false;
    return;
  }
  if (phase !== 'connecting' && phase !== 'waiting') return;
  const seat = loadSeat(sessionStorage, msg.game_name);
  const total = seat?.total ?? msg.time_left;
  saveSeat(sessionStorage, msg.game_name, { self: msg.self, token: msg.token, total });
  match = new Match(msg, {
    settings, now, total, send: (m) => conn.send(m), stamp: () => stamper.next(),
  });
  intent = { self: msg.self, gameName: msg.game_name, token: msg.token };
  needConnect = false;
  if (waitingIn !== null) dropWaiting(sessionStorage, waitingIn);
  waitingIn = null;
  phase = 'playing';
  document.activeElement?.blur?.(); // Space must not press whichever button has the focus
  setUrl(`${config.basePath}m/${encodeURIComponent(msg.game_name)}`);
  hud.hit('');
  showView(document, 'match');
  timer.draw(); // names and fields at once, not one animation frame later
  timer.start();
}

function onFlux(msg) {
  if (phase === 'playing' && match?.gameName === msg.game_name) {
    match.apply(msg, performance.now());
  }
}

function onEnd(msg) {
  const mine = match?.gameName ?? intent?.gameName;
  if (msg.game_name !== mine || phase === 'ended') return;
  const self = match?.self ?? intent.self;
  endMatch();
  phase = 'ended';
  dropSeat(sessionStorage, msg.game_name);
  showEnd(document, endSummary(msg, self));
}

const LOST_SEAT = new Set(['unknown_game', 'bad_token', 'not_in_game']);

function onError(msg) {
  const text = errorText(msg.reason);
  if (phase === 'connecting' || phase === 'waiting') {
    needConnect = false;
    if (intent?.token) dropSeat(sessionStorage, intent.gameName);
    if (msg.reason === 'name_taken' || msg.reason === 'bad_name') {
      phase = 'home';
      home.showError(text);
      showView(document, 'home');
    } else {
      phase = 'message';
      showMessage(document, 'Cannot join', text);
    }
  } else if (phase === 'playing' && LOST_SEAT.has(msg.reason)) {
    endMatch();
    phase = 'message';
    showMessage(document, 'Match over', text);
  } else {
    console.warn('server error:', msg.reason, msg.detail ?? '');
  }
}

const HANDLERS = {
  waiting: onWaiting, game_start: onStart, game_flux: onFlux, game_end: onEnd, error: onError,
};

function endMatch() {
  timer.stop();
  keyboard.releaseAll();
  needConnect = false;
  match = null;
  intent = null;
  setUrl(config.basePath);
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
  const { gameName, token } = match;
  conn.send(leaveMessage({ timestamp: stamper.next(), gameName, token }));
}

function cancelWaiting() {
  if (waitingIn !== null) {
    // no token yet (it comes with game_start): the server finds the seat by address
    conn.send(leaveMessage({ timestamp: stamper.next(), gameName: waitingIn, token: undefined }));
    dropWaiting(sessionStorage, waitingIn);
  }
  waitingIn = null;
  needConnect = false;
  intent = null;
  phase = 'home';
  setUrl(config.basePath);
  showView(document, 'home');
}

const timer = new Timer({
  update: (dt) => match?.step(dt, performance.now()),
  draw: () => {
    if (!match) return;
    drawPlayer($('player-canvas'), match.playerView());
    drawOpponent($('opponent-canvas'), match.opponentView());
    hud.match(match, performance.now());
  },
});

const playing = () => phase === 'playing' && match !== null && !panel.isOpen;
const press = (action) => {
  if (action === 'settings') {
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

const home = new Home(document, {
  gameName: config.gameName, hash: location.hash, storage: localStorage, choose: begin,
});

keyboard.setBindings(settings.bindings);
keyboard.attach(window);
attachTouchButtons($('touch'), { onPress: press, onRelease: keyboard.handlers.onRelease });
renderControlsHelp(document, settings.bindings);
$('open-settings').addEventListener('click', () => panel.open());
$('leave-button').addEventListener('click', leave);
$('cancel-button').addEventListener('click', cancelWaiting);
$('copy-button').addEventListener('click', () => copyShareLink(document, navigator.clipboard));
window.addEventListener('resize', () => timer.draw());

// Network schedule: connect retries once a second, game_flux as match.js decides.
setInterval(() => {
  const now = performance.now();
  if (needConnect && intent !== null && now - lastConnect >= 1000) sendConnect();
  if (phase === 'playing' && match !== null && !needConnect) match.tick(now);
  hud.connection(conn.state, conn.rtt.estimate);
}, 50);

conn.open();
const seat = loadSeat(sessionStorage, config.gameName);
const waited = loadWaiting(sessionStorage, config.gameName);
if (seat !== null) {
  begin({ self: seat.self, gameName: config.gameName, token: seat.token });
} else if (waited !== null) {
  dropWaiting(sessionStorage, config.gameName);
  begin(waited); // the reload cancelled that match: open a fresh one with a new link
} else {
  showView(document, 'home');
  home.focus();
}
