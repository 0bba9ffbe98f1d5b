// The server's constants as the page repeats them, against tests/vectors/constants.json (written
// by tests/vectors/generate.py from the Python declarations): a change on either side fails here.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  AMPLIFICATION, KEY_PATTERN, MAX_DATAGRAM, MAX_LOCKS, MAX_WAITING, NAME_PATTERN,
} from '../../static/js/messages.js';
import { PREVIEW_COUNT } from '../../static/js/render.js';
import { EFFECT_KINDS, MAX_POWERS, POWERS } from '../../static/js/rules/effects.js';
import { HEIGHT, HIDDEN, WIDTH } from '../../static/js/rules/field.js';
import { PIECES, RULES_VERSION } from '../../static/js/rules/pieces.js';
import { serverConstants } from './vectors.js';

const server = serverConstants();

// What the page declares, by the name the file gives the server's declaration.
const SAME = {
  width: WIDTH,
  height: HEIGHT,
  hidden: HIDDEN,
  rules_version: RULES_VERSION,
  pieces: PIECES,
  effect_kinds: EFFECT_KINDS,
  powers: POWERS,
  max_powers: MAX_POWERS,
  max_datagram: MAX_DATAGRAM,
  amplification: AMPLIFICATION,
  max_waiting_per_address: MAX_WAITING,
  name_pattern: NAME_PATTERN,
  key_pattern: KEY_PATTERN,
  spectate_preview: PREVIEW_COUNT, // a spectator's NEXT panel shows what a player's does
};

// Limits the page stays within rather than repeats.
const WITHIN = {
  // docs/protocol.md: a client repeats at most 8 unacknowledged locks; the server takes more.
  max_locks: (limit) => MAX_LOCKS >= 1 && MAX_LOCKS <= limit,
  // The coming pieces shown are all in next_block, which starts with the piece in hand.
  preview: (length) => PREVIEW_COUNT >= 1 && PREVIEW_COUNT <= length - 1,
};

test('every constant of the file is declared by the page, and the same', async (t) => {
  for (const [name, value] of Object.entries(server)) {
    await t.test(name, () => {
      if (name in WITHIN) {
        assert.ok(WITHIN[name](value), `${name}: the page goes past the server's ${value}`);
      } else {
        assert.ok(name in SAME, `${name}: the page declares no copy (add one to this test)`);
        assert.deepEqual(SAME[name], value);
      }
    });
  }
});

test('every copy the page declares is in the file', () => {
  for (const name of [...Object.keys(SAME), ...Object.keys(WITHIN)]) {
    assert.ok(name in server, `tests/vectors/constants.json has no ${name}`);
  }
});
