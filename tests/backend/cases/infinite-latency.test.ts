import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';

import { PrometheusProvider } from '../../../backend/src/telemetry/prometheus.ts';
import { single, startFakePrometheus, vector } from '../../fixtures/prometheus/server.ts';
import type { FakePrometheus } from '../../fixtures/prometheus/server.ts';
import { TickDriver, aCasePolicy } from '../../support/tick-driver.ts';

/**
 * Case: an infinite latency. A p99 query answers "+Inf" (a quantile above the
 * highest bucket, or a division by zero). Right: the value parses to Infinity
 * and fails "p99 under 0.5 s". `Number("+Inf")` and `parseFloat("+Inf")` are
 * NaN in JavaScript, which would make it look like missing data instead.
 */

let fake: FakePrometheus;
before(async () => {
  fake = await startFakePrometheus();
});
after(() => fake.close());
beforeEach(() => fake.reset());

test('a p99 of +Inf is read as Infinity and fails "p99 under 0.5 s" once confirmed, rolling back', async () => {
  fake.on(/histogram_quantile/, single('+Inf'));
  fake.on(/_count/, single('800'));
  const policy = aCasePolicy({
    gates: [
      {
        name: 'p99',
        kind: 'latency',
        provider: 'prometheus',
        threshold: 0.5,
        quantile: 0.99,
        window: '1m',
        minSamples: 100,
      },
    ],
    limits: { tickInterval: '5s', failTicks: 2 },
  });
  const driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy });

  const first = await driver.tick();
  const second = await driver.tick();

  assert.equal(first.result('p99').observed, Number.POSITIVE_INFINITY);
  assert.equal(first.result('p99').verdict, 'inconclusive');
  assert.equal(first.result('p99').inconclusive, 'unconfirmed');
  assert.equal(first.result('p99').reason, '+Inf > 0.5 (800 samples), 1 of 2 ticks in a row needed to fail');
  assert.equal(first.decision.kind, 'hold');
  assert.equal(second.result('p99').verdict, 'fail');
  assert.equal(second.result('p99').reason, '+Inf > 0.5 (800 samples) for 2 ticks in a row');
  assert.equal(second.decision.kind, 'rollback');
  assert.equal(driver.rollout.phase, 'rolled_back');
  assert.equal(driver.rollout.desired.weight, 0);
});

test('requests slower than the highest finite bucket count as slow and fail a slow-fraction rule', async () => {
  // Every canary request landed in the +Inf bucket only: beyond 2.5 s.
  fake.on(
    /version="v1"/,
    vector(
      { metric: { le: '0.5' }, value: '9990' },
      { metric: { le: '2.5' }, value: '10000' },
      { metric: { le: '+Inf' }, value: '10000' }
    )
  );
  fake.on(
    /version="v2"/,
    vector(
      { metric: { le: '0.5' }, value: '0' },
      { metric: { le: '2.5' }, value: '0' },
      { metric: { le: '+Inf' }, value: '300' }
    )
  );
  const policy = aCasePolicy({
    gates: [{ name: 'slow', kind: 'latency', provider: 'prometheus', threshold: 0.5, maxFraction: 0.05, window: '1m' }],
    limits: { tickInterval: '5s', failTicks: 1 },
  });
  const driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy });

  const tick = await driver.tick();

  assert.equal(tick.result('slow').verdict, 'fail');
  assert.equal(tick.result('slow').observed, 1);
  assert.deepEqual(tick.result('slow').samples, { canary: 300, baseline: 10_000 });
  assert.equal(tick.decision.kind, 'rollback');
});

test('a value of -Inf compares too: it meets an "under" rule instead of reading as no data', async () => {
  fake.on(() => true, single('-Inf'));
  const policy = aCasePolicy({
    steps: [
      { weight: 10, minDuration: '0s' },
      { weight: 50, minDuration: '0s' },
    ],
    gates: [
      {
        name: 'delta',
        kind: 'query',
        provider: 'prometheus',
        query: 'deriv(queue_depth{version="$version"}[1m])',
        op: '<',
        threshold: 0,
      },
    ],
  });
  const driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy });

  const tick = await driver.tick();

  assert.equal(tick.result('delta').verdict, 'pass');
  assert.equal(tick.result('delta').observed, Number.NEGATIVE_INFINITY);
  assert.equal(tick.decision.kind, 'advance');
});
