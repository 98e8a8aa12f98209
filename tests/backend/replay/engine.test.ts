import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { Policy } from '../../../backend/src/domain/policy.ts';
import { MAX_API_TICKS, checkReplay, replay, tickCount, toTicks } from '../../../backend/src/replay/engine.ts';
import type { ReplayRequest } from '../../../backend/src/replay/engine.ts';
import { PrometheusProvider } from '../../../backend/src/telemetry/prometheus.ts';
import type { Providers } from '../../../backend/src/telemetry/types.ts';
import { RouterCounters, growing } from '../../fixtures/prometheus/router-counters.ts';
import { errors, startFakePrometheus } from '../../fixtures/prometheus/server.ts';
import type { FakePrometheus } from '../../fixtures/prometheus/server.ts';

/** A fixed past instant: the replay must read its times from the request, never from the machine's clock. */
const T0 = Date.UTC(2024, 5, 3, 9, 0, 0);
const LAG_MS = 2000;
const SECOND = 1000;

function aPrometheusPolicy(overrides: Partial<Policy> = {}): Policy {
  return {
    name: 'replayed',
    steps: [
      { weight: 5, minDuration: '10s' },
      { weight: 15, minDuration: '10s' },
      { weight: 30, minDuration: '10s' },
      { weight: 50, minDuration: '10s' },
    ],
    gates: [{ name: 'error-rate', kind: 'error-rate', provider: 'prometheus', minSamples: 50 }],
    limits: { tickInterval: '1s', noDataTicks: 5, errorTicks: 3, failTicks: 2, telemetryLag: '2s', queryTimeout: '2s' },
    ...overrides,
  };
}

function aRequest(overrides: Partial<ReplayRequest> = {}): ReplayRequest {
  return {
    policy: aPrometheusPolicy(),
    service: 'checkout',
    baseline: 'v1',
    canary: 'v2',
    from: T0,
    to: T0 + 60 * SECOND,
    ...overrides,
  };
}

/** The baseline served 950 requests a second, 2 of them errors, for a minute before the range and all through it. */
const baselineHistory = growing({ from: T0 - 60 * SECOND, everyMs: SECOND, perTick: { requests: 950, errors: 2 } });

describe('replaying a policy over a past range of Prometheus data', () => {
  let fake: FakePrometheus;
  let providers: Providers;
  let counters: RouterCounters;

  before(async () => {
    fake = await startFakePrometheus();
    providers = { prometheus: new PrometheusProvider({ url: fake.url }) };
  });
  after(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    counters = new RouterCounters('checkout').set('v1', baselineHistory).install(fake);
  });

  it('judges a faulty canary tick by tick at each tick minus the lag, holds, then rolls back on the error-rate gate', async () => {
    counters.set('v2', growing({ from: T0, everyMs: SECOND, perTick: { requests: 50, errors: 8 } }));
    const lines: string[] = [];
    const result = await replay(aRequest(), providers, (d) => lines.push(`${d.at - T0} ${d.kind}`));

    const ticks = toTicks(result.decisions);
    assert.ok(ticks.length > 1 && ticks.length < 61, `stopped early: ${lines.join(', ')}`);
    ticks.forEach((tick, i) => {
      assert.equal(tick.at, T0 + i * SECOND, 'one tick a second from the start of the range');
      assert.equal(tick.stepIndex, 0);
      assert.equal(tick.weight, 5);
      assert.equal(tick.verdicts.length, 1);
    });
    const last = ticks.at(-1)!;
    assert.deepEqual(
      ticks.slice(0, -1).map((t) => t.decision),
      Array(ticks.length - 1).fill('hold')
    );
    assert.equal(last.decision, 'rollback');
    assert.equal(last.toWeight, 0);
    assert.equal(last.verdicts[0]!.gate, 'error-rate');
    assert.equal(last.verdicts[0]!.verdict, 'fail');
    assert.match(last.reason, /error-rate fail: canary error rate above tolerated/);
    assert.equal(result.outcome, 'rolled_back');
    assert.equal(result.decidedAt, last.at);

    const asked = new Set(fake.received.map((q) => q.time));
    const expected = new Set(ticks.map((t) => t.at - LAG_MS));
    assert.deepEqual([...asked].sort(), [...expected].sort(), 'every query is evaluated at a tick minus the lag');
  });

  it('advances a healthy canary at each step minimum duration and completes, showing the replayed steps weights', async () => {
    counters.set('v2', growing({ from: T0, everyMs: SECOND, perTick: { requests: 50, errors: 0 } }));
    const result = await replay(aRequest(), providers);

    const moves = toTicks(result.decisions)
      .filter((t) => t.decision !== 'hold')
      .map((t) => [(t.at - T0) / SECOND, t.decision, t.weight, t.toWeight]);
    assert.deepEqual(moves, [
      [10, 'advance', 5, 15],
      [20, 'advance', 15, 30],
      [30, 'advance', 30, 50],
      [40, 'complete', 50, 100],
    ]);
    assert.equal(result.outcome, 'completed');
    assert.equal(result.decidedAt, T0 + 40 * SECOND);
  });

  it('stops at the end of the range with the rollout still progressing and no decision time', async () => {
    counters.set('v2', growing({ from: T0, everyMs: SECOND, perTick: { requests: 50, errors: 0 } }));
    const result = await replay(aRequest({ to: T0 + 5 * SECOND + 500 }), providers);

    assert.equal(result.decisions.length, 6);
    assert.deepEqual(new Set(result.decisions.map((d) => d.kind)), new Set(['hold']));
    assert.equal(result.outcome, 'progressing');
    assert.equal(result.decidedAt, null);
  });

  it('holds while Prometheus fails and pauses when the error budget is spent, deciding nothing after the pause', async () => {
    fake.on(() => true, errors.timeout());
    const result = await replay(aRequest(), providers);

    assert.deepEqual(
      result.decisions.map((d) => d.kind),
      ['hold', 'hold', 'pause']
    );
    assert.ok(result.decisions.every((d) => d.verdicts[0]!.verdict === 'error'));
    assert.match(result.decisions[2]!.reason, /query timed out/);
    assert.equal(result.outcome, 'paused');
    assert.equal(result.decidedAt, T0 + 2 * SECOND);
  });
});

describe('checking a replay before it runs', () => {
  const providers: Providers = { prometheus: new PrometheusProvider({ url: 'http://127.0.0.1:9' }) };
  const now = T0 + 3_600_000;
  const check = (overrides: Partial<ReplayRequest>, given = providers) =>
    checkReplay(aRequest(overrides), given, { now, maxTicks: MAX_API_TICKS });

  it('accepts a past range within the tick cap', () => {
    assert.deepEqual(check({}), []);
    assert.equal(tickCount(aPrometheusPolicy(), T0, T0 + (MAX_API_TICKS - 1) * SECOND), MAX_API_TICKS);
    assert.deepEqual(check({ to: T0 + (MAX_API_TICKS - 1) * SECOND }), []);
  });

  it('refuses a range of more ticks than the cap, naming to and from', () => {
    const problems = check({ to: T0 + MAX_API_TICKS * SECOND });
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.field, '/to');
    assert.match(
      problems[0]!.message,
      /from 2024-06-03T09:00:00.000Z to .* is 2001 ticks of 1s; a replay takes at most 2000/
    );
  });

  it('refuses a range that ends in the future or before it starts', () => {
    const future = check({ from: now - 10 * SECOND, to: now + 1 });
    assert.deepEqual(
      future.map((e) => e.field),
      ['/to']
    );
    assert.match(future[0]!.message, /in the future/);
    assert.deepEqual(
      check({ from: T0 + 10 * SECOND, to: T0 }).map((e) => e.message),
      ['must not be before from']
    );
  });

  it('refuses a canary equal to the baseline', () => {
    assert.deepEqual(check({ canary: 'v1' }), [{ field: '/canary', message: 'must differ from baseline' }]);
  });

  it('refuses gates read from the live router, and gates whose provider is not configured', () => {
    const policy = aPrometheusPolicy({
      gates: [
        { name: 'live', kind: 'error-rate', provider: 'router' },
        { name: 'logs', kind: 'query', provider: 'loki', query: 'x', op: '<', threshold: 1 },
        { name: 'fine', kind: 'error-rate', provider: 'prometheus' },
      ],
    });
    const problems = check({ policy });
    assert.deepEqual(
      problems.map((e) => e.field),
      ['/policy/gates/0/provider', '/policy/gates/1/provider']
    );
    assert.match(problems[0]!.message, /router provider knows only live counts/);
    assert.match(problems[1]!.message, /no loki provider is configured/);
    assert.deepEqual(
      check({}, {}).map((e) => e.field),
      ['/policy/gates/0/provider']
    );
  });
});
