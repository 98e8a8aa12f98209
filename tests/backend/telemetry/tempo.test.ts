import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { judgeGate } from '../../../backend/src/domain/gates/judge.ts';
import type {
  CountsObservation,
  Observation,
  ValueObservation,
} from '../../../backend/src/domain/gates/observation.ts';
import { reading } from '../../../backend/src/domain/gates/observation.ts';
import { freshGateState } from '../../../backend/src/domain/gates/result.ts';
import type { ErrorRateGate, ErrorRatioGate, Gate, LatencyGate } from '../../../backend/src/domain/gates/schemas.ts';
import { countIn, createTempoProvider } from '../../../backend/src/telemetry/tempo.ts';
import type { ObserveContext } from '../../../backend/src/telemetry/types.ts';
import { startTempoFixture } from '../../fixtures/tempo/server.ts';
import type { Span, TempoFixture } from '../../fixtures/tempo/server.ts';

const T0 = 1_700_000_000_000;
const NOW = T0 + 60_000;
const LAG = 2_000;
/** now − lag aligned down to the 5 s step. */
const TO = T0 + 55_000;

function aContext(overrides: Partial<ObserveContext> = {}): ObserveContext {
  return {
    service: 'shop',
    baseline: 'v1',
    canary: 'v2',
    now: NOW,
    lagMs: LAG,
    timeoutMs: 2_000,
    windowEnd: null,
    since: T0,
    ...overrides,
  };
}

const errorRate: ErrorRateGate = { name: 'span-errors', kind: 'error-rate', provider: 'tempo' };
const latency: LatencyGate = {
  name: 'p99',
  kind: 'latency',
  provider: 'tempo',
  quantile: 0.99,
  threshold: 0.5,
  window: '1m',
};

function spans(version: string, n: number, startMs: number, extra: Partial<Span> = {}): Span[] {
  return Array.from({ length: n }, (_, i) => ({
    attrs: { 'resource.service.name': 'shop', 'resource.service.version': version },
    startMs: startMs + i * 500,
    durationNs: 100_000_000n,
    status: 'unset' as const,
    ...extra,
  }));
}

function counts(obs: Observation): CountsObservation {
  assert.equal(obs.kind, 'counts');
  return obs as CountsObservation;
}

/** A fetch that answers one canned body for every request, as Tempo would. */
function canned(status: number, body: string, type = 'application/json'): typeof fetch {
  return async () => new Response(body, { status, headers: { 'Content-Type': type } });
}

describe('Tempo provider', () => {
  let tempo: TempoFixture;
  before(async () => {
    tempo = await startTempoFixture();
    for (const s of spans('v2', 20, T0 + 1000)) tempo.add(s);
    for (const s of spans('v2', 2, T0 + 1200, { status: 'error' })) tempo.add(s);
    for (const s of spans('v1', 40, T0 + 1000)) tempo.add(s);
    for (const s of spans('v2', 4, T0 + 56_000)) tempo.add(s);
  });
  after(() => tempo.close());

  test('counts spans and error spans per version from rate() over whole steps', async () => {
    const obs = counts(await createTempoProvider({ url: tempo.url }).observe(errorRate, aContext()));

    assert.equal(obs.mode, 'increment');
    assert.deepEqual(obs.window, { from: T0, to: TO });
    assert.deepEqual(obs.canary, { ok: true, value: { requests: 22, errors: 2 } });
    assert.deepEqual(obs.baseline, { ok: true, value: { requests: 40, errors: 0 } });
  });

  test('sends the tenant as X-Scope-OrgID and only ever asks the metrics endpoints', async () => {
    const before = tempo.requests.length;
    await createTempoProvider({ url: tempo.url, tenant: 'team-a' }).observe(errorRate, aContext());
    const sent = tempo.requests.slice(before);

    assert.ok(sent.length > 0);
    assert.ok(sent.every((r) => r.headers['x-scope-orgid'] === 'team-a'));
    assert.ok(sent.every((r) => r.path === '/api/metrics/query_range'));
  });

  test('judges the canary’s p99 span duration from quantile_over_time', async () => {
    const fixture = await startTempoFixture();
    for (const s of spans('v2', 50, T0 + 1000, { durationNs: 900_000_000n })) fixture.add(s);
    const obs = await createTempoProvider({ url: fixture.url }).observe(latency, aContext());

    assert.equal(obs.kind, 'value');
    assert.deepEqual((obs as ValueObservation).value, { ok: true, value: 0.9 });
    const judged = judgeGate(latency, obs, { ...freshGateState(), failStreak: 1 }, { failTicks: 2 });
    assert.equal(judged.result.verdict, 'fail');
    await fixture.close();
  });

  test('a comparing latency gate gets both versions’ quantiles over the window since the last tick', async () => {
    const fixture = await startTempoFixture();
    for (const s of spans('v2', 20, T0 + 30_000, { durationNs: 400_000_000n })) fixture.add(s);
    for (const s of spans('v1', 20, T0 + 30_000, { durationNs: 200_000_000n })) fixture.add(s);
    const gate: LatencyGate = { ...latency, compare: true };

    const obs = await createTempoProvider({ url: fixture.url }).observe(gate, aContext({ windowEnd: T0 + 20_000 }));

    assert.equal(obs.kind, 'value');
    const v = obs as ValueObservation;
    assert.deepEqual(v.window, { from: T0 + 20_000, to: NOW - LAG });
    assert.deepEqual(v.value, { ok: true, value: 0.4 });
    assert.deepEqual(v.baseline, { ok: true, value: 0.2 });
    await fixture.close();
  });

  test('counts what the OpenTelemetry exporter pushed', async () => {
    const fixture = await startTempoFixture();
    const res = await fetch(`${fixture.url}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: {
              attributes: [
                { key: 'service.name', value: { stringValue: 'shop' } },
                { key: 'service.version', value: { stringValue: 'v2' } },
              ],
            },
            scopeSpans: [
              {
                spans: [
                  {
                    startTimeUnixNano: `${T0 + 3000}000000`,
                    endTimeUnixNano: `${T0 + 3100}000000`,
                    status: { code: 2 },
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    assert.equal(res.status, 200);
    const obs = counts(await createTempoProvider({ url: fixture.url }).observe(errorRate, aContext()));
    assert.deepEqual(obs.canary, { ok: true, value: { requests: 1, errors: 1 } });
    await fixture.close();
  });
});

/** Tempo's traps, one row each: what Tempo does, and what Sentra must make of it. */
describe('Tempo traps', () => {
  const ratio: ErrorRatioGate = { name: 'ratio', kind: 'error-ratio', provider: 'tempo', max: 0.05 };

  const rows: {
    trap: string;
    gate: Gate;
    setup: (t: TempoFixture) => void;
    fetch?: typeof fetch;
    check: (obs: Observation, t: TempoFixture) => void;
  }[] = [
    {
      trap: 'int64 values arrive as strings: timestamps are read as numbers before any arithmetic',
      gate: errorRate,
      setup: (t) =>
        spans('v2', 6, T0 + 1000)
          .concat(spans('v1', 6, T0 + 1000))
          .forEach((s) => t.add(s)),
      check: (obs) => assert.deepEqual(counts(obs).canary, { ok: true, value: { requests: 6, errors: 0 } }),
    },
    {
      trap: 'fields at zero are left out: a sample without value is 0, a missing error series is no error',
      gate: ratio,
      setup: (t) =>
        spans('v2', 3, T0 + 40_000)
          .concat(spans('v1', 3, T0 + 40_000))
          .forEach((s) => t.add(s)),
      check: (obs) => assert.deepEqual(counts(obs).canary, { ok: true, value: { requests: 3, errors: 0 } }),
    },
    {
      trap: 'a missing status means the answer is complete',
      gate: errorRate,
      setup: (t) =>
        spans('v2', 2, T0 + 1000)
          .concat(spans('v1', 2, T0 + 1000))
          .forEach((s) => t.add(s)),
      check: (obs) => assert.equal(counts(obs).canary.ok, true),
    },
    {
      trap: 'a PARTIAL answer is inconclusive, never a pass',
      gate: errorRate,
      setup: (t) => {
        spans('v2', 60, T0 + 1000)
          .concat(spans('v1', 60, T0 + 1000))
          .forEach((s) => t.add(s));
        for (let i = 0; i < 4; i++) t.partialNext('querier timed out on 3 of 40 blocks');
      },
      check: (obs) => {
        const judged = judgeGate(errorRate, obs, freshGateState(), { failTicks: 2 });
        assert.equal(judged.result.verdict, 'inconclusive');
        assert.equal(judged.result.reason, 'Tempo answered a partial result: querier timed out on 3 of 40 blocks');
      },
    },
    {
      trap: 'search results are never used for counting: a search query is refused before it is sent',
      gate: {
        ...errorRate,
        query: { requests: '{ resource.service.version="$version" }', errors: '{ status=error }' },
      },
      setup: () => {},
      check: (obs, t) => {
        assert.match(
          !counts(obs).canary.ok ? (counts(obs).canary as { reason: string }).reason : '',
          /^not a TraceQL metrics query/
        );
        assert.equal(t.requests.length, 0);
      },
    },
    {
      trap: 'the newest step is incomplete: spans in the still-filling step wait for the next tick',
      gate: errorRate,
      setup: (t) => {
        spans('v2', 5, T0 + 1000)
          .concat(spans('v1', 5, T0 + 1000))
          .forEach((s) => t.add(s));
        spans('v2', 7, TO + 100).forEach((s) => t.add(s));
      },
      check: (obs) => {
        assert.equal(obs.window.to, TO);
        assert.deepEqual(counts(obs).canary, { ok: true, value: { requests: 5, errors: 0 } });
      },
    },
    {
      trap: 'error bodies are plain text: the reading is an error carrying Tempo’s text',
      gate: errorRate,
      setup: (t) => {
        for (let i = 0; i < 4; i++)
          t.failNext(400, 'compiling query: parse error at line 1, col 7: syntax error: unexpected IDENTIFIER');
      },
      check: (obs) =>
        assert.deepEqual(counts(obs).canary, {
          ok: false,
          kind: 'error',
          reason:
            'Tempo answered HTTP 400: ' +
            'compiling query: parse error at line 1, col 7: syntax error: unexpected IDENTIFIER',
        }),
    },
    {
      trap: 'non-finite doubles arrive as strings: a NaN quantile is no data, not a pass',
      gate: latency,
      setup: () => {},
      fetch: canned(200, JSON.stringify({ series: [{ labels: [], value: 'NaN' }] })),
      check: (obs) => {
        const judged = judgeGate(latency, obs, freshGateState(), { failTicks: 2 });
        assert.equal(judged.result.verdict, 'inconclusive');
      },
    },
    {
      trap: 'an infinite quantile is a real value, and fails a latency ceiling',
      gate: latency,
      setup: () => {},
      fetch: canned(200, JSON.stringify({ series: [{ labels: [], value: 'Infinity' }] })),
      check: (obs) => assert.deepEqual((obs as ValueObservation).value, { ok: true, value: Number.POSITIVE_INFINITY }),
    },
    {
      trap: 'two series where one is expected is an error',
      gate: latency,
      setup: () => {},
      fetch: canned(200, JSON.stringify({ series: [{ value: 0.1 }, { value: 0.2 }] })),
      check: (obs) =>
        assert.deepEqual((obs as ValueObservation).value, {
          ok: false,
          kind: 'error',
          reason: 'expected 1 series, got 2',
        }),
    },
  ];

  for (const row of rows) {
    test(row.trap, async () => {
      const tempo = await startTempoFixture();
      try {
        row.setup(tempo);
        const provider = createTempoProvider({ url: tempo.url, fetch: row.fetch });
        row.check(await provider.observe(row.gate, aContext()), tempo);
      } finally {
        await tempo.close();
      }
    });
  }

  test('a bucket reaching past the window end is dropped even when Tempo answers it', () => {
    const answer = reading({
      series: [
        {
          samples: [
            { timestampMs: String(T0), value: 2 },
            { timestampMs: String(TO - 5000), value: 1 },
            { timestampMs: String(TO), value: 9 },
          ],
        },
      ],
    });
    assert.deepEqual(countIn(answer, { from: T0, to: TO }, 5000), { ok: true, value: 15 });
  });
});
