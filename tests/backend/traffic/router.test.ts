import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { RouterController } from '../../../backend/src/traffic/router.ts';
import type { TrafficTarget } from '../../../backend/src/traffic/types.ts';
import { TrafficError } from '../../../backend/src/traffic/types.ts';
import type { Harness } from '../../support/router-harness.ts';
import { deadUrl, silentServer, startHarness } from '../../support/router-harness.ts';

const TOKEN = 'controller-test-token';

function aTarget(overrides: Partial<TrafficTarget> = {}): TrafficTarget {
  return { service: 'checkout', baseline: 'v1', canary: 'v2', config: { controller: 'router' }, ...overrides };
}

describe('the router traffic controller', () => {
  let h: Harness;
  let controller: RouterController;
  before(async () => {
    h = await startHarness({ v1: {}, v2: {} }, { adminToken: TOKEN });
    controller = new RouterController({ url: h.address.adminUrl, token: TOKEN, timeoutMs: 2000 });
  });
  after(() => h.close());

  test('read answers null before any routing is set', async () => {
    assert.equal(await controller.read(aTarget()), null);
    assert.equal(await controller.read(aTarget({ service: 'ghost' })), null);
  });

  test('apply sets the whole routing state and answers what the router has in force', async () => {
    const desired = { weight: 15, headerRoute: { header: 'x-canary', value: '1' } };

    const applied = await controller.apply(aTarget(), desired);

    assert.deepEqual(applied, desired);
    assert.deepEqual(await controller.read(aTarget()), desired);
    const tally = await h.send(200);
    assert.deepEqual(tally.byVersion, { v1: 170, v2: 30 });
  });

  test('applying the same state twice changes nothing on the router and reads back the same', async () => {
    const desired = { weight: 30, headerRoute: null };
    const first = await controller.apply(aTarget(), desired);
    const revision = (await h.admin('GET', '/admin/services/checkout/routing')).body.revision;

    const second = await controller.apply(aTarget(), desired);

    assert.deepEqual(second, first);
    assert.equal((await h.admin('GET', '/admin/services/checkout/routing')).body.revision, revision);
    assert.deepEqual(await controller.read(aTarget()), desired);
  });

  test('read answers null when the routing in force is between other versions', async () => {
    await controller.apply(aTarget(), { weight: 5, headerRoute: null });
    assert.equal(await controller.read(aTarget({ canary: 'v3' })), null);
  });

  test("a routing the router refuses becomes a TrafficError carrying the router's message", async () => {
    await assert.rejects(
      controller.apply(aTarget({ canary: 'v9' }), { weight: 10, headerRoute: null }),
      (err: unknown) =>
        err instanceof TrafficError && err.controller === 'router' && /v9 of checkout has no upstream/.test(err.message)
    );
    await assert.rejects(
      controller.apply(aTarget(), { weight: 101, headerRoute: null }),
      (err: unknown) => err instanceof TrafficError && /HTTP 400: .*\/weight must be <= 100/.test(err.message)
    );
  });

  test('a wrong token becomes a TrafficError naming the refusal', async () => {
    const stranger = new RouterController({ url: h.address.adminUrl, token: 'wrong' });
    await assert.rejects(
      stranger.apply(aTarget(), { weight: 5, headerRoute: null }),
      (err: unknown) => err instanceof TrafficError && /HTTP 401/.test(err.message)
    );
  });

  test("a rollout's own router address is used when the controller has no default", async () => {
    const bare = new RouterController({ token: TOKEN });
    const target = aTarget({ config: { controller: 'router', url: h.address.adminUrl } });

    assert.deepEqual(await bare.apply(target, { weight: 50, headerRoute: null }), { weight: 50, headerRoute: null });
    await assert.rejects(
      bare.read(aTarget()),
      (err: unknown) => err instanceof TrafficError && /no router address/.test(err.message)
    );
  });
});

test('weight 0 puts all traffic back on the baseline even when the canary upstream is gone', async () => {
  const h = await startHarness({ v1: {}, v2: {} });
  try {
    const controller = new RouterController({ url: h.address.adminUrl });
    await controller.apply(aTarget(), { weight: 50, headerRoute: null });
    await h.upstreams.v2!.close();
    assert.equal((await h.send(20)).byStatus[502], 10);

    const applied = await controller.apply(aTarget(), { weight: 0, headerRoute: null });
    await h.admin('PUT', '/admin/services/checkout/upstreams', { versions: { v1: h.upstreams.v1!.url } });

    assert.deepEqual(applied, { weight: 0, headerRoute: null });
    assert.deepEqual(await h.send(50), { byVersion: { v1: 50 }, byStatus: { 200: 50 } });
  } finally {
    await h.close();
  }
});

test('a router that does not answer in time, or cannot be reached, gives a TrafficError', async () => {
  const silent = await silentServer();
  try {
    const slow = new RouterController({ url: silent.url, timeoutMs: 100 });
    await assert.rejects(
      slow.apply(aTarget(), { weight: 5, headerRoute: null }),
      (err: unknown) => err instanceof TrafficError && /did not answer within 100ms/.test(err.message)
    );
  } finally {
    await silent.close();
  }

  const gone = new RouterController({ url: await deadUrl() });
  await assert.rejects(
    gone.read(aTarget()),
    (err: unknown) => err instanceof TrafficError && /could not be reached: ECONNREFUSED/.test(err.message)
  );
});
