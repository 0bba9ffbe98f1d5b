// The battle put into words, each thing once: what hit you ("bob hit you with Quake", "bob sent
// you 2 lines"), what you did ("You hit bob with Add Line", "You used Nuke", "You sent bob 2
// lines") and what the server refused ("You don't hold Nuke"). Pure: it reads server messages and
// the effects the prediction applied (docs/protocol.md "Battle"), and hands out events:
//   {type: 'say', text, tone: 'hit' | 'sent' | 'self'}   for the battle log
//   {type: 'toast', text}                                 for a short notice
import { POWER_INFO, powerLabel } from './powers.js';

const lines = (n) => `${n} line${n === 1 ? '' : 's'}`;

export class BattleFeed {
  #self;
  #opponent;
  #told = new Set(); // ids of this player's effects already told (power_applied or applied)
  #uses = new Map(); // power_n → power: this player's uses the server has not handled yet
  #sent = null; // garbage_sent as last seen; null until the first message
  #events = [];

  constructor({ self, opponent }) {
    this.#self = self;
    this.#opponent = opponent ?? 'your opponent';
  }

  /** A game_start or game_flux the prediction accepted, and the refusals it reported. */
  server(msg, rejections = []) {
    const applied = Array.isArray(msg.power_applied) ? msg.power_applied : [];
    for (const hit of applied) {
      if (hit !== null && typeof hit === 'object') this.#hit(hit.id, hit.power, hit.from);
    }
    for (const { n, power, reason } of rejections) {
      const name = power ?? this.#uses.get(n);
      const label = typeof name === 'string' ? powerLabel(name) : 'That power';
      this.#uses.delete(n);
      this.#events.push({ type: 'toast', text: reason === 'not_held'
        ? `You don't hold ${label}` : `${label} was refused (${reason ?? 'unknown reason'})` });
    }
    const ack = Number.isSafeInteger(msg.power_ack) ? msg.power_ack : 0;
    for (const [n, power] of this.#uses) {
      if (n >= ack) continue;
      this.#uses.delete(n);
      this.#say(this.#usedText(power), POWER_INFO[power]?.target === 'self' ? 'self' : 'sent');
    }
    this.#garbageSent(msg.garbage_sent);
  }

  /** A use this player just queued ({n, power} from prediction.usePower). */
  used(use) {
    this.#uses.set(use.n, use.power);
  }

  /** Effects applied to this player's field (prediction.takeAppliedEffects()). */
  applied(effects) {
    for (const effect of effects) {
      if (effect.kind === 'garbage') {
        if (effect.lines > 0 && !this.#told.has(effect.id)) {
          this.#told.add(effect.id);
          this.#say(`${effect.from ?? this.#opponent} sent you ${lines(effect.lines)}`, 'hit');
        }
      } else {
        this.#hit(effect.id, effect.kind, effect.from);
      }
    }
  }

  toast(text) {
    this.#events.push({ type: 'toast', text });
  }

  /** The events since last asked, oldest first. */
  take() {
    const events = this.#events;
    this.#events = [];
    return events;
  }

  // A power that hit this player, told once by id; the player's own (nuke, switch …) were told
  // when the server handled the use.
  #hit(id, power, from) {
    if (!Number.isSafeInteger(id) || this.#told.has(id)) return;
    this.#told.add(id);
    if (from === this.#self || typeof power !== 'string') return;
    const who = typeof from === 'string' ? from : this.#opponent;
    const text = power === 'switch' ? `${who} switched fields with you`
      : POWER_INFO[power]?.target === 'opponent' ? `${who} hit you with ${powerLabel(power)}`
        : `${who} used ${powerLabel(power)}`;
    this.#say(text, 'hit');
  }

  #usedText(power) {
    if (power === 'switch') return `You switched fields with ${this.#opponent}`;
    if (POWER_INFO[power]?.target === 'opponent') {
      return `You hit ${this.#opponent} with ${powerLabel(power)}`;
    }
    return `You used ${powerLabel(power)}`;
  }

  #garbageSent(total) {
    if (!Number.isSafeInteger(total) || total < 0) return;
    if (this.#sent !== null && total > this.#sent) {
      this.#say(`You sent ${this.#opponent} ${lines(total - this.#sent)}`, 'sent');
    }
    this.#sent = Math.max(this.#sent ?? 0, total);
  }

  #say(text, tone) {
    this.#events.push({ type: 'say', text, tone });
  }
}
