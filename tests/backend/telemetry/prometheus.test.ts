import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';

import type {
  CountsObservation,
  HistogramObservation,
  Observation,
  Reading,
  ValueObservation,
} from '../../../backend/src/domain/gates/observation.ts';
import type {
  ErrorRateGate,
  ErrorRatioGate,
  Gate,
  LatencyGate,
  QueryGate,
} from '../../../backend/src/domain/gates/schemas.ts';
import {
  DEFAULT_COUNT_QUERIES,
  PrometheusProvider,
  parseSampleValue,
  queryRange,
} from '../../../backend/src/telemetry/prometheus.ts';
import type { ObserveContext } from '../../../backend/src/telemetry/types.ts';
import { RouterCounters } from '../../fixtures/prometheus/router-counters.ts';
import {
  EMPTY,
  HANG,
  errors,
  matrix,
  proxyPage,
  scalar,
  single,
  startFakePrometheus,
  vector,
} from '../../fixtures/prometheus/server.ts';
import type { FakePrometheus } from '../../fixtures/prometheus/server.ts';
import { T0 } from '../../support/tick-driver.ts';

const NOW = T0 + 120_000;

function aContext(overrides: Partial<ObserveContext> = {}): ObserveContext {
  return {
    service: 'checkout',
    baseline: 'v1',
    canary: 'v2',
    now: NOW,
    lagMs: 2000,
    timeoutMs: 2000,
    windowEnd: null,
    since: T0,
    ...overrides,
  };
}

const errorRate: ErrorRateGate = { name: 'errors', kind: 'error-rate', provider: 'prometheus' };
const errorRatio: ErrorRatioGate = {
  name: 'ratio',
  kind: 'error-ratio',
  provider: 'prometheus',
  max: 0.01,
  window: '1m',
};
const latency: LatencyGate = {
  name: 'latency',
  kind: 'latency',
  provider: 'prometheus',
  threshold: 0.5,
  maxFraction: 0.05,
};
const p99: LatencyGate = {
  name: 'p99',
  kind: 'latency',
  provider: 'prometheus',
  threshold: 0.5,
  quantile: 0.99,
  window: '1m',
};
const queryGate: QueryGate = {
  name: 'success',
  kind: 'query',
  provider: 'prometheus',
  query: 'sum(rate(ok_total{version="$version"}[1m])) / sum(rate(all_total{version="$version"}[1m]))',
  op: '>=',
  threshold: 0.99,
};

function counts(obs: Observation): CountsObservation {
  assert.equal(obs.kind, 'counts');
  return obs as CountsObservation;
}

function histogram(obs: Observation): HistogramObservation {
  assert.equal(obs.kind, 'histogram');
  return obs as HistogramObservation;
}

function value(obs: Observation): ValueObservation {
  assert.equal(obs.kind, 'value');
  return obs as ValueObservation;
}

function problem(r: Reading<unknown>): { kind: string; reason: string } {
  assert.equal(r.ok, false, `expected a problem, got ${JSON.stringify(r)}`);
  return r as { kind: string; reason: string };
}

const forVersion = (version: string) => (q: { query: string }) => q.query.includes(`version="${version}"`);

let fake: FakePrometheus;
let provider: PrometheusProvider;

before(async () => {
  fake = await startFakePrometheus();
  provider = new PrometheusProvider({ url: fake.url });
});
after(() => fake.close());
beforeEach(() => fake.reset());

describe('sample values', () => {
  test('parses the special strings NaN, +Inf and -Inf that Number() gets wrong', () => {
    assert.ok(Number.isNaN(parseSampleValue('NaN')));
    assert.equal(parseSampleValue('+Inf'), Number.POSITIVE_INFINITY);
    assert.equal(parseSampleValue('-Inf'), Number.NEGATIVE_INFINITY);
    assert.equal(parseSampleValue('0.25'), 0.25);
    assert.equal(parseSampleValue('1e-7'), 1e-7);
    assert.equal(parseSampleValue('-3'), -3);
  });

  test('refuses strings that Number() would quietly turn into a number', () => {
    for (const text of ['', ' ', '0x10', 'abc', '1,5', 'Infinityx']) assert.equal(parseSampleValue(text), null, text);
  });
});

describe('counts for error-rate and error-ratio gates', () => {
  test('reads the router counters per version at now minus the lag, as cumulative counts', async () => {
    new RouterCounters()
      .set('v1', { requests: 20_000, errors: 3 })
      .set('v2', { requests: 2000, errors: 40 })
      .install(fake);

    const obs = counts(await provider.observe(errorRate, aContext()));

    assert.equal(obs.mode, 'cumulative');
    assert.deepEqual(obs.baseline, { ok: true, value: { requests: 20_000, errors: 3 } });
    assert.deepEqual(obs.canary, { ok: true, value: { requests: 2000, errors: 40 } });
    assert.deepEqual(obs.window, { from: T0, to: NOW - 2000 });
    const sent = fake.received.map((q) => q.query).sort();
    assert.deepEqual(sent, [
      'sum(sentra_router_requests_total{service="checkout",version="v1",code=~"5.."})',
      'sum(sentra_router_requests_total{service="checkout",version="v1"})',
      'sum(sentra_router_requests_total{service="checkout",version="v2",code=~"5.."})',
      'sum(sentra_router_requests_total{service="checkout",version="v2"})',
    ]);
    for (const q of fake.received) {
      assert.equal(q.method, 'POST');
      assert.equal(q.path, '/api/v1/query');
      assert.equal(q.time, NOW - 2000);
      assert.equal(q.timeout, '2.000');
    }
  });

  test('counts a version with requests but no error series yet as zero errors', async () => {
    new RouterCounters().set('v1', { requests: 500, errors: 0 }).set('v2', { requests: 70, errors: 0 }).install(fake);

    const obs = counts(await provider.observe(errorRate, aContext()));

    assert.deepEqual(obs.canary, { ok: true, value: { requests: 70, errors: 0 } });
    assert.deepEqual(obs.baseline, { ok: true, value: { requests: 500, errors: 0 } });
  });

  test('reports no data, not an error, for a version whose requests query has no series', async () => {
    new RouterCounters().set('v1', { requests: 500, errors: 0 }).install(fake);

    const obs = counts(await provider.observe(errorRate, aContext()));

    assert.deepEqual(problem(obs.canary), {
      ok: false,
      kind: 'no-data',
      reason: 'no series for version v2 (requests query)',
    });
    assert.equal(obs.baseline.ok, true);
  });

  test('turns NaN counts into no data', async () => {
    const gate: ErrorRateGate = {
      ...errorRate,
      query: { requests: 'reqs{v="$version"}', errors: 'errs{v="$version"}' },
    };
    fake.on(/reqs/, single('NaN'));
    fake.on(/errs/, single('0'));

    const obs = counts(await provider.observe(gate, aContext()));

    assert.equal(problem(obs.canary).kind, 'no-data');
    assert.match(problem(obs.canary).reason, /NaN/);
  });

  test('refuses two series for one version as an error instead of taking the first', async () => {
    const gate: ErrorRateGate = {
      ...errorRate,
      query: { requests: 'sum by (handler) (reqs{v="$version"})', errors: 'errs{v="$version"}' },
    };
    fake.on(/reqs/, vector({ metric: { handler: '/a' }, value: '100' }, { metric: { handler: '/b' }, value: '50' }));
    fake.on(/errs/, EMPTY);

    const obs = counts(await provider.observe(gate, aContext()));

    const canary = problem(obs.canary);
    assert.equal(canary.kind, 'error');
    assert.match(
      canary.reason,
      /^expected 1 series for v2, got 2 \(requests query: \{handler="\/a"\}, \{handler="\/b"\}\)$/
    );
  });

  test('fills $service and $version as PromQL strings, so a quote in a version cannot escape its matcher', async () => {
    const gate: ErrorRateGate = {
      ...errorRate,
      query: { requests: 'r{s="$service",v="$version"}', errors: 'e{v="$version"}' },
    };
    fake.on(() => true, EMPTY);

    await provider.observe(gate, aContext({ canary: 'v2"} or vector(1) or x{a="', service: 'a\\b' }));

    assert.ok(fake.received.some((q) => q.query === 'r{s="a\\\\b",v="v2\\"} or vector(1) or x{a=\\""}'));
  });

  test('reads a windowed error ratio as increases over the window ending at now minus the lag', async () => {
    new RouterCounters()
      .set('v1', (t) => ({ requests: (t - T0) / 10, errors: 0 }))
      .set('v2', (t) => ({ requests: (t - T0) / 100, errors: Math.floor((t - T0) / 10_000) }))
      .install(fake);

    const obs = counts(await provider.observe(errorRatio, aContext()));

    assert.equal(obs.mode, 'window');
    assert.deepEqual(obs.window, { from: NOW - 2000 - 60_000, to: NOW - 2000 });
    assert.deepEqual(obs.canary, { ok: true, value: { requests: 600, errors: 6 } });
    assert.deepEqual(obs.baseline, { ok: true, value: { requests: 6000, errors: 0 } });
    assert.ok(
      fake.received.some(
        (q) =>
          q.query ===
          DEFAULT_COUNT_QUERIES.windowRequests
            .replace('$service', 'checkout')
            .replace('$version', 'v2')
            .replace('$window', '1m')
      )
    );
  });

  test('never lets a window reach back before the rollout started', async () => {
    new RouterCounters().set('v1', { requests: 1, errors: 0 }).set('v2', { requests: 1, errors: 0 }).install(fake);

    const obs = counts(await provider.observe(errorRatio, aContext({ since: NOW - 42_500 })));

    assert.deepEqual(obs.window, { from: NOW - 2000 - 40_000, to: NOW - 2000 });
    assert.ok(fake.received.every((q) => q.query.includes('[40s]')));
  });

  test('subtracts counter queries without $window at both ends of the window', async () => {
    const gate: ErrorRatioGate = {
      ...errorRatio,
      query: { requests: 'sum(reqs{v="$version"})', errors: 'sum(errs{v="$version"})' },
    };
    const at = NOW - 2000;
    fake.on(/reqs/, (q) => single(q.time === at ? 900 : 300));
    fake.on(/errs/, (q) => single(q.time === at ? 12 : 2));

    const obs = counts(await provider.observe(gate, aContext()));

    assert.deepEqual(obs.canary, { ok: true, value: { requests: 600, errors: 10 } });
    assert.deepEqual([...new Set(fake.received.map((q) => q.time))].sort(), [at - 60_000, at]);
  });

  test('reports no new canary requests when a sliding window only holds requests from before the last tick', async () => {
    const lastTick = NOW - 7000;
    new RouterCounters()
      .set('v1', (t) => ({ requests: (t - T0) / 10, errors: 0 }))
      .set('v2', (t) => ({ requests: Math.min(t, lastTick) - T0, errors: 0 }))
      .install(fake);

    const stale = counts(await provider.observe(errorRatio, aContext({ windowEnd: lastTick })));
    const fresh = counts(await provider.observe(errorRatio, aContext({ windowEnd: lastTick - 5000 })));

    assert.deepEqual(problem(stale.canary), {
      ok: false,
      kind: 'no-data',
      reason: 'no new canary requests since the last tick (55000 in the last 1m, all older)',
    });
    assert.deepEqual(fresh.canary, { ok: true, value: { requests: 55_000, errors: 0 } });
  });
});

describe('histograms for latency gates', () => {
  const buckets = (counts: [string, string][]) => vector(...counts.map(([le, v]) => ({ metric: { le }, value: v })));

  test('reads buckets summed by le, sorted, with the +Inf bucket as the total', async () => {
    fake.on(
      forVersion('v1'),
      buckets([
        ['+Inf', '1000'],
        ['0.1', '700'],
        ['0.5', '990'],
      ])
    );
    fake.on(
      forVersion('v2'),
      buckets([
        ['0.5', '80'],
        ['+Inf', '100'],
        ['0.1', '20'],
      ])
    );

    const obs = histogram(await provider.observe(latency, aContext()));

    assert.equal(obs.mode, 'cumulative');
    assert.deepEqual(obs.canary, {
      ok: true,
      value: {
        buckets: [
          { le: 0.1, count: 20 },
          { le: 0.5, count: 80 },
          { le: Number.POSITIVE_INFINITY, count: 100 },
        ],
        count: 100,
      },
    });
    assert.ok(
      fake.received.some(
        (q) =>
          q.query === 'sum by (le) (sentra_router_request_duration_seconds_bucket{service="checkout",version="v2"})'
      )
    );
  });

  test('reads a windowed latency gate as increases of its own histogram and selector, from the rollout start at the earliest', async () => {
    const gate: LatencyGate = {
      ...latency,
      window: '5m',
      query: { histogram: 'http_seconds', selector: '{app="$service", track="$version"}' },
    };
    fake.on(
      () => true,
      buckets([
        ['1', '3'],
        ['+Inf', '4'],
      ])
    );

    const obs = histogram(await provider.observe(gate, aContext()));

    assert.equal(obs.mode, 'window');
    assert.ok(
      fake.received.some(
        (q) => q.query === 'sum by (le) (increase(http_seconds_bucket{app="checkout", track="v2"}[118s]))'
      )
    );
  });

  test('refuses a histogram without a +Inf bucket or with two series for one bucket', async () => {
    fake.on(
      forVersion('v1'),
      buckets([
        ['0.1', '1'],
        ['0.5', '2'],
      ])
    );
    fake.on(
      forVersion('v2'),
      buckets([
        ['0.1', '1'],
        ['0.1', '2'],
        ['+Inf', '3'],
      ])
    );

    const obs = histogram(await provider.observe(latency, aContext()));

    assert.deepEqual(problem(obs.baseline), {
      ok: false,
      kind: 'error',
      reason: 'histogram for version v1 has no +Inf bucket',
    });
    assert.match(problem(obs.canary).reason, /expected 1 series per bucket for v2/);
  });

  test('hands a quantile of +Inf or NaN to the domain as a value', async () => {
    fake.on(/histogram_quantile/, single('+Inf'));
    const inf = value(await provider.observe(p99, aContext()));
    fake.on(/histogram_quantile/, single('NaN'));
    const nan = value(await provider.observe(p99, aContext()));

    assert.deepEqual(inf.value, { ok: true, value: Number.POSITIVE_INFINITY });
    assert.equal(nan.value.ok && Number.isNaN(nan.value.value), true);
    assert.equal(
      fake.received[0]!.query,
      'histogram_quantile(0.99, sum by (le) (rate(sentra_router_request_duration_seconds_bucket{service="checkout",version="v2"}[1m])))'
    );
  });

  test('counts the samples behind a quantile when the gate asks for a minimum', async () => {
    fake.on(/histogram_quantile/, single('0.2'));
    fake.on(/_count/, single('37'));

    const obs = value(await provider.observe({ ...p99, minSamples: 50 }, aContext()));

    assert.deepEqual(obs.samples, { ok: true, value: 37 });
    assert.ok(
      fake.received.some(
        (q) =>
          q.query === 'sum(increase(sentra_router_request_duration_seconds_count{service="checkout",version="v2"}[1m]))'
      )
    );
  });
});

describe('query gates', () => {
  test('evaluates the query for the canary at now minus the lag', async () => {
    fake.on(() => true, single('0.995'));

    const obs = value(await provider.observe(queryGate, aContext()));

    assert.deepEqual(obs.value, { ok: true, value: 0.995 });
    assert.equal(
      fake.received[0]!.query,
      'sum(rate(ok_total{version="v2"}[1m])) / sum(rate(all_total{version="v2"}[1m]))'
    );
    assert.equal(fake.received[0]!.time, NOW - 2000);
  });

  test('accepts a scalar answer as the value', async () => {
    fake.on(() => true, scalar('-Inf'));

    const obs = value(await provider.observe(queryGate, aContext()));

    assert.deepEqual(obs.value, { ok: true, value: Number.NEGATIVE_INFINITY });
  });

  test('reads the samples query beside the value', async () => {
    const gate: QueryGate = {
      ...queryGate,
      samplesQuery: 'sum(increase(all_total{version="$version"}[1m]))',
      minSamples: 10,
    };
    fake.on(/^sum\(increase/, single('NaN'));
    fake.on(/^sum\(rate/, single('1'));

    const obs = value(await provider.observe(gate, aContext()));

    assert.deepEqual(obs.value, { ok: true, value: 1 });
    assert.equal(problem(obs.samples!).kind, 'no-data');
  });

  test('refuses a range vector where one number is expected', async () => {
    fake.on(() => true, matrix({ values: [[1, '1']] }));

    const obs = value(await provider.observe(queryGate, aContext()));

    assert.deepEqual(problem(obs.value), {
      ok: false,
      kind: 'error',
      reason: 'expected an instant vector from Prometheus, got a matrix',
    });
  });
});

describe('failures', () => {
  test('reads the error envelope of HTTP 400, 422 and 503 into the reason', async () => {
    const cases = [
      [
        errors.badData('invalid parameter "query": 1:9: parse error: unexpected end of input'),
        'Prometheus answered HTTP 400 (bad_data): invalid parameter "query": 1:9: parse error: unexpected end of input',
      ],
      [
        errors.execution('expanding series: too many samples'),
        'Prometheus answered HTTP 422 (execution): expanding series: too many samples',
      ],
      [errors.timeout('query timed out'), 'Prometheus answered HTTP 503 (timeout): query timed out'],
    ] as const;
    for (const [answer, reason] of cases) {
      fake.reset();
      fake.on(() => true, answer);
      const obs = value(await provider.observe(queryGate, aContext()));
      assert.deepEqual(obs.value, { ok: false, kind: 'error', reason });
    }
  });

  test('reports the status and the first words of a body that is not JSON', async () => {
    fake.on(
      () => true,
      proxyPage(502, '<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>')
    );

    const obs = counts(await provider.observe(errorRate, aContext()));

    assert.deepEqual(problem(obs.canary), {
      ok: false,
      kind: 'error',
      reason:
        'Prometheus answered HTTP 502 with a body that is not JSON: "<html> <head><title>502 Bad Gateway</title></head> <body>nginx</body></html>"',
    });
  });

  test('really applies the query timeout to a server that never answers', async () => {
    fake.on(() => true, HANG);

    const obs = value(await provider.observe(queryGate, aContext({ timeoutMs: 150 })));

    assert.deepEqual(problem(obs.value), {
      ok: false,
      kind: 'error',
      reason: 'Prometheus did not answer within the query timeout of 150ms',
    });
    await waitFor(() => fake.received.every((q) => q.aborted));
    assert.equal(fake.received[0]!.timeout, '0.150');
  });

  test('reports a server that cannot be reached', async () => {
    const port = await closedPort();
    const offline = new PrometheusProvider({ url: `http://127.0.0.1:${port}` });

    const obs = counts(await offline.observe(errorRate, aContext()));

    assert.match(
      problem(obs.canary).reason,
      new RegExp(`^could not reach Prometheus at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`)
    );
  });

  test('answers an error observation instead of throwing for a gate it cannot read', async () => {
    const broken = { ...errorRatio, window: 'soon' } as Gate;

    const obs = counts(await provider.observe(broken, aContext()));

    assert.match(problem(obs.canary).reason, /^prometheus provider failed unexpectedly: not a duration: "soon"/);
  });

  test('sends its headers and turns credentials in the URL into basic authentication, below a path prefix', async () => {
    const url = new URL(fake.url);
    const prefixed = new PrometheusProvider({
      url: `http://sentra:s%20cret@${url.host}/prom/`,
      headers: { 'x-scope-orgid': 'team-a' },
    });
    fake.on(() => true, single('1'));

    const obs = value(await prefixed.observe(queryGate, aContext()));

    // The fake serves /api/v1 only at its root, so a prefixed path gets its 404 page.
    assert.match(
      problem(obs.value).reason,
      /^Prometheus answered HTTP 404 with a body that is not JSON: "404 page not found"/
    );
    const direct = new PrometheusProvider({
      url: `http://sentra:s%20cret@${url.host}`,
      headers: { 'x-scope-orgid': 'team-a' },
    });
    await direct.observe(queryGate, aContext());
    const headers = fake.received.at(-1)!.headers;
    assert.equal(headers.authorization, `Basic ${Buffer.from('sentra:s cret').toString('base64')}`);
    assert.equal(headers['x-scope-orgid'], 'team-a');
  });

  test('refuses a URL that is not http or https when it is built', () => {
    assert.throws(() => new PrometheusProvider({ url: 'ftp://prometheus' }), /prometheus url: must be http or https/);
    assert.throws(() => new PrometheusProvider({ url: 'prometheus:9090x' }), /prometheus url/);
  });
});

describe('range queries for replay', () => {
  const base = {
    query: 'sum(rate(sentra_router_requests_total{service="$service",version="$version"}[$window]))',
    service: 'checkout',
    versions: ['v1', 'v2'],
    start: NOW - 300_000,
    end: NOW,
    stepMs: 30_000,
    now: NOW,
    lagMs: 15_000,
    timeoutMs: 2000,
  };

  test('returns points per version, ends at now minus the lag and drops any newer point', async () => {
    fake.on(
      () => true,
      (q) =>
        matrix({
          values: [
            [(NOW - 60_000) / 1000, '3.8'],
            [(NOW - 30_000) / 1000, '3.8'],
            [NOW / 1000, '1.5'],
          ],
        })
    );

    const points = await queryRange({ url: fake.url }, base);

    const expected = {
      ok: true,
      value: [
        { at: NOW - 60_000, value: 3.8 },
        { at: NOW - 30_000, value: 3.8 },
      ],
    };
    assert.deepEqual(points, { v1: expected, v2: expected });
    assert.deepEqual(
      fake.received.map((q) => [q.start, q.end, q.step]),
      [
        [NOW - 300_000, NOW - 15_000, 30_000],
        [NOW - 300_000, NOW - 15_000, 30_000],
      ]
    );
    assert.ok(fake.received.every((q) => q.query.includes('[30s]')));
  });

  test('keeps the one-series rule and says which version had none', async () => {
    fake.on(forVersion('v1'), matrix({ metric: { pod: 'a' }, values: [] }, { metric: { pod: 'b' }, values: [] }));
    fake.on(forVersion('v2'), matrix());

    const points = await queryRange({ url: fake.url }, base);

    assert.deepEqual(points.v1, { ok: false, kind: 'error', reason: 'expected 1 series for v1, got 2 (range query)' });
    assert.deepEqual(points.v2, { ok: false, kind: 'no-data', reason: 'no series for version v2 (range query)' });
  });

  test('answers bad input with an error naming the field, without asking Prometheus', async () => {
    const points = await queryRange({ url: fake.url }, { ...base, stepMs: 0 });

    assert.deepEqual(points.v1, { ok: false, kind: 'error', reason: 'range query: stepMs must be positive' });
    assert.equal(fake.received.length, 0);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(condition(), 'condition not met');
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
