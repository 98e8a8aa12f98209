import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';

import { PrometheusProvider } from '../../../backend/src/telemetry/prometheus.ts';
import { HANG, errors, proxyPage, startFakePrometheus } from '../../fixtures/prometheus/server.ts';
import type { FakePrometheus } from '../../fixtures/prometheus/server.ts';
import { TickDriver, aCasePolicy } from '../../support/tick-driver.ts';

/**
 * Case: the metrics server times out. Prometheus answers HTTP 503
 * `{"status":"error","errorType":"timeout","error":"query timed out"}` for
 * three ticks; on another run the client's own timeout fires with no answer at
 * all. Right: `error` on each tick, never counted as a pass or a fail; after
 * the policy's number of consecutive errors the rollout pauses, and it is not
 * promoted meanwhile. The per-query timeout is really applied.
 */

let fake: FakePrometheus;
before(async () => {
  fake = await startFakePrometheus();
});
after(() => fake.close());
beforeEach(() => fake.reset());

/** A step with no minimum time: any pass would advance at once. */
function policyWith(queryTimeout: string) {
  return aCasePolicy({
    steps: [
      { weight: 10, minDuration: '0s' },
      { weight: 50, minDuration: '0s' },
    ],
    gates: [
      { name: 'error-rate', kind: 'error-rate', provider: 'prometheus' },
      { name: 'p99', kind: 'latency', provider: 'prometheus', threshold: 0.5, quantile: 0.99 },
    ],
    limits: { tickInterval: '5s', errorTicks: 3, queryTimeout },
  });
}

async function threeTicks(driver: TickDriver, reason: string): Promise<string[]> {
  const decisions: string[] = [];
  for (let n = 1; n <= 3; n++) {
    const tick = await driver.tick();
    for (const result of tick.results) {
      assert.equal(result.verdict, 'error', `tick ${n} ${result.gate}`);
      assert.equal(result.reason, reason);
      assert.equal(result.observed, null);
    }
    assert.equal(tick.rollout.desired.weight, 10, `tick ${n} keeps the weight`);
    decisions.push(tick.decision.kind);
  }
  return decisions;
}

test('a Prometheus that answers 503 timeout is an error each tick and pauses the rollout after three, never promoting it', async () => {
  fake.on(() => true, errors.timeout('query timed out'));
  const driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy: policyWith('5s') });

  const decisions = await threeTicks(driver, 'Prometheus answered HTTP 503 (timeout): query timed out');

  assert.deepEqual(decisions, ['hold', 'hold', 'pause']);
  assert.equal(driver.rollout.phase, 'paused');
  assert.equal(driver.rollout.stepIndex, 0);
  assert.match(
    driver.rollout.pauseReason ?? '',
    /^telemetry failed for 3 ticks in a row: error-rate error: Prometheus answered HTTP 503/
  );
});

test('a Prometheus that never answers is cut off by the policy query timeout, an error each tick, then a pause', async () => {
  fake.on(() => true, HANG);
  const driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy: policyWith('250ms') });

  const decisions = await threeTicks(driver, 'Prometheus did not answer within the query timeout of 250ms');

  assert.deepEqual(decisions, ['hold', 'hold', 'pause']);
  assert.equal(driver.rollout.stepIndex, 0);
  // Each query was sent with the timeout for Prometheus itself, and the client hung up on every one.
  assert.ok(fake.received.length >= 3 * 5);
  assert.ok(fake.received.every((q) => q.timeout === '0.250'));
  await waitFor(() => fake.received.every((q) => q.aborted));
});

test('a proxy answering an HTML error page instead of Prometheus is an error with its status and first words', async () => {
  fake.on(
    () => true,
    proxyPage(504, "<html><body><h1>504 Gateway Time-out</h1>The server didn't respond in time.</body></html>")
  );
  const driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy: policyWith('5s') });

  const decisions = await threeTicks(
    driver,
    'Prometheus answered HTTP 504 with a body that is not JSON: "<html><body><h1>504 Gateway Time-out</h1>The server didn\'t respond in time.</body></html>"'
  );

  assert.deepEqual(decisions, ['hold', 'hold', 'pause']);
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(condition(), 'condition not met');
}
