// One running match as this browser sees it: the prediction and the local piece, the
// opponent's last known field, the clock, and when to send game_flux (docs/protocol.md,
// "A client sends a request at once when it locks a piece, again every 100 ms while any lock is
// unacknowledged, and at least once a second otherwise"). No DOM: `now` is passed in (ms).
import { HEIGHT, WIDTH, drop } from './engine.js';
import { LocalGame } from './game.js';
import { Handling } from './handling.js';
import { FluxSchedule, fluxMessage } from './messages.js';
import { Prediction } from './prediction.js';

const PREVIEW = 5;

const isRows = (rows) => Array.isArray(rows) && rows.length === HEIGHT
  && rows.every((row) => typeof row === 'string' && row.length === WIDTH);
const isCount = (value) => Number.isSafeInteger(value) && value >= 0;

export class Match {
  /**
   * start: the game_start message; send(msg) → true if it went out; stamp() → a client
   * timestamp; total: the match length in ms if known (a rejoin), else start.time_left.
   */
  constructor(start, { settings, send, stamp, total = null, now, warn = console.warn }) {
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
    this.game = new LocalGame(this.prediction, { onLock: () => this.sendFlux() });
    this.schedule = new FluxSchedule();
    this.opponentRows = Array(HEIGHT).fill('.'.repeat(WIDTH));
    this.opponentScore = 0;
    this.opponentLines = 0;
    this.away = false;
    this.timeLeft = this.total;
    this.timeAt = now;
    this.apply(start, now);
  }

  /** A game_start or game_flux (already timestamp-filtered); false if it was unusable. */
  apply(msg, now) {
    try {
      this.prediction.applyServer(msg);
    } catch (error) {
      this.warn(`ignored a server message: ${error.message}`);
      return false;
    }
    if (isRows(msg.opponent_blocks)) this.opponentRows = msg.opponent_blocks;
    if (isCount(msg.opponent_score)) this.opponentScore = msg.opponent_score;
    if (isCount(msg.opponent_lines)) this.opponentLines = msg.opponent_lines;
    if (isCount(msg.time_left)) {
      this.timeLeft = msg.time_left;
      this.timeAt = now;
    }
    this.away = msg.opponent_away === true;
    return true;
  }

  /** One fixed step of play: held keys become commands, then gravity and lock delay. */
  step(dt, now) {
    this.now = now;
    const commands = this.handling.step(dt);
    this.game.update(dt, this.total - this.timeLeftAt(now), commands);
  }

  /** Send game_flux when it is due (called often, e.g. every 50 ms). */
  tick(now) {
    this.now = now;
    if (this.schedule.due(now, this.prediction.pendingLocks().length)) this.sendFlux();
  }

  sendFlux() {
    const msg = fluxMessage({
      timestamp: this.stamp(),
      gameName: this.gameName,
      token: this.token,
      userRows: this.prediction.board.field.toRows(),
      opponentRows: this.opponentRows,
      score: this.prediction.board.score,
      locks: this.prediction.pendingLocks(),
    });
    if (this.send(msg)) this.schedule.sent(this.now);
  }

  timeLeftAt(now) {
    return Math.max(0, this.timeLeft - (now - this.timeAt));
  }

  get toppedOut() {
    return this.prediction.toppedOut;
  }

  /** What render.drawPlayer needs. */
  playerView() {
    const { field } = this.prediction.board;
    const active = this.prediction.active;
    return {
      field,
      active,
      ghost: active && field.fits(active) ? drop(field, active) : null,
      hold: this.prediction.holdPiece,
      canHold: this.prediction.canHold,
      next: this.prediction.preview(PREVIEW),
    };
  }

  opponentView() {
    return { rows: this.opponentRows, name: this.opponent, away: this.away };
  }
}
