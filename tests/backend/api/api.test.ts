import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { aPolicy } from '../../support/domain.ts';
import type { TestBackend } from '../../support/backend.ts';
import { startTestBackend } from '../../support/backend.ts';

const routerPolicy = aPolicy({
  name: 'canary',
  gates: [{ name: 'errors', kind: 'error-rate', provider: 'router', minSamples: 30 }],
});

describe('the REST API', () => {
  let backend: TestBackend;
  before(async () => {
    backend = await startTestBackend({ v1: { errorRatio: 0 }, v2: { errorRatio: 0 }, v3: { errorRatio: 0.4 } });
  });
  after(async () => backend.close());

  it('refuses a request without the bearer token, and one with a wrong token', async () => {
    const none = await backend.app.inject({ method: 'GET', url: '/api/v1/policies' });
    assert.equal(none.statusCode, 401);
    assert.match(JSON.parse(none.body).message, /bearer token/);
    const wrong = await backend.call('GET', '/api/v1/policies', undefined, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
  });

  it('serves health and metrics without a token', async () => {
    assert.equal((await backend.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const metrics = await backend.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /sentra_decisions_total/);
  });

  it('answers malformed JSON with a 400 that says so, and stores nothing', async () => {
    const bad = await backend.call('POST', '/api/v1/policies', '{"name": "x", ');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'invalid_input');
    assert.match(bad.body.message, /not valid JSON/);
    assert.deepEqual((await backend.call('GET', '/api/v1/policies')).body.policies, []);
  });

  it('names the field of an invalid policy and stores nothing', async () => {
    const cases: [unknown, string][] = [
      [{ ...routerPolicy, steps: [] }, '/steps'],
      [{ ...routerPolicy, surprise: true }, '/surprise'],
      [
        { ...routerPolicy, gates: [{ name: 'p', kind: 'query', provider: 'prometheus', query: 'up', op: '<' }] },
        '/gates/0/threshold',
      ],
      [
        {
          ...routerPolicy,
          steps: [
            { weight: 30, minDuration: '1s' },
            { weight: 20, minDuration: '1s' },
          ],
        },
        '/steps/1/weight',
      ],
      [{ ...routerPolicy, steps: [{ weight: 130, minDuration: '1s' }] }, '/steps/0/weight'],
    ];
    for (const [policy, field] of cases) {
      const answer = await backend.call('POST', '/api/v1/policies', policy);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.ok(
        answer.body.fields.some((f: { field: string }) => f.field === field),
        `${field} in ${JSON.stringify(answer.body.fields)}`
      );
    }
    assert.deepEqual((await backend.call('GET', '/api/v1/policies')).body.policies, []);
  });

  it('takes JSON bodies exactly as sent: no strings for numbers, no unknown fields on an update', async () => {
    const stringWeight = await backend.call('POST', '/api/v1/policies', {
      ...routerPolicy,
      name: 'strict',
      steps: [{ weight: '5', minDuration: '1s' }],
    });
    assert.equal(stringWeight.status, 400);
    assert.ok(stringWeight.body.fields.some((f: { field: string }) => f.field === '/steps/0/weight'));
    assert.equal((await backend.call('POST', '/api/v1/policies', { ...routerPolicy, name: 'strict' })).status, 201);
    const extra = await backend.call('PUT', '/api/v1/policies/strict', {
      version: 1,
      policy: { ...routerPolicy, name: 'strict' },
      x: 1,
    });
    assert.equal(extra.status, 400);
    assert.deepEqual(extra.body.fields, [{ field: '/x', message: 'unknown field' }]);
    const textVersion = await backend.call('PUT', '/api/v1/policies/strict', {
      version: '1',
      policy: { ...routerPolicy, name: 'strict' },
    });
    assert.equal(textVersion.status, 400);
    assert.equal((await backend.call('GET', '/api/v1/policies/strict')).body.version, 1);
    assert.equal((await backend.call('DELETE', '/api/v1/policies/strict')).status, 204);
  });

  it('refuses a body that is not JSON with 415 and says so', async () => {
    const answer = await backend.call('POST', '/api/v1/policies', 'name: x', { 'content-type': 'text/plain' });
    assert.equal(answer.status, 415);
    assert.equal(answer.body.statusCode, 415);
    assert.equal(answer.body.code, 'unsupported_media_type');
  });

  it('creates, versions, updates and deletes a policy, refusing stale versions and taken names', async () => {
    const created = await backend.call('POST', '/api/v1/policies', { ...routerPolicy, name: 'scratch' });
    assert.equal(created.status, 201);
    assert.equal(created.body.version, 1);
    assert.equal((await backend.call('POST', '/api/v1/policies', { ...routerPolicy, name: 'scratch' })).status, 409);

    const edited = { ...routerPolicy, name: 'scratch', description: 'edited' };
    const updated = await backend.call('PUT', '/api/v1/policies/scratch', { version: 1, policy: edited });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.version, 2);
    const stale = await backend.call('PUT', '/api/v1/policies/scratch', { version: 1, policy: edited });
    assert.equal(stale.status, 409);

    assert.equal((await backend.call('DELETE', '/api/v1/policies/scratch')).status, 204);
    assert.equal((await backend.call('GET', '/api/v1/policies/scratch')).status, 404);
  });

  it('starts a rollout, applies its first weight at once, and refuses a second live rollout of the service', async () => {
    assert.equal((await backend.call('POST', '/api/v1/policies', routerPolicy)).status, 201);
    const missing = await backend.call('POST', '/api/v1/rollouts', {
      service: 'checkout',
      baseline: 'v1',
      canary: 'v2',
      policy: 'nope',
    });
    assert.equal(missing.status, 404);
    const same = await backend.call('POST', '/api/v1/rollouts', {
      service: 'checkout',
      baseline: 'v1',
      canary: 'v1',
      policy: 'canary',
    });
    assert.equal(same.status, 400);

    const started = await backend.call('POST', '/api/v1/rollouts', {
      service: 'checkout',
      baseline: 'v1',
      canary: 'v2',
      policy: 'canary',
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.equal(started.body.rollout.weight, 5);
    assert.equal(started.body.rollout.appliedWeight, 5);
    const routing = await backend.router.admin('GET', '/admin/services/checkout/routing');
    assert.equal(routing.body.weight, 5);

    const second = await backend.call('POST', '/api/v1/rollouts', {
      service: 'checkout',
      baseline: 'v1',
      canary: 'v2',
      policy: 'canary',
    });
    assert.equal(second.status, 409);
    const shouting = await backend.call('POST', '/api/v1/rollouts', {
      service: 'CHECKOUT',
      baseline: 'v1',
      canary: 'v2',
      policy: 'canary',
    });
    assert.equal(shouting.status, 400);
    assert.ok(shouting.body.fields.some((f: { field: string }) => f.field === '/service'));

    const utf8Name = Buffer.from('José', 'utf8').toString('latin1');
    const aborted = await backend.call(
      'POST',
      `/api/v1/rollouts/${started.body.rollout.id}/actions`,
      { action: 'abort' },
      { 'x-sentra-actor': utf8Name }
    );
    assert.equal(aborted.status, 200);
    assert.equal(aborted.body.decision.actor, 'José');
    assert.equal((await backend.router.admin('GET', '/admin/services/checkout/routing')).body.weight, 0);
    const again = await backend.call('POST', `/api/v1/rollouts/${started.body.rollout.id}/actions`, {
      action: 'abort',
    });
    assert.equal(again.status, 409);
    assert.match(again.body.message, /already aborted/);
  });

  it('refuses to start a rollout whose gates read a provider this backend does not have', async () => {
    const lokiGate = { name: 'logs', kind: 'error-rate', provider: 'loki' };
    assert.equal(
      (await backend.call('POST', '/api/v1/policies', { ...routerPolicy, name: 'needs-loki', gates: [lokiGate] }))
        .status,
      201
    );
    const answer = await backend.call('POST', '/api/v1/rollouts', {
      service: 'other',
      baseline: 'v1',
      canary: 'v2',
      policy: 'needs-loki',
    });
    assert.equal(answer.status, 400);
    assert.match(
      answer.body.message,
      /gate "logs" reads loki, which is not configured on this backend \(set SENTRA_LOKI_URL\)/
    );
    assert.equal((await backend.call('GET', '/api/v1/rollouts?service=other')).body.rollouts.length, 0);
  });

  it('rolls back a canary failing 40% of its requests on the tick after the evidence is in', async () => {
    const started = await backend.call('POST', '/api/v1/rollouts', {
      service: 'checkout',
      baseline: 'v1',
      canary: 'v3',
      policy: 'canary',
    });
    assert.equal(started.status, 201);
    const id = started.body.rollout.id;
    await backend.loop.tick(id);
    for (let i = 0; i < 10; i++) {
      await backend.router.send(400);
      backend.clock.advance(1000);
      await backend.loop.tick(id);
      const { body } = await backend.call('GET', `/api/v1/rollouts/${id}`);
      if (body.rollout.phase !== 'progressing') break;
    }
    const { body } = await backend.call('GET', `/api/v1/rollouts/${id}`);
    assert.equal(body.rollout.phase, 'rolled_back');
    assert.equal(body.rollout.appliedWeight, 0);
    const last = body.decisions.at(-1);
    assert.equal(last.kind, 'rollback');
    assert.match(last.reason, /canary error rate above tolerated/);
    assert.equal(body.gates[0].verdict, 'fail');
    const tally = await backend.router.send(200);
    assert.equal(tally.byVersion.v3 ?? 0, 0);
  });

  it('advances a healthy canary step by step as the clock passes each minimum duration', async () => {
    const started = await backend.call('POST', '/api/v1/rollouts', {
      service: 'checkout',
      baseline: 'v1',
      canary: 'v2',
      policy: 'canary',
    });
    const id = started.body.rollout.id;
    await backend.loop.tick(id);
    const weights = [];
    for (let i = 0; i < 80; i++) {
      await backend.router.send(200);
      backend.clock.advance(1000);
      await backend.loop.tick(id);
      const { body } = await backend.call('GET', `/api/v1/rollouts/${id}`);
      if (weights.at(-1) !== body.rollout.weight) weights.push(body.rollout.weight);
      if (body.rollout.phase !== 'progressing') break;
    }
    assert.deepEqual(weights, [5, 15, 30, 50, 100]);
    const { body } = await backend.call('GET', `/api/v1/rollouts/${id}`);
    assert.equal(body.rollout.phase, 'completed');
    assert.deepEqual(
      body.steps.map((s: { weight: number }) => s.weight),
      [5, 15, 30, 50]
    );
  });

  it('answers a long-poll as soon as an event arrives', async () => {
    const { body: start } = await backend.call('GET', '/api/v1/events');
    const poll = backend.call('GET', `/api/v1/events?after=${start.lastId}&wait=20`);
    const created = await backend.call('POST', '/api/v1/rollouts', {
      service: 'checkout',
      baseline: 'v1',
      canary: 'v2',
      policy: 'canary',
    });
    const { body } = await poll;
    assert.ok(body.events.length > 0);
    assert.equal(body.events[0].rolloutId, created.body.rollout.id);
    await backend.call('POST', `/api/v1/rollouts/${created.body.rollout.id}/actions`, { action: 'rollback' });
  });

  it('refuses an unknown action and an unknown field in an action body', async () => {
    const { body } = await backend.call('GET', '/api/v1/rollouts?limit=1');
    const id = body.rollouts[0].id;
    const unknown = await backend.call('POST', `/api/v1/rollouts/${id}/actions`, { action: 'explode' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message, /action/);
    const extra = await backend.call('POST', `/api/v1/rollouts/${id}/actions`, { action: 'pause', force: true });
    assert.equal(extra.status, 400);
    assert.deepEqual(extra.body.fields, [{ field: '/force', message: 'unknown field' }]);
  });
});
