import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';

import { PrometheusProvider, queryRange } from '../../../backend/src/telemetry/prometheus.ts';
import { matrix, single, startFakePrometheus } from '../../fixtures/prometheus/server.ts';
import type { FakePrometheus, ReceivedQuery } from '../../fixtures/prometheus/server.ts';
import { T0, TickDriver, aCasePolicy } from '../../support/tick-driver.ts';

/**
 * Case: the newest point is half filled. The last 30 s bucket ending at "now"
 * holds 40% of the traffic of the others (3.8, 3.8, …, 1.5 req/s) and the rule
 * is "at least 3 req/s". Right: pass, because Sentra evaluates up to now minus
 * a safety lag of about one scrape interval, and drops any newer point.
 */

const THROUGHPUT = 'sum(rate(sentra_router_requests_total{service="$service",version="$version"}[30s]))';
const LAG_MS = 15_000;

let fake: FakePrometheus;
before(async () => {
  fake = await startFakePrometheus();
});
after(() => fake.close());
beforeEach(() => fake.reset());

/**
 * The canary serves 3.8 req/s throughout, but the samples of the last scrape
 * interval before `now` are not all in yet: a rate ending there reads 1.5.
 */
function throughputAt(now: () => number) {
  return (atMs: number) => (atMs > now() - LAG_MS ? 1.5 : 3.8);
}

test('a throughput gate is judged at now minus the lag, so the half-filled newest bucket never fails it', async () => {
  let driver: TickDriver | null = null;
  const rate = throughputAt(() => driver!.now);
  fake.on(
    () => true,
    (q: ReceivedQuery) => single(rate(q.time))
  );
  const policy = aCasePolicy({
    steps: [
      { weight: 10, minDuration: '15s' },
      { weight: 50, minDuration: '15s' },
    ],
    gates: [{ name: 'throughput', kind: 'query', provider: 'prometheus', query: THROUGHPUT, op: '>=', threshold: 3 }],
    limits: { tickInterval: '5s', telemetryLag: '15s', failTicks: 1 },
  });
  driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy });

  const decisions: string[] = [];
  for (let n = 1; n <= 3; n++) {
    const tick = await driver.tick();
    assert.equal(tick.result('throughput').verdict, 'pass');
    assert.equal(tick.result('throughput').observed, 3.8);
    assert.equal(tick.result('throughput').reason, '3.8 >= 3');
    decisions.push(tick.decision.kind);
  }

  assert.deepEqual(decisions, ['hold', 'hold', 'advance']);
  assert.deepEqual(
    fake.received.map((q) => q.time),
    [1, 2, 3].map((n) => T0 + n * 5000 - LAG_MS)
  );
  // What an evaluation at "now" would have read: a failing 1.5.
  assert.equal(rate(driver.now), 1.5);
});

test('a replayed range ends at now minus the lag and drops a newer point even when the server sends one', async () => {
  const now = T0 + 600_000;
  const rate = throughputAt(() => now);
  fake.on(/version="v2"/, (q: ReceivedQuery) => {
    const values: [number, string][] = [];
    for (let t = q.start!; t <= q.end!; t += q.step!) values.push([t / 1000, String(rate(t))]);
    // A server (or a cache in front of it) that also hands out the point at "now".
    values.push([now / 1000, String(rate(now))]);
    return matrix({ metric: { version: 'v2' }, values });
  });

  const points = await queryRange(
    { url: fake.url },
    {
      query: THROUGHPUT,
      service: 'checkout',
      versions: ['v2'],
      start: now - 300_000,
      end: now,
      stepMs: 30_000,
      now,
      lagMs: LAG_MS,
      timeoutMs: 2000,
    }
  );

  const v2 = points.v2!;
  assert.equal(v2.ok, true);
  const values = v2.ok ? v2.value : [];
  assert.equal(values.length, 10);
  assert.ok(values.every((p) => p.value === 3.8 && p.at <= now - LAG_MS));
  assert.ok(
    values.every((p) => p.value >= 3),
    'every judged point meets the rule'
  );
  assert.equal(fake.received[0]!.end, now - LAG_MS);
});
