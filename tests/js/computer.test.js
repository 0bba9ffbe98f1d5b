// Playing the computer from the page: home.js names its level as the connect's `opponent`
// (docs/protocol.md "Playing the computer"), session.js sends it like a challenge.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_BOT_PPS, MIN_BOT_PPS, botOpponent } from '../../static/js/home.js';
import { errorText } from '../../static/js/messages.js';
import { Phase, Session } from '../../static/js/session.js';

function newSession() {
  let stamp = 1000;
  return new Session({ basePath: '/', shareBase: 'http://example.test/', stamp: () => ++stamp });
}

test('a level or a pace names the bot the server knows', () => {
  assert.equal(botOpponent('easy', '3'), 'bot:easy');
  assert.equal(botOpponent('hard', null), 'bot:hard');
  assert.equal(botOpponent('pace', '1.5'), 'bot:1.5');
  assert.equal(botOpponent('pace', 2), 'bot:2');
  assert.equal(botOpponent('pace', '1.239'), 'bot:1.24'); // the server takes two decimals
  assert.equal(botOpponent('pace', '9'), `bot:${MAX_BOT_PPS}`);
  assert.equal(botOpponent('pace', '0'), `bot:${MIN_BOT_PPS}`);
  assert.equal(botOpponent('pace', 'fast'), null);
  assert.equal(botOpponent('expert', '1'), null);
});

test('computer() connects with the bot as the opponent, once, from the start page', () => {
  const session = newSession();
  const actions = session.computer({ self: 'alice', bot: 'bot:medium' }, 0);
  const [connect] = actions.filter((a) => a.type === 'send').map((a) => a.message);
  assert.equal(connect.command, 'connect');
  assert.equal(connect.self, 'alice');
  assert.equal(connect.opponent, 'bot:medium');
  assert.equal(session.phase, Phase.CONNECTING);
  assert.deepEqual(session.computer({ self: 'alice', bot: 'bot:hard' }, 10), []);
});

test('a malformed bot is refused and changes nothing; the bound has words', () => {
  const session = newSession();
  assert.throws(() => session.computer({ self: 'alice', bot: 'medium' }, 0), /bot:<level>/);
  assert.throws(() => session.computer({ self: 'alice' }, 0), /bot:<level>/);
  assert.equal(session.phase, Phase.HOME);
  assert.match(errorText('too_many_bots'), /computer is busy/);
});
