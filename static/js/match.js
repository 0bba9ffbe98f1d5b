// One running match as this browser sees it: the prediction and the local piece, the
// opponent's last known field, the clock, the battle (powers, what hit whom, the animations of
// effects) and when to send game_flux (docs/protocol.md, "A client sends a request at once when
// it locks a piece, again with backoff from 100 ms to 1 s while anything is unacknowledged, and at
// least once a second otherwise"). No DOM: `now` is passed in (ms).
import { FieldAnimations } from './animations.js';
import { BattleFeed } from './battle.js';
import { calloutFor } from './callouts.js';
import { LocalGame } from './game.js';
import { Handling } from './handling.js';
import { FluxSchedule, fluxMessage } from './messages.js';
import { Prediction } from './prediction.js';
import { parseServerMessage } from './server-messages.js';
import { PREVIEW_COUNT } from './render.js';
import { Field } from './rules/field.js';
import { drop } from './rules/movement.js';

export class Match {
  /**
   * start: the game_start message; send(msg) → true if it went out; stamp() → a client
   * timestamp; total: the match length in ms if known (a rejoin), else start.time_left;
   * countdownMs: the pieces start to fall this long after `now` (game_start.countdown_ms).
   */
  constructor(start, {
    settings, send, stamp, total = null, now, countdownMs = 0, warn = console.warn,
  }) {
    this.gameName = start.game_name;
    this.token = start.token;
    this.self = start.self;
    this.opponent = start.opponent;
    this.total = total ?? start.time_left;
    this.send = send;
    this.stamp = stamp;
    this.warn = warn;
    this.now = now;
    this.prediction = new Prediction();
    this.handling = new Handling(settings);
    this.game = new LocalGame(this.prediction, { onLock: (result) => this.#locked(result) });
    this.schedule = new FluxSchedule(); // its round trips come from the page's link (main.js)
    this.opponentField = Field.empty(); // its hidden rows too, for drawing
    this.opponentScore = 0;
    this.opponentLines = 0;
    this.away = false;
    this.awayMs = null; // ms until the away opponent loses, as of awayAt
    this.awayAt = now;
    this.watchers = 0;
    this.startAt = now + countdownMs; // before it, no piece falls and no key plays
    this.callouts = []; // calloutFor results of this player's locks, for the HUD
    this.cues = []; // sound effects (sound.js) since last taken
    this.b2b = false; // the board's back-to-back flag as last seen, for the next callout
    this.timeLeft = this.total;
    this.timeAt = now;
    this.feed = new BattleFeed({ self: this.self, opponent: this.opponent });
    this.animations = new FieldAnimations();
    this.apply(start, now);
  }

  /**
   * A game_start or game_flux (already timestamp-filtered; raw or parsed by server-messages.js);
   * false if it was unusable.
   */
  apply(raw, now) {
    const ack = this.prediction.ack;
    const power = this.prediction.pendingPower()?.power_n;
    let msg;
    try {
      msg = parseServerMessage(raw);
      this.prediction.applyServer(msg);
    } catch (error) {
      this.warn(`ignored a server message: ${error.message}`);
      return false;
    }
    // Progress resets the resend backoff (messages.js FluxSchedule).
    if (this.prediction.ack > ack || this.prediction.pendingPower()?.power_n !== power) {
      this.schedule.acked();
    }
    // null: not in this message, the last known value stands
    if (msg.opponent_blocks !== null) {
      this.opponentField = Field.fromRows(msg.opponent_blocks, msg.opponent_hidden);
    }
    if (msg.opponent_score !== null) this.opponentScore = msg.opponent_score;
    if (msg.opponent_lines !== null) this.opponentLines = msg.opponent_lines;
    if (msg.time_left !== null) {
      this.timeLeft = msg.time_left;
      this.timeAt = now;
    }
    this.away = msg.opponent_away;
    this.awayMs = msg.opponent_away ? msg.opponent_away_ms : null;
    this.awayAt = now;
    this.watchers = msg.watchers;
    this.b2b = this.prediction.board.b2b;
    this.feed.server(msg, this.prediction.takePowerRejections());
    this.#takeEffects(now);
    return true;
  }

  /**
   * Use the power in inventory slot `slot` (0 = oldest) and send it at once; false when the
   * slot is empty (the player is told so).
   */
  usePower(slot, now) {
    this.now = now;
    const power = this.prediction.powersAvailable[slot];
    const use = power === undefined ? null : this.prediction.usePower(power);
    if (use === null) {
      this.feed.toast(`No power in slot ${slot + 1}`);
      return false;
    }
    this.feed.used(use);
    this.cues.push('power');
    this.sendFlux();
    return true;
  }

  /** The countdown moved (a repeated game_start): the pieces fall `countdownMs` after `now`. */
  startIn(countdownMs, now) {
    this.startAt = now + countdownMs;
  }

  /** Whole seconds to GO at `now` (3, 2, 1), 0 at and after it. */
  countdownAt(now) {
    return Math.max(0, Math.ceil((this.startAt - now) / 1000));
  }

  /** ms until the away opponent loses, at `now`; null when they are not away (or unsaid). */
  awayLeftAt(now) {
    return this.awayMs === null ? null : Math.max(0, this.awayMs - (now - this.awayAt));
  }

  // A lock of this player's: its callout and sound, then the request that tells the server.
  #locked(result) {
    const board = this.prediction.board;
    const callout = calloutFor(result, board, this.b2b);
    this.b2b = board.b2b;
    this.cues.push(callout.cue);
    if (callout.shown) this.callouts.push({ ...callout, at: this.now });
    this.sendFlux();
  }

  /** Callouts since last asked, oldest first. */
  takeCallouts() {
    const callouts = this.callouts;
    this.callouts = [];
    return callouts;
  }

  /** Sound effects since last asked. */
  takeCues() {
    const cues = this.cues;
    this.cues = [];
    return cues;
  }

  /** Words for the battle log and toasts since last asked (see battle.js). */
  takeEvents() {
    return this.feed.take();
  }

  // Effects applied to the field the player sees (after a lock, or a server reconcile): told
  // once each and animated.
  #takeEffects(now) {
    const applied = this.prediction.takeAppliedEffects();
    if (applied.length === 0) return;
    for (const effect of applied) {
      if (effect.kind === 'garbage') this.cues.push('garbage');
      else if (effect.from !== this.self) this.cues.push('hit');
    }
    this.feed.applied(applied);
    for (const effect of applied) this.animations.add(effect, now);
  }

  /** One fixed step of play: held keys become commands, then gravity and lock delay. */
  step(dt, now) {
    this.now = now;
    const commands = this.handling.step(dt);
    if (now < this.startAt) return; // the countdown: keys and gravity wait for GO
    for (const { kind } of commands) {
      if (kind === 'shift') this.cues.push('move');
      else if (kind === 'rotate') this.cues.push('rotate');
    }
    this.game.update(dt, this.total - this.timeLeftAt(now), commands);
    this.#takeEffects(now);
  }

  /** Send game_flux when it is due (called often, e.g. every 50 ms). */
  tick(now) {
    this.now = now;
    if (this.schedule.due(now, this.#waiting())) this.sendFlux();
  }

  // What waits for an ack: unacknowledged locks and a power use.
  #waiting() {
    return this.prediction.pendingLocks().length
      + (this.prediction.pendingPower() === null ? 0 : 1);
  }

  sendFlux() {
    const msg = fluxMessage({
      timestamp: this.stamp(),
      gameName: this.gameName,
      token: this.token,
      userRows: this.prediction.board.field.toRows(),
      opponentRows: this.opponentField.toRows(),
      score: this.prediction.board.score,
      locks: this.prediction.pendingLocks(),
      power: this.prediction.pendingPower(),
    });
    if (this.send(msg)) this.schedule.sent(this.now, this.#waiting());
  }

  timeLeftAt(now) {
    // the server's time_left stays the full length until the start: the clock runs from GO
    return Math.max(0, this.timeLeft - Math.max(0, now - Math.max(this.timeAt, this.startAt)));
  }

  get toppedOut() {
    return this.prediction.toppedOut;
  }

  /** What render.drawPlayer needs at `now`. */
  playerView(now = this.now) {
    const { field } = this.prediction.board;
    const active = this.prediction.active;
    return {
      field,
      active,
      ghost: active && field.fits(active) ? drop(field, active) : null,
      hold: this.prediction.holdPiece,
      canHold: this.prediction.canHold,
      next: this.prediction.preview(PREVIEW_COUNT),
      incoming: this.prediction.incomingGarbageLines,
      fx: this.animations.frame(now),
    };
  }

  /** The inventory, oldest first (uses the server has not handled yet already taken out). */
  get powers() {
    return this.prediction.powersAvailable;
  }

  opponentView() {
    // the name is the DOM label above the canvas (readable on phones), not drawn twice
    return { field: this.opponentField, name: '', away: this.away };
  }
}
