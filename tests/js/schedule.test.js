// The page's resend schedule (messages.js FluxSchedule) against tests/vectors/schedule.json,
// written from the test and bench clients' one (tests/flux_schedule.py): the same delays, in ms.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FluxSchedule } from '../../static/js/messages.js';
import { loadVectors } from './vectors.js';

for (const [k, { random, script, delays_ms: expected }] of loadVectors('schedule.json').entries()) {
  test(`schedule vector ${k}: ${script.length} steps, random ${random}`, () => {
    const schedule = new FluxSchedule({ random: () => random });
    const delays = script.map(([op, arg]) => {
      if (op === 'measured') schedule.measured(arg);
      else if (op === 'sent') schedule.sent(0, arg);
      else schedule.acked();
      return schedule.delay;
    });
    delays.forEach((delay, step) => assert.ok(Math.abs(delay - expected[step]) < 1e-6,
      `step ${step} (${script[step].join(' ')}): ${delay} ms, the Python schedule ${expected[step]}`));
  });
}
