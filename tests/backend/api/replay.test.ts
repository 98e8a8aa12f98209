import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { Policy } from '../../../backend/src/domain/policy.ts';
import type { TestBackend } from '../../support/backend.ts';
import { startTestBackend } from '../../support/backend.ts';
import { RouterCounters, growing } from '../../fixtures/prometheus/router-counters.ts';
import { startFakePrometheus } from '../../fixtures/prometheus/server.ts';
import type { FakePrometheus } from '../../fixtures/prometheus/server.ts';

const SECOND = 1000;

const policy: Policy = {
  name: 'replayed',
  steps: [
    { weight: 5, minDuration: '10s' },
    { weight: 25, minDuration: '10s' },
  ],
  gates: [{ name: 'error-rate', kind: 'error-rate', provider: 'prometheus', minSamples: 50 }],
  limits: { tickInterval: '1s', telemetryLag: '2s', queryTimeout: '2s' },
};

describe('POST /api/v1/replay', () => {
  let fake: FakePrometheus;
  let backend: TestBackend;
  let now: number;

  before(async () => {
    fake = await startFakePrometheus();
    backend = await startTestBackend({ v1: {}, v2: {} }, { SENTRA_PROMETHEUS_URL: fake.url });
    now = backend.clock.now;
  });
  after(async () => {
    await backend.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    // Two minutes of history up to the backend's clock: a steady baseline and, for the last minute, a faulty canary.
    new RouterCounters('checkout')
      .set('v1', growing({ from: now - 120 * SECOND, everyMs: SECOND, perTick: { requests: 950, errors: 2 } }))
      .set('v2', growing({ from: now - 60 * SECOND, everyMs: SECOND, perTick: { requests: 50, errors: 8 } }))
      .install(fake);
  });

  const replay = (body: Record<string, unknown>) =>
    backend.call('POST', '/api/v1/replay', { service: 'checkout', baseline: 'v1', canary: 'v2', ...body });

  it('replays an inline policy over a past range and answers every tick with its verdicts and decision', async () => {
    const answer = await replay({ policy, from: '-60s', to: 'now' });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));

    const { ticks, outcome, decidedAt, note } = answer.body;
    assert.equal(ticks[0].at, now - 60 * SECOND);
    ticks.forEach((tick: any, i: number) => {
      assert.equal(tick.at, now - 60 * SECOND + i * SECOND);
      assert.equal(tick.stepIndex, 0);
      assert.equal(tick.weight, 5);
      assert.equal(tick.verdicts[0].gate, 'error-rate');
    });
    const last = ticks.at(-1);
    assert.equal(last.decision, 'rollback');
    assert.equal(last.toWeight, 0);
    assert.equal(last.verdicts[0].verdict, 'fail');
    assert.deepEqual(new Set(ticks.slice(0, -1).map((t: any) => t.decision)), new Set(['hold']));
    assert.equal(outcome, 'rolled_back');
    assert.equal(decidedAt, last.at);
    assert.match(note, /cannot change past traffic/);
  });

  it('stores nothing and moves no traffic', async () => {
    assert.equal((await replay({ policy, from: '-60s', to: 'now' })).status, 200);

    assert.deepEqual((await backend.call('GET', '/api/v1/rollouts')).body.rollouts, []);
    assert.deepEqual((await backend.call('GET', '/api/v1/events?after=0')).body.events, []);
    const routing = await backend.router.admin('GET', '/admin/services/checkout/routing');
    assert.notEqual(routing.status, 200, 'no routing was ever set for the service');
  });

  it('replays a stored policy named by policyName, between ISO times and epoch milliseconds', async () => {
    assert.equal((await backend.call('POST', '/api/v1/policies', policy)).status, 201);
    // Before the canary's first request: every tick holds on no data.
    const from = new Date(now - 100 * SECOND).toISOString();
    const answer = await replay({ policyName: 'replayed', from, to: now - 95 * SECOND });

    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.policy, 'replayed');
    assert.equal(answer.body.ticks.length, 6);
    for (const tick of answer.body.ticks) {
      assert.equal(tick.decision, 'hold');
      assert.equal(tick.verdicts[0].inconclusive, 'no-data');
    }
    assert.equal(answer.body.outcome, 'progressing');
    assert.equal(answer.body.decidedAt, null);
    assert.equal((await replay({ policyName: 'missing', from, to: 'now' })).status, 404);
  });

  it('refuses a range longer than 2000 ticks, naming to and from', async () => {
    const answer = await replay({ policy, from: now - 2000 * SECOND, to: now });
    assert.equal(answer.status, 400);
    assert.deepEqual(
      answer.body.fields.map((f: any) => f.field),
      ['/to']
    );
    assert.match(answer.body.message, /from .* to .* is 2001 ticks of 1s; a replay takes at most 2000/);
    assert.equal(fake.received.length, 0, 'nothing was queried');
  });

  it('names the field of every bad input and queries nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { policy: { ...policy, gates: [{ name: 'q', kind: 'query', provider: 'prometheus', query: 'up', op: '<' }] } },
        '/policy/gates/0/threshold',
      ],
      [{ policy, policyName: 'replayed' }, '/policy'],
      [{}, '/policy'],
      [{ policy, from: 'yesterday' }, '/from'],
      [{ policy, to: '2026-01-01T00:00:00' }, '/to'],
      [{ policy, to: now + 60 * SECOND }, '/to'],
      [{ policy, canary: 'v1' }, '/canary'],
      [
        { policy: { ...policy, gates: [{ name: 'live', kind: 'error-rate', provider: 'router' }] } },
        '/policy/gates/0/provider',
      ],
      [{ policy, surprise: 1 }, '/surprise'],
    ];
    for (const [body, field] of cases) {
      const answer = await replay({ from: '-30s', to: 'now', ...body });
      assert.equal(answer.status, 400, `${field}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, 'invalid_input');
      const fields = answer.body.fields.map((f: any) => f.field);
      assert.ok(fields.includes(field), `${field} in ${JSON.stringify(answer.body.fields)}`);
    }
    assert.equal(fake.received.length, 0);
  });
});
