import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { applyAction } from '../../../backend/src/domain/plan.ts';
import type { TestBackend } from '../../support/backend.ts';
import { startTestBackend } from '../../support/backend.ts';
import { aPolicy } from '../../support/domain.ts';

async function routerWeight(backend: TestBackend): Promise<number> {
  return (await backend.router.admin('GET', '/admin/services/checkout/routing')).body.weight;
}

describe('a backend starting up', () => {
  let backend: TestBackend;
  before(async () => {
    backend = await startTestBackend();
    await backend.call(
      'POST',
      '/api/v1/policies',
      aPolicy({ gates: [{ name: 'errors', kind: 'error-rate', provider: 'router' }] })
    );
  });
  after(async () => backend.close());

  it('re-applies a live rollout’s stored split at once, even while a dead process still holds its lease', async () => {
    const started = await backend.call('POST', '/api/v1/rollouts', {
      service: 'checkout',
      baseline: 'v1',
      canary: 'v2',
      policy: 'canary',
    });
    const id = started.body.rollout.id;
    assert.ok(await backend.deps.bus.acquireLease(`lease:rollout:${id}`, 'a-process-that-died', 60_000));
    await backend.router.admin('PUT', '/admin/services/checkout/routing', {
      baseline: 'v1',
      canary: 'v2',
      weight: 0,
      headerRoute: null,
    });

    await backend.loop.reconcile(true);

    assert.equal(await routerWeight(backend), 5);
    await backend.call('POST', `/api/v1/rollouts/${id}/actions`, { action: 'abort' });
  });

  it('puts all traffic back on the baseline for a rollback stored just before a crash, before any traffic moved', async () => {
    const started = await backend.call('POST', '/api/v1/rollouts', {
      service: 'checkout',
      baseline: 'v1',
      canary: 'v2',
      policy: 'canary',
    });
    const id = started.body.rollout.id;
    const rollout = (await backend.deps.store.getRollout(id))!;
    const outcome = applyAction(rollout, 'rollback', 'sentra', backend.clock.now);
    assert.ok(outcome.ok);
    // The decision is stored; the process dies before it tells the router.
    await backend.deps.store.commit(outcome.planned.next, rollout.revision, outcome.planned.decision, {});
    assert.ok(await backend.deps.bus.acquireLease(`lease:rollout:${id}`, 'a-process-that-died', 60_000));
    assert.equal(await routerWeight(backend), 5);

    await backend.loop.reconcile(true);

    assert.equal(await routerWeight(backend), 0);
    assert.equal((await backend.deps.store.getRollout(id))!.applied?.weight, 0);
  });
});
