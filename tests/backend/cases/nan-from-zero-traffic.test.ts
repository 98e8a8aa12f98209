import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';

import { PrometheusProvider } from '../../../backend/src/telemetry/prometheus.ts';
import { single, startFakePrometheus } from '../../fixtures/prometheus/server.ts';
import type { FakePrometheus } from '../../fixtures/prometheus/server.ts';
import { TickDriver, aCasePolicy } from '../../support/tick-driver.ts';

/**
 * Case: zero traffic gives NaN. With no requests, a ratio query answers the
 * value "NaN", and the rule is "error ratio under 1%". In JavaScript
 * `NaN > 0.01` is false, so a "fail if above" rule would silently pass.
 * Right: inconclusive. Whatever the gate kind, a NaN is never compared.
 */

const RATIO =
  'sum(rate(sentra_router_requests_total{service="$service",version="$version",code=~"5.."}[1m]))' +
  ' / sum(rate(sentra_router_requests_total{service="$service",version="$version"}[1m]))';

let fake: FakePrometheus;
before(async () => {
  fake = await startFakePrometheus();
});
after(() => fake.close());
beforeEach(() => fake.reset());

test('a NaN from zero traffic is inconclusive for every gate kind, never a pass, and pauses once the no-data budget is spent', async () => {
  // Every query answers NaN, as ratios and quantiles over no requests do.
  fake.on(() => true, single('NaN'));
  const policy = aCasePolicy({
    steps: [
      { weight: 10, minDuration: '0s' },
      { weight: 50, minDuration: '0s' },
    ],
    gates: [
      { name: 'ratio-query', kind: 'query', provider: 'prometheus', query: RATIO, op: '<', threshold: 0.01 },
      { name: 'p99', kind: 'latency', provider: 'prometheus', threshold: 0.5, quantile: 0.99, window: '1m' },
      {
        name: 'error-ratio',
        kind: 'error-ratio',
        provider: 'prometheus',
        max: 0.01,
        query: { requests: 'sum(requests{v="$version"})', errors: 'sum(errors{v="$version"})' },
      },
    ],
    limits: { tickInterval: '5s', noDataTicks: 3 },
  });
  const driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy });

  const decisions: string[] = [];
  for (let n = 1; n <= 3; n++) {
    const tick = await driver.tick();
    for (const result of tick.results) {
      assert.equal(result.verdict, 'inconclusive', `tick ${n} ${result.gate}: ${result.reason}`);
      assert.equal(result.inconclusive, 'no-data');
      assert.equal(result.observed, null);
    }
    assert.equal(tick.result('ratio-query').reason, 'the query returned NaN (no traffic?)');
    assert.equal(tick.result('p99').reason, 'the query returned NaN (no traffic?)');
    assert.equal(tick.result('error-ratio').reason, 'counts for version v2 are NaN (requests NaN, errors NaN)');
    decisions.push(tick.decision.kind);
  }

  // With a minimum duration of zero, any pass would have advanced the rollout.
  assert.deepEqual(decisions, ['hold', 'hold', 'pause']);
  assert.equal(driver.rollout.stepIndex, 0);
  assert.equal(driver.rollout.desired.weight, 10);
  assert.ok(fake.received.some((q) => q.query.includes('version="v2",code=~"5.."')));
});

test('the same query with a real value under the limit passes, so NaN is what holds it', async () => {
  fake.on(() => true, single('0.004'));
  const policy = aCasePolicy({
    steps: [
      { weight: 10, minDuration: '0s' },
      { weight: 50, minDuration: '0s' },
    ],
    gates: [{ name: 'ratio-query', kind: 'query', provider: 'prometheus', query: RATIO, op: '<', threshold: 0.01 }],
  });
  const driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy });

  const tick = await driver.tick();

  assert.equal(tick.result('ratio-query').verdict, 'pass');
  assert.equal(tick.result('ratio-query').observed, 0.004);
  assert.equal(tick.decision.kind, 'advance');
});
