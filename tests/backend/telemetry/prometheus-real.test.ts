import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';

import { Counter, Histogram, Registry } from 'prom-client';

import type { Observation, Reading } from '../../../backend/src/domain/gates/observation.ts';
import type { Gate } from '../../../backend/src/domain/gates/schemas.ts';
import { PrometheusProvider, queryRange } from '../../../backend/src/telemetry/prometheus.ts';
import type { ObserveContext } from '../../../backend/src/telemetry/types.ts';
import { startPrometheus } from '../../support/prometheus.ts';
import type { RunningPrometheus } from '../../support/prometheus.ts';

/**
 * The provider against a real Prometheus (the Debian package's binary),
 * scraping a small metrics server that serves the router's metrics for two
 * versions. The counters are set before the first scrape and never move, so
 * every reading can be compared with exactly what was served.
 */

const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1];

const served = {
  v1: { ok: 1000, failed: 7, durations: [...Array(990).fill(0.03), ...Array(17).fill(0.7)] },
  v2: { ok: 200, failed: 3, durations: [...Array(150).fill(0.03), ...Array(50).fill(0.3), ...Array(3).fill(2)] },
};

let metrics: Server;
let prometheus: RunningPrometheus;
let provider: PrometheusProvider;

before(async () => {
  const registry = new Registry();
  const requests = new Counter({
    name: 'sentra_router_requests_total',
    help: 'requests',
    labelNames: ['service', 'version', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'sentra_router_request_duration_seconds',
    help: 'duration',
    labelNames: ['service', 'version'],
    buckets: BUCKETS,
    registers: [registry],
  });
  for (const [version, s] of Object.entries(served)) {
    requests.inc({ service: 'checkout', version, code: '200' }, s.ok);
    requests.inc({ service: 'checkout', version, code: version === 'v1' ? '503' : '500' }, s.failed);
    for (const d of s.durations) duration.observe({ service: 'checkout', version }, d);
  }
  metrics = createServer(async (_req, res) => {
    res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
  });
  await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
  const { port } = metrics.address() as AddressInfo;

  prometheus = await startPrometheus({ scrapeTargets: [`127.0.0.1:${port}`], scrapeInterval: '1s' });
  provider = new PrometheusProvider({ url: prometheus.url });
  await untilScraped();
});

after(async () => {
  const dir = prometheus?.dir;
  await prometheus?.stop();
  await new Promise((resolve) => metrics?.close(resolve));
  assert.equal(dir !== undefined && existsSync(dir), false, 'the storage directory is removed on stop');
});

function aContext(): ObserveContext {
  const now = Date.now();
  return {
    service: 'checkout',
    baseline: 'v1',
    canary: 'v2',
    now,
    lagMs: 0,
    timeoutMs: 5000,
    windowEnd: null,
    since: now - 60_000,
  };
}

const errorRate: Gate = { name: 'errors', kind: 'error-rate', provider: 'prometheus' };

const RANGE_LAG_MS = 2000;

/**
 * Waits (bounded) until Prometheus holds a few scrapes of both versions:
 * target discovery alone takes a few seconds, `increase()` needs two samples
 * in its window, and a range ending at now minus the lag needs a sample
 * older than the lag.
 */
async function untilScraped(): Promise<void> {
  const windowed: Gate = { name: 'ratio', kind: 'error-ratio', provider: 'prometheus', max: 0.01, window: '30s' };
  const deadline = Date.now() + 30_000;
  let last: unknown = null;
  while (Date.now() < deadline) {
    const obs = await provider.observe(windowed, aContext());
    const range = await rangeOfTotals(Date.now());
    last = { obs, range };
    const counted = obs.kind === 'counts' && obs.canary.ok && obs.baseline.ok;
    if (counted && Object.values(range).every((r) => r.ok && r.value.length >= 2)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(`Prometheus did not scrape the metrics within 30 s: ${JSON.stringify(last)}`);
}

function rangeOfTotals(now: number) {
  return queryRange(
    { url: prometheus.url },
    {
      query: 'sum(sentra_router_requests_total{service="$service",version="$version"})',
      service: 'checkout',
      versions: ['v1', 'v2'],
      start: now - 10_000,
      end: now,
      stepMs: 1000,
      now,
      lagMs: RANGE_LAG_MS,
      timeoutMs: 5000,
    }
  );
}

function ok<T>(r: Reading<T>): T {
  assert.equal(r.ok, true, JSON.stringify(r));
  return (r as { value: T }).value;
}

test('a real Prometheus answers the router counters per version exactly as they were served', async () => {
  const obs = await provider.observe(errorRate, aContext());

  assert.equal(obs.kind, 'counts');
  if (obs.kind !== 'counts') return;
  assert.equal(obs.mode, 'cumulative');
  assert.deepEqual(ok(obs.canary), { requests: 203, errors: 3 });
  assert.deepEqual(ok(obs.baseline), { requests: 1007, errors: 7 });
});

test('a real Prometheus answers the duration histogram per version, bucket by bucket', async () => {
  const gate: Gate = { name: 'latency', kind: 'latency', provider: 'prometheus', threshold: 0.5, maxFraction: 0.1 };

  const obs = await provider.observe(gate, aContext());

  assert.equal(obs.kind, 'histogram');
  if (obs.kind !== 'histogram') return;
  const canary = ok(obs.canary);
  assert.deepEqual(
    canary.buckets.map((b) => [b.le, b.count]),
    [
      [0.05, 150],
      [0.1, 150],
      [0.25, 150],
      [0.5, 200],
      [1, 200],
      [Number.POSITIVE_INFINITY, 203],
    ]
  );
  assert.equal(canary.count, 203);
  assert.equal(ok(obs.baseline).count, 1007);
});

test('the windowed default queries run on a real Prometheus: counters that did not move increase by zero', async () => {
  const ratio: Gate = { name: 'ratio', kind: 'error-ratio', provider: 'prometheus', max: 0.01, window: '30s' };
  const slow: Gate = {
    name: 'slow',
    kind: 'latency',
    provider: 'prometheus',
    threshold: 0.5,
    maxFraction: 0.1,
    window: '30s',
  };
  const p99: Gate = {
    name: 'p99',
    kind: 'latency',
    provider: 'prometheus',
    threshold: 0.5,
    quantile: 0.99,
    window: '30s',
    minSamples: 1,
  };

  const [counts, buckets, quantile] = await Promise.all([ratio, slow, p99].map((g) => provider.observe(g, aContext())));

  assert.ok(counts?.kind === 'counts' && buckets?.kind === 'histogram' && quantile?.kind === 'value');
  assert.deepEqual(ok(counts.canary), { requests: 0, errors: 0 });
  assert.equal(ok(buckets.canary).count, 0);
  // No requests in the window: the quantile is NaN and is handed on as such; the sample count is zero.
  assert.ok(Number.isNaN(ok(quantile.value)));
  assert.equal(ok(quantile.samples!), 0);
});

test('a real Prometheus sends +Inf, NaN, several series and bad queries the way the provider reads them', async () => {
  const query = (q: string): Gate => ({
    name: 'q',
    kind: 'query',
    provider: 'prometheus',
    query: q,
    op: '<',
    threshold: 1,
  });
  const selector = 'sentra_router_requests_total{service="$service",version="$version"}';

  const [inf, nan, ratio, several, bad] = await Promise.all(
    [
      `sum(${selector}) / 0`,
      `sum(${selector}) * 0 / 0`,
      `sum(${selector.replace('}', ',code=~"5.."}')}) / sum(${selector})`,
      `sum by (code) (${selector})`,
      `sum(${selector}`,
    ].map((q) => provider.observe(query(q), aContext()))
  );

  const value = (o: Observation | undefined) => (o?.kind === 'value' ? o.value : assert.fail('not a value'));
  assert.equal(ok(value(inf)), Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(ok(value(nan))));
  assert.equal(ok(value(ratio)), 3 / 203);
  assert.match(
    (value(several) as { reason: string }).reason,
    /^expected 1 series for v2, got 2 \(value query: \{code="200"\}, \{code="500"\}\)$/
  );
  assert.match(
    (value(bad) as { reason: string }).reason,
    /^Prometheus answered HTTP 400 \(bad_data\): invalid parameter "query": .*parse error/
  );
});

test('a range query on a real Prometheus returns the served counter per version, no point newer than now minus the lag', async () => {
  const now = Date.now();

  const points = await rangeOfTotals(now);

  for (const [version, total] of [
    ['v1', 1007],
    ['v2', 203],
  ] as const) {
    const series = ok(points[version]!);
    assert.ok(series.length >= 2, `${version} has points`);
    assert.ok(series.every((p) => p.value === total && p.at <= now - RANGE_LAG_MS));
  }
});
