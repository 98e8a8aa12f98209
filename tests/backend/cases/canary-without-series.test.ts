import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';

import { PrometheusProvider } from '../../../backend/src/telemetry/prometheus.ts';
import { RouterCounters, growing } from '../../fixtures/prometheus/router-counters.ts';
import { startFakePrometheus } from '../../fixtures/prometheus/server.ts';
import type { FakePrometheus } from '../../fixtures/prometheus/server.ts';
import { T0, TickDriver, aCasePolicy } from '../../support/tick-driver.ts';

/**
 * Case: the canary has no series yet. Its queries answer an empty vector for
 * five ticks while the baseline is healthy. Each tick is inconclusive for lack
 * of data; the rollout holds, then pauses when the no-data budget is spent.
 * Never an error, never a rollback on emptiness alone.
 */

let fake: FakePrometheus;
before(async () => {
  fake = await startFakePrometheus();
});
after(() => fake.close());
beforeEach(() => fake.reset());

test('a canary without series holds the rollout as no data, then pauses when the no-data budget is spent', async () => {
  new RouterCounters()
    .set('v1', growing({ from: T0 - 600_000, everyMs: 5000, perTick: { requests: 2000, errors: 1 } }))
    .set('v2', null)
    .install(fake);
  const policy = aCasePolicy({
    gates: [
      { name: 'error-rate', kind: 'error-rate', provider: 'prometheus' },
      { name: 'error-ratio', kind: 'error-ratio', provider: 'prometheus', max: 0.01, window: '1m' },
    ],
    limits: { tickInterval: '5s', noDataTicks: 5 },
  });
  const driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy });

  const decisions: string[] = [];
  for (let n = 1; n <= 5; n++) {
    const tick = await driver.tick();
    for (const result of tick.results) {
      assert.equal(result.verdict, 'inconclusive', `tick ${n} ${result.gate}`);
      assert.equal(result.inconclusive, 'no-data');
      assert.equal(result.reason, 'no series for version v2 (requests query)');
    }
    assert.equal(tick.rollout.desired.weight, 10, `tick ${n} keeps the weight`);
    decisions.push(tick.decision.kind);
  }

  assert.deepEqual(decisions, ['hold', 'hold', 'hold', 'hold', 'pause']);
  assert.equal(driver.rollout.phase, 'paused');
  assert.match(
    driver.rollout.pauseReason ?? '',
    /^no data for 5 ticks in a row: error-rate inconclusive: no series for version v2/
  );
  assert.ok(fake.received.length > 0);
  assert.ok(fake.received.every((q) => q.query.includes('version="v1"') || q.query.includes('version="v2"')));
});

test('a canary series that appears after empty ticks is judged in full, against the baseline counted from the same start', async () => {
  const appears = T0 + 12_000;
  new RouterCounters()
    .set('v1', growing({ from: T0 - 600_000, everyMs: 5000, perTick: { requests: 2000, errors: 0 } }))
    .set('v2', growing({ from: appears, everyMs: 5000, perTick: { requests: 100, errors: 0 } }))
    .install(fake);
  const policy = aCasePolicy({
    gates: [{ name: 'error-rate', kind: 'error-rate', provider: 'prometheus', minSamples: 100 }],
    limits: { tickInterval: '5s', noDataTicks: 5, telemetryLag: '0s' },
  });
  const driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy });

  const first = await driver.tick();
  const second = await driver.tick();
  const third = await driver.tick();

  assert.equal(first.result('error-rate').inconclusive, 'no-data');
  assert.equal(second.result('error-rate').inconclusive, 'no-data');
  // First seen at tick 3 with 100 requests, all served during the rollout. Both versions count from
  // tick 1, the first tick without a canary series: the baseline served 4000 since then.
  assert.equal(third.result('error-rate').verdict, 'pass');
  assert.deepEqual(third.result('error-rate').samples, { canary: 100, baseline: 4000 });
  assert.equal(third.decision.kind, 'hold');
});
