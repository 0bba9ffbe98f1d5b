// static/js/net.js RttEstimator: the round-trip figure reads what the page itself sees — fresh
// samples only, their recent median.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  OUTAGE_MS, RTT_SAMPLES, RttEstimator, START_SKIP_MS,
} from '../../static/js/net.js';

// one request at `at`, answered `rtt` ms later
function exchange(estimator, stamp, at, rtt, { sent = {}, replied = {} } = {}) {
  estimator.sent(stamp, at, sent);
  return estimator.replied(stamp, at + rtt, replied);
}

describe('RttEstimator', () => {
  test('the figure is the median of the last few fresh samples', () => {
    const estimator = new RttEstimator();
    assert.equal(estimator.value, null);
    [12, 14, 300, 13, 15, 11].forEach((rtt, k) => exchange(estimator, k + 1, 1000 * k, rtt));
    assert.equal(estimator.value, 14); // of 14, 300, 13, 15, 11: one slow reply moves nothing
    for (let k = 0; k < RTT_SAMPLES; k += 1) exchange(estimator, 10 + k, 10000 + k, 40);
    assert.equal(estimator.value, 40, 'the old samples are gone');
  });

  test('a request that sat in a queue, or was sent into an outage, is no sample', () => {
    const estimator = new RttEstimator();
    assert.equal(exchange(estimator, 1, 0, 500, { sent: { queued: true } }), null);
    assert.equal(exchange(estimator, 2, 5000, 700,
      { sent: { unansweredSince: 5000 - OUTAGE_MS } }), null);
    assert.equal(exchange(estimator, 3, 9000, 12), 12);
    assert.equal(estimator.value, 12);
  });

  test('a reply that ends an outage is no sample, unless the link stays that slow', () => {
    const estimator = new RttEstimator();
    const outage = { replied: { silentMs: 3000 } };
    for (let k = 0; k < 4; k += 1) {
      assert.equal(exchange(estimator, k + 1, 1000 * k, 1500, outage), null);
    }
    assert.equal(exchange(estimator, 9, 9000, 1500, outage), 1500, 'five in a row: believed');
  });

  test('a reply overtaken by a newer one, and the first requests after a start, are none', () => {
    const estimator = new RttEstimator();
    estimator.sent(1, 0);
    estimator.sent(2, 10);
    assert.equal(estimator.replied(2, 20), 10);
    assert.equal(estimator.replied(1, 30), null);
    estimator.sent(3, 100);
    estimator.restart(105); // a match starts: what was in flight is no measure either
    assert.equal(estimator.replied(3, 400), null);
    assert.equal(exchange(estimator, 4, 105 + START_SKIP_MS - 1, 5), null);
    assert.equal(exchange(estimator, 5, 105 + START_SKIP_MS, 9), 9);
    assert.equal(estimator.value, 9.5);
  });

  test('bad stamps and negative samples are ignored', () => {
    const estimator = new RttEstimator();
    estimator.sent('7', 0);
    assert.equal(estimator.replied(7, 5, { fallback: null }), null);
    assert.equal(estimator.replied(8, 5, { fallback: -3 }), null);
    assert.equal(estimator.value, null);
  });
});
