import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';

import { PrometheusProvider } from '../../../backend/src/telemetry/prometheus.ts';
import { EMPTY, startFakePrometheus, vector } from '../../fixtures/prometheus/server.ts';
import type { FakePrometheus } from '../../fixtures/prometheus/server.ts';
import { TickDriver, aCasePolicy } from '../../support/tick-driver.ts';

/**
 * Case: two series for one version. The canary's query answers two series for
 * version="v2" (handler "/checkout" at 0.99 and "/cart" at 0.40). Right: an
 * error saying "expected 1 series for v2, got 2"; never the first series,
 * never an average. The rule holds for every query Sentra aggregates.
 */

const SUCCESS =
  'sum by (handler) (rate(http_ok_total{version="$version"}[1m])) / sum by (handler) (rate(http_total{version="$version"}[1m]))';

let fake: FakePrometheus;
before(async () => {
  fake = await startFakePrometheus();
});
after(() => fake.close());
beforeEach(() => fake.reset());

test('two series for one version are an error, never the first or an average, and pause the rollout after the error budget', async () => {
  fake.on(
    () => true,
    vector(
      { metric: { handler: '/checkout', version: 'v2' }, value: '0.99' },
      { metric: { handler: '/cart', version: 'v2' }, value: '0.40' }
    )
  );
  const policy = aCasePolicy({
    steps: [
      { weight: 10, minDuration: '0s' },
      { weight: 50, minDuration: '0s' },
    ],
    gates: [{ name: 'success-rate', kind: 'query', provider: 'prometheus', query: SUCCESS, op: '>=', threshold: 0.95 }],
    limits: { tickInterval: '5s', errorTicks: 3, failTicks: 1 },
  });
  const driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy });

  const decisions: string[] = [];
  for (let n = 1; n <= 3; n++) {
    const tick = await driver.tick();
    const result = tick.result('success-rate');
    assert.equal(result.verdict, 'error');
    assert.equal(
      result.reason,
      'expected 1 series for v2, got 2 (value query: {handler="/checkout", version="v2"}, {handler="/cart", version="v2"})'
    );
    assert.equal(result.observed, null);
    decisions.push(tick.decision.kind);
  }

  assert.deepEqual(decisions, ['hold', 'hold', 'pause']);
  assert.equal(driver.rollout.phase, 'paused');
  assert.equal(driver.rollout.desired.weight, 10);
  assert.match(
    driver.rollout.pauseReason ?? '',
    /^telemetry failed for 3 ticks in a row: success-rate error: expected 1 series for v2, got 2/
  );
});

test('counter and histogram queries keep the same rule: several series for a version are an error', async () => {
  fake.on(
    /^sum by \(pod\) \(requests/,
    vector({ metric: { pod: 'a' }, value: '1000' }, { metric: { pod: 'b' }, value: '900' })
  );
  fake.on(/^sum by \(pod\) \(errors/, EMPTY);
  fake.on(/latency_seconds_bucket/, (q) =>
    q.query.includes('"v1"')
      ? vector({ metric: { le: '0.5' }, value: '10' }, { metric: { le: '+Inf' }, value: '12' })
      : vector(
          { metric: { le: '0.5' }, value: '10' },
          { metric: { le: '0.5' }, value: '11' },
          { metric: { le: '+Inf' }, value: '12' }
        )
  );
  const policy = aCasePolicy({
    gates: [
      {
        name: 'errors',
        kind: 'error-rate',
        provider: 'prometheus',
        query: { requests: 'sum by (pod) (requests{v="$version"})', errors: 'sum by (pod) (errors{v="$version"})' },
      },
      {
        name: 'latency',
        kind: 'latency',
        provider: 'prometheus',
        threshold: 0.5,
        maxFraction: 0.1,
        query: { histogram: 'latency_seconds', selector: 'v="$version"' },
      },
    ],
  });
  const driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy });

  const tick = await driver.tick();

  assert.equal(tick.result('errors').verdict, 'error');
  assert.equal(tick.result('errors').reason, 'expected 1 series for v2, got 2 (requests query: {pod="a"}, {pod="b"})');
  assert.equal(tick.result('latency').verdict, 'error');
  assert.equal(tick.result('latency').reason, 'expected 1 series per bucket for v2, got several with le="0.5"');
  assert.equal(tick.decision.kind, 'hold');
});
