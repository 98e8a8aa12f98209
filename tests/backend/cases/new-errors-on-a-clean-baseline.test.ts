import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';

import { PrometheusProvider } from '../../../backend/src/telemetry/prometheus.ts';
import { RouterCounters } from '../../fixtures/prometheus/router-counters.ts';
import type { Counts } from '../../fixtures/prometheus/router-counters.ts';
import { startFakePrometheus } from '../../fixtures/prometheus/server.ts';
import type { FakePrometheus } from '../../fixtures/prometheus/server.ts';
import { T0, TickDriver, aCasePolicy } from '../../support/tick-driver.ts';

/**
 * Case: new errors where the baseline has none. Baseline: 0 errors in 20,000
 * requests; canary: 40 errors in 2,000. Right: fail and roll back, judging
 * error rates on counts (a ratio of ratios would divide by zero). A clean
 * canary against the clean baseline passes; both sides without any series is
 * inconclusive, not a pass.
 */

let fake: FakePrometheus;
before(async () => {
  fake = await startFakePrometheus();
});
after(() => fake.close());
beforeEach(() => fake.reset());

const TICK = 5000;
const gate = { name: 'error-rate', kind: 'error-rate', provider: 'prometheus' } as const;

/** Counters read at tick 1 and from tick 2 on: the judged increment is the second minus the first. */
function twoReadings(first: Counts | null, second: Counts): (at: number) => Counts | null {
  return (at) => (at < T0 + 2 * TICK - 2000 ? first : second);
}

function driver() {
  const policy = aCasePolicy({ gates: [gate], limits: { tickInterval: '5s' } });
  return new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy });
}

test('forty errors in two thousand canary requests against a baseline without errors roll back', async () => {
  new RouterCounters()
    .set('v1', twoReadings({ requests: 100_000, errors: 0 }, { requests: 120_000, errors: 0 }))
    .set('v2', twoReadings({ requests: 100, errors: 0 }, { requests: 2100, errors: 40 }))
    .install(fake);
  const run = driver();

  const first = await run.tick();
  const second = await run.tick();

  assert.equal(first.result('error-rate').verdict, 'inconclusive');
  assert.equal(first.decision.kind, 'hold');
  const result = second.result('error-rate');
  assert.equal(result.verdict, 'fail');
  assert.deepEqual(result.samples, { canary: 2000, baseline: 20_000 });
  assert.equal(result.observed, 0.02);
  assert.equal(result.baselineObserved, 0);
  assert.match(
    result.reason,
    /^canary error rate above tolerated 1× baseline: canary 40\/2000 \(2\.00%\), baseline 0\/20000 \(0\.00%\), p=/
  );
  assert.equal(second.decision.kind, 'rollback');
  assert.equal(run.rollout.phase, 'rolled_back');
  assert.equal(run.rollout.desired.weight, 0);
});

test('the same canary first seen after a tick without its series still rolls back', async () => {
  new RouterCounters()
    .set('v1', twoReadings({ requests: 100_000, errors: 0 }, { requests: 120_000, errors: 0 }))
    .set('v2', twoReadings(null, { requests: 2000, errors: 40 }))
    .install(fake);
  const run = driver();

  const first = await run.tick();
  const second = await run.tick();

  assert.equal(first.result('error-rate').inconclusive, 'no-data');
  assert.equal(second.result('error-rate').verdict, 'fail');
  assert.deepEqual(second.result('error-rate').samples, { canary: 2000, baseline: 20_000 });
  assert.equal(second.decision.kind, 'rollback');
});

test('a canary without errors against a baseline without errors passes', async () => {
  new RouterCounters()
    .set('v1', twoReadings({ requests: 100_000, errors: 0 }, { requests: 120_000, errors: 0 }))
    .set('v2', twoReadings({ requests: 100, errors: 0 }, { requests: 2100, errors: 0 }))
    .install(fake);
  const run = driver();

  await run.tick();
  const second = await run.tick();

  const result = second.result('error-rate');
  assert.equal(result.verdict, 'pass');
  assert.deepEqual(result.samples, { canary: 2000, baseline: 20_000 });
  assert.match(
    result.reason,
    /^canary error rate within tolerated 1× baseline: canary 0\/2000 \(0\.00%\), baseline 0\/20000/
  );
  assert.equal(second.decision.kind, 'hold');
  assert.equal(run.rollout.phase, 'progressing');
});

test('both versions without any series are inconclusive, never a pass', async () => {
  new RouterCounters().install(fake);
  const run = driver();

  for (let n = 1; n <= 3; n++) {
    const tick = await run.tick();
    assert.equal(tick.result('error-rate').verdict, 'inconclusive');
    assert.equal(tick.result('error-rate').inconclusive, 'no-data');
    assert.equal(tick.decision.kind, 'hold');
  }
  // Each tick asked for both versions' requests and errors.
  assert.equal(fake.received.length, 12);
});
