import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import type {
  CountsObservation,
  HistogramObservation,
  Observation,
  ValueObservation,
} from '../../../backend/src/domain/gates/observation.ts';
import { judgeGate } from '../../../backend/src/domain/gates/judge.ts';
import { freshGateState } from '../../../backend/src/domain/gates/result.ts';
import type { Gate } from '../../../backend/src/domain/gates/schemas.ts';
import { RouterProvider } from '../../../backend/src/telemetry/router.ts';
import type { ObserveContext } from '../../../backend/src/telemetry/types.ts';
import type { Harness } from '../../support/router-harness.ts';
import { deadUrl, silentServer, startHarness } from '../../support/router-harness.ts';

const TOKEN = 'provider-test-token';
const NOW = 1_700_000_100_000;

function aContext(overrides: Partial<ObserveContext> = {}): ObserveContext {
  return {
    service: 'checkout',
    baseline: 'v1',
    canary: 'v2',
    now: NOW,
    lagMs: 0,
    timeoutMs: 2000,
    windowEnd: null,
    since: NOW - 60_000,
    ...overrides,
  };
}

/**
 * The domain's static Gate type reads `provider` and `op` as `never` (their
 * unions are built from mapped arrays), so gate literals are cast here; the
 * values follow the gate schemas.
 */
const aGate = (gate: Record<string, unknown>): Gate => gate as unknown as Gate;

const gates = {
  errorRate: aGate({ name: 'errors', provider: 'router', kind: 'error-rate' }),
  errorRatio: aGate({ name: 'ratio', provider: 'router', kind: 'error-ratio', max: 0.05, minSamples: 10 }),
  slowShare: aGate({ name: 'slow', provider: 'router', kind: 'latency', threshold: 0.25, maxFraction: 0.1 }),
  p50: aGate({ name: 'p50', provider: 'router', kind: 'latency', threshold: 0.5, quantile: 0.5, window: '5m' }),
  query: aGate({ name: 'q', provider: 'router', kind: 'query', query: 'up', op: '>', threshold: 0 }),
};

function counts(obs: Observation): CountsObservation {
  assert.equal(obs.kind, 'counts');
  return obs as CountsObservation;
}

function value(obs: Observation): ValueObservation {
  assert.equal(obs.kind, 'value');
  return obs as ValueObservation;
}

describe('the router provider with traffic on both versions', () => {
  let h: Harness;
  let provider: RouterProvider;
  before(async () => {
    // The canary is slow (60 ms, inside the 50-100 ms bucket) and fails every request.
    h = await startHarness({ v1: {}, v2: { latencyMs: 60, errorRatio: 1 } }, { adminToken: TOKEN });
    await h.admin('PUT', '/admin/services/checkout/routing', {
      baseline: 'v1',
      canary: 'v2',
      weight: 20,
      headerRoute: null,
    });
    await h.send(100);
    provider = new RouterProvider({ url: h.address.adminUrl, token: TOKEN });
  });
  after(() => h.close());

  test('error gates read cumulative counts for canary and baseline, windowed from the last tick', async () => {
    for (const gate of [gates.errorRate, gates.errorRatio]) {
      const obs = counts(await provider.observe(gate, aContext({ windowEnd: NOW - 5000 })));

      assert.equal(obs.mode, 'cumulative');
      assert.deepEqual(obs.window, { from: NOW - 5000, to: NOW });
      assert.deepEqual(obs.canary, { ok: true, value: { requests: 20, errors: 20 } });
      assert.deepEqual(obs.baseline, { ok: true, value: { requests: 80, errors: 0 } });
    }
  });

  test('a latency gate with maxFraction reads cumulative histograms, the last bound infinite', async () => {
    const obs = (await provider.observe(gates.slowShare, aContext())) as HistogramObservation;

    assert.equal(obs.kind, 'histogram');
    assert.equal(obs.mode, 'cumulative');
    assert.deepEqual(obs.window, { from: NOW - 60_000, to: NOW });
    assert.ok(obs.canary.ok && obs.baseline.ok);
    const canary = obs.canary.value;
    assert.equal(canary.count, 20);
    assert.deepEqual(canary.buckets.at(-1), { le: Infinity, count: 20 });
    assert.equal(canary.buckets.find((b) => b.le === 0.05)?.count, 0);
    assert.equal(canary.buckets.find((b) => b.le === 0.1)?.count, 20);
  });

  test("a latency gate with a quantile reads the canary's quantile over the gate's window", async () => {
    const obs = value(await provider.observe(gates.p50, aContext()));

    // All 20 canary requests sit in the 0.05-0.1 s bucket, so the median interpolates to its middle.
    assert.ok(obs.value.ok && Math.abs(obs.value.value - 0.075) < 1e-9, JSON.stringify(obs.value));
    assert.deepEqual(obs.samples, { ok: true, value: 20 });
    assert.ok(obs.window.to - obs.window.from <= 5 * 60_000);
  });

  test('a query gate gets an error reading saying the router cannot run queries', async () => {
    const obs = value(await provider.observe(gates.query, aContext()));
    assert.equal(obs.value.ok, false);
    assert.ok(!obs.value.ok && obs.value.kind === 'error' && /cannot run queries/.test(obs.value.reason));
  });

  test('a service the router does not know gives error readings with the router message', async () => {
    const obs = counts(await provider.observe(gates.errorRate, aContext({ service: 'ghost' })));
    for (const side of [obs.canary, obs.baseline]) {
      assert.ok(
        !side.ok && side.kind === 'error' && /HTTP 404: no upstreams are registered for service ghost/.test(side.reason)
      );
    }
  });

  test('a wrong token gives error readings of the shape the gate expects, never a throw', async () => {
    const stranger = new RouterProvider({ url: h.address.adminUrl, token: 'nope' });

    const ratio = counts(await stranger.observe(gates.errorRatio, aContext()));
    const p50 = value(await stranger.observe(gates.p50, aContext()));
    const slow = await stranger.observe(gates.slowShare, aContext());

    assert.ok(!ratio.canary.ok && ratio.canary.kind === 'error' && /HTTP 401/.test(ratio.canary.reason));
    assert.ok(!p50.value.ok && p50.value.kind === 'error');
    assert.equal(slow.kind, 'histogram');
  });

  test('the readings judge as the domain expects: an always-failing canary fails its error-ratio gate', async () => {
    let state = freshGateState();
    const judged = [];
    for (const tick of [1, 2, 3]) {
      await h.send(50);
      const obs = await provider.observe(gates.errorRatio, aContext({ now: NOW + tick * 5000 }));
      const result = judgeGate(gates.errorRatio, obs, state, { failTicks: 2 });
      state = result.state;
      judged.push(result.result.verdict);
    }
    // The first reading only sets where the counters start; the second crosses the limit once;
    // the third confirms it (failTicks 2).
    assert.deepEqual(judged, ['inconclusive', 'inconclusive', 'fail']);
  });
});

describe('the router provider before traffic', () => {
  let h: Harness;
  let provider: RouterProvider;
  before(async () => {
    h = await startHarness({ v1: {}, v2: {} }, { snapshotIntervalMs: 10 });
    await h.admin('PUT', '/admin/services/checkout/routing', {
      baseline: 'v1',
      canary: 'v2',
      weight: 0,
      headerRoute: null,
    });
    await h.send(10);
    provider = new RouterProvider({ url: h.address.adminUrl });
  });
  after(() => h.close());

  test('a canary that has served nothing reads as no-data while the baseline reads its counts', async () => {
    const obs = counts(await provider.observe(gates.errorRate, aContext()));

    assert.ok(
      !obs.canary.ok && obs.canary.kind === 'no-data' && /no requests to checkout v2 yet/.test(obs.canary.reason)
    );
    assert.deepEqual(obs.baseline, { ok: true, value: { requests: 10, errors: 0 } });
  });

  test('a quantile with no canary requests reads as no-data', async () => {
    const obs = value(await provider.observe(gates.p50, aContext()));
    assert.ok(!obs.value.ok && obs.value.kind === 'no-data');
  });

  test('a quantile whose window holds no new canary requests reads as no-data, not as a value', async () => {
    await h.admin('PUT', '/admin/services/checkout/routing', {
      baseline: 'v1',
      canary: 'v2',
      weight: 100,
      headerRoute: null,
    });
    await h.send(5);
    // Snapshots every 10 ms: after this pause the 50 ms window starts after the last request.
    await sleep(150);

    const obs = value(await provider.observe(aGate({ ...gates.p50, window: '50ms' }), aContext()));

    assert.ok(!obs.value.ok && obs.value.kind === 'no-data' && /in the last 50ms/.test(obs.value.reason));
  });
});

describe('the router provider when the router misbehaves', () => {
  test('a router that does not answer in time gives error readings after the per-query timeout', async () => {
    const silent = await silentServer();
    try {
      const provider = new RouterProvider({ url: silent.url });
      const obs = counts(await provider.observe(gates.errorRate, aContext({ timeoutMs: 100 })));
      assert.ok(!obs.canary.ok && obs.canary.kind === 'error' && /did not answer within 100ms/.test(obs.canary.reason));
    } finally {
      await silent.close();
    }
  });

  test('a router that cannot be reached gives error readings', async () => {
    const provider = new RouterProvider({ url: await deadUrl() });
    const obs = value(await provider.observe(gates.p50, aContext()));
    assert.ok(!obs.value.ok && obs.value.kind === 'error' && /could not be reached/.test(obs.value.reason));
  });

  test('a body that is not stats JSON gives error readings', async () => {
    const bodies = [
      '<html>oops</html>',
      JSON.stringify({ service: 'checkout', versions: { v2: { requests: 'many' } } }),
    ];
    for (const body of bodies) {
      const server = http.createServer((_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(body)
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      try {
        const provider = new RouterProvider({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
        const obs = counts(await provider.observe(gates.errorRate, aContext()));
        assert.ok(!obs.canary.ok && obs.canary.kind === 'error' && /router answered/.test(obs.canary.reason), body);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }
  });
});
