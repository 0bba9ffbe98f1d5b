// Wires the page: config from <body data-*>, the connection, the views, the match and its loop.
// The only module with mutable page state; everything it calls is a small module of its own.
import { BattleView, renderLegend } from './battle-view.js';
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
let phase = 'home'; // home → connecting → waiting → playing → ended (or message)
// The connect fields to (re)send: {self, opponent} to open or challenge, {self, gameName} to join
// by link, {self, gameName, token} to come back to a seat; `fallback` ({self, opponent}) opens a
// fresh match if a reloaded host's waiting match is gone.
let intent = null;
let needConnect = false; // repeat `connect` once a second until game_start
let lastConnect = -Infinity;
let waitingIn = null; // game_name of the match this tab opened and waits in
let match = null;
const SEEKING = new Set(['connecting', 'waiting', 'playing']); // phases that hold or seek a seat

const conn = new Connection(wsUrl(location, config.wsPath), {
  onMessage: (msg) => HANDLERS[msg.command]?.(msg),
  onState: (status) => hud.connection(status),
  onOpen: () => {
    if (intent === null || !SEEKING.has(phase)) return;
    needConnect = true; // a new socket is a new address: claim the seat again
    sendConnect();
  },
});

function sendConnect() {
  lastConnect = performance.now();
  conn.send(connectMessage({ ...intent, timestamp: stamper.next() }));
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
  const fresh = intent.fallback ?? { self: intent.self, opponent: intent.opponent ?? null };
  const token = typeof msg.token === 'string' ? msg.token : null;
  if (waitingIn !== null && waitingIn !== msg.game_name) dropWaiting(sessionStorage, waitingIn);
  if (waitingIn !== msg.game_name || token !== intent.token) {
    waitingIn = msg.game_name;
    saveWaiting(sessionStorage, waitingIn, { ...fresh, token });
  }
  // From now on every retry names the seat: it proves this address reads our datagrams, and a
  // new socket (reconnect, reload) finds the same waiting match.
  if (token !== null) {
    intent = { self: fresh.self, gameName: msg.game_name, token, fallback: fresh };
  }
  const name = encodeURIComponent(msg.game_name);
  setUrl(`${config.basePath}m/${name}`);
  const link = `${config.shareBase}m/${name}#host=${encodeURIComponent(fresh.self)}`;
  showWaiting(document, { link, opponent: msg.opponent });
  showView(document, 'waiting');
}

function onStart(msg) {
  const now = performance.now();
  if (match !== null && match.gameName === msg.game_name) {
    match.apply(msg, now); // a rejoin after a reconnect: the match as it stands
    needConnect = false;
    match.sendFlux(); // the new address proves itself with the token, so pushes reach it
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
  // At once, not at the next tick: a request with the token proves this address, so the
  // server's unasked pushes (the opponent's moves, powers) are not held back by its 3x limit.
  match.sendFlux();
  document.activeElement?.blur?.(); // Space must not press whichever button has the focus
  setUrl(`${config.basePath}m/${encodeURIComponent(msg.game_name)}`);
  battle.reset();
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
  if (phase === 'connecting' && intent?.fallback && LOST_SEAT.has(msg.reason)) {
    dropWaiting(sessionStorage, intent.gameName); // the waiting match is gone: open a new one
    begin(intent.fallback);
  } else if (phase === 'connecting' || phase === 'waiting') {
    needConnect = false;
    if (intent?.token) dropSeat(sessionStorage, intent.gameName);
    intent = null; // refused: a reconnect must not ask again (and again, once a second)
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
    // `forfeit` (the default intent) cancels a waiting match; the token came with `waiting`
    const token = intent?.gameName === waitingIn ? intent.token : undefined;
    conn.send(leaveMessage({ timestamp: stamper.next(), gameName: waitingIn, token }));
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
    const now = performance.now();
    drawPlayer($('player-canvas'), match.playerView(now));
    drawOpponent($('opponent-canvas'), match.opponentView());
    hud.match(match, now);
    battle.powers(match.powers, settings.bindings);
    battle.show(match.takeEvents());
    battle.away(match.away);
  },
});

const playing = () => phase === 'playing' && match !== null && !panel.isOpen;
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
  const status = conn.status();
  hud.connection(status);
  battle.link(phase === 'playing' ? status : { state: 'online', silentMs: 0 });
}, 50);

conn.open();
const seat = loadSeat(sessionStorage, config.gameName);
const waited = loadWaiting(sessionStorage, config.gameName);
if (seat !== null) {
  begin({ self: seat.self, gameName: config.gameName, token: seat.token });
} else if (waited !== null) {
  const fresh = { self: waited.self, opponent: waited.opponent };
  if (waited.token !== null) {
    begin({ self: waited.self, gameName: config.gameName, token: waited.token, fallback: fresh });
  } else {
    dropWaiting(sessionStorage, config.gameName); // no seat to name: open a fresh match
    begin(fresh);
  }
} else {
  showView(document, 'home');
  home.focus();
}
