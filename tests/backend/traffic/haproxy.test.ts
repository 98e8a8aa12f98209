import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { StartedProxy } from '../../../backend/src/demo/proxies.ts';
import { startProxy } from '../../../backend/src/demo/proxies.ts';
import type { HaproxyTraffic } from '../../../backend/src/domain/traffic-config.ts';
import { HaproxyController } from '../../../backend/src/traffic/haproxy.ts';
import type { TrafficTarget } from '../../../backend/src/traffic/types.ts';
import { TrafficError } from '../../../backend/src/traffic/types.ts';
import type { CountingUpstream } from '../../support/upstreams.ts';
import { canaryShare, recordingLog, sendRequests, startUpstream } from '../../support/upstreams.ts';

const REQUESTS_PER_STEP = 2000;
const HEADER = { header: 'X-Canary', value: '1' };

describe('HAProxy controller against a real haproxy', () => {
  let baseline: CountingUpstream;
  let canary: CountingUpstream;
  let proxy: StartedProxy;
  let target: TrafficTarget;

  before(async () => {
    baseline = await startUpstream('baseline');
    canary = await startUpstream('canary');
    proxy = await startProxy({ kind: 'haproxy', baselineUrl: baseline.url, canaryUrl: canary.url });
    target = { service: 'app', baseline: 'v1', canary: 'v2', config: proxy.traffic };
  });

  after(async () => {
    await proxy.stop();
    await baseline.close();
    await canary.close();
  });

  test('each step splits real requests by its weight and reports the weight HAProxy holds', async (t) => {
    const controller = new HaproxyController();
    for (const weight of [5, 15, 30, 50, 100, 0]) {
      const applied = await controller.apply(target, { weight, headerRoute: null });
      assert.deepEqual(applied, { weight, headerRoute: null });

      const tally = await sendRequests(proxy.proxyUrl, REQUESTS_PER_STEP);
      t.diagnostic(
        `weight ${weight}: baseline ${tally.byBody['baseline'] ?? 0}, canary ${tally.byBody['canary'] ?? 0}, failed ${tally.failed}`
      );
      assert.equal(tally.failed, 0);
      assert.ok(Math.abs(canaryShare(tally) - weight) <= 2, `canary share ${canaryShare(tally)}% at weight ${weight}`);
    }
  });

  test('a header route sends every request carrying the header to the canary, whatever the weight', async () => {
    const controller = new HaproxyController();
    const applied = await controller.apply(target, { weight: 10, headerRoute: HEADER });
    assert.deepEqual(applied, { weight: 10, headerRoute: { header: 'x-canary', value: '1' } });

    const marked = await sendRequests(proxy.proxyUrl, 300, { headers: { 'X-Canary': '1' } });
    assert.deepEqual(marked.byBody, { canary: 300 });
    const other = await sendRequests(proxy.proxyUrl, 300, { headers: { 'X-Canary': '10' } });
    assert.ok(Math.abs(canaryShare(other) - 10) <= 2, `unmarked canary share ${canaryShare(other)}%`);

    await controller.apply(target, { weight: 0, headerRoute: null });
  });

  test('a header value with spaces and regex characters matches only itself', async () => {
    const controller = new HaproxyController();
    const route = { header: 'x-cohort', value: 'beta (v2); a.b*' };
    assert.deepEqual((await controller.apply(target, { weight: 0, headerRoute: route })).headerRoute, route);

    assert.deepEqual((await sendRequests(proxy.proxyUrl, 50, { headers: { 'x-cohort': route.value } })).byBody, {
      canary: 50,
    });
    assert.deepEqual((await sendRequests(proxy.proxyUrl, 50, { headers: { 'x-cohort': 'beta (v2); aXb' } })).byBody, {
      baseline: 50,
    });

    await controller.apply(target, { weight: 0, headerRoute: null });
  });

  test('applying the same state twice changes nothing the second time', async () => {
    const log = recordingLog();
    const controller = new HaproxyController({ log });
    await controller.apply(target, { weight: 30, headerRoute: HEADER });
    const changes = log.entries.length;
    assert.ok(changes > 0);

    const again = await controller.apply(target, { weight: 30, headerRoute: HEADER });
    assert.equal(log.entries.length, changes);
    assert.deepEqual(again, { weight: 30, headerRoute: { header: 'x-canary', value: '1' } });
    await controller.apply(target, { weight: 0, headerRoute: null });
  });

  test('weight 0 puts every request on the baseline while the canary is down', async () => {
    const controller = new HaproxyController();
    await controller.apply(target, { weight: 50, headerRoute: HEADER });
    await canary.close();
    try {
      const applied = await controller.apply(target, { weight: 0, headerRoute: null });
      assert.deepEqual(applied, { weight: 0, headerRoute: null });
      const tally = await sendRequests(proxy.proxyUrl, 500, { headers: { 'X-Canary': '1' } });
      assert.deepEqual(tally, { byBody: { baseline: 500 }, failed: 0 });
    } finally {
      canary = await restartCanary();
    }
  });

  test('a fractional weight is reported as the integer weight HAProxy really holds', async () => {
    const applied = await new HaproxyController().apply(target, { weight: 12.6, headerRoute: null });
    assert.deepEqual(applied, { weight: 13, headerRoute: null });
    await new HaproxyController().apply(target, { weight: 0, headerRoute: null });
  });

  test('weight 0 succeeds when the backend has no canary server at all, and a real weight names it', async () => {
    const gone: TrafficTarget = { ...target, config: { ...(proxy.traffic as HaproxyTraffic), canaryServer: 'gone' } };
    const controller = new HaproxyController();
    assert.deepEqual(await controller.apply(gone, { weight: 0, headerRoute: null }), { weight: 0, headerRoute: null });
    await assert.rejects(controller.apply(gone, { weight: 5, headerRoute: null }), (error: unknown) => {
      assert.ok(error instanceof TrafficError);
      assert.match(error.message, /no server "gone"/);
      return true;
    });
  });

  test('an unknown backend and an unreachable socket are traffic errors that say which', async () => {
    const config = proxy.traffic as HaproxyTraffic;
    const controller = new HaproxyController();
    const noBackend: TrafficTarget = { ...target, config: { ...config, backend: 'nope' } };
    await assert.rejects(controller.apply(noBackend, { weight: 5, headerRoute: null }), /backend "nope"/);
    const noSocket: TrafficTarget = { ...target, config: { ...config, socket: `${proxy.dir}/missing.sock` } };
    await assert.rejects(controller.read(noSocket), (error: unknown) => {
      assert.ok(error instanceof TrafficError);
      assert.match(error.message, /missing\.sock/);
      return true;
    });
  });

  test('a header route without a configured map is refused before anything changes', async () => {
    const { headerMap: _unused, ...withoutMap } = proxy.traffic as HaproxyTraffic;
    const controller = new HaproxyController();
    const before = await controller.read(target);
    await assert.rejects(
      controller.apply({ ...target, config: withoutMap }, { weight: 40, headerRoute: HEADER }),
      /needs headerMap/
    );
    assert.deepEqual(await controller.read(target), before);
  });

  async function restartCanary(): Promise<CountingUpstream> {
    // The canary comes back on its old port so HAProxy's server line still points at it.
    const port = Number(new URL(canary.url).port);
    const { createServer } = await import('node:http');
    const upstream = { name: 'canary', url: canary.url, count: 0, close: async () => {} };
    const server = createServer((_req, res) => res.end('canary'));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    upstream.close = () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    return upstream;
  }
});
