import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import type { StartedProxy } from '../../../backend/src/demo/proxies.ts';
import { startProxy } from '../../../backend/src/demo/proxies.ts';
import type { RoutingState } from '../../../backend/src/domain/rollout.ts';
import type { NginxTraffic } from '../../../backend/src/domain/traffic-config.ts';
import { NginxController } from '../../../backend/src/traffic/nginx.ts';
import type { TrafficTarget } from '../../../backend/src/traffic/types.ts';
import { TrafficError } from '../../../backend/src/traffic/types.ts';
import type { CountingUpstream } from '../../support/upstreams.ts';
import {
  canaryShare,
  nginxWorkers,
  recordingLog,
  sendRequests,
  startUpstream,
  waitForNginxReload,
} from '../../support/upstreams.ts';

const REQUESTS_PER_STEP = 2000;
const HEADER = { header: 'X-Canary', value: '1' };

describe('NGINX controller against a real nginx', () => {
  let baseline: CountingUpstream;
  let canary: CountingUpstream;
  let proxy: StartedProxy;
  let target: TrafficTarget;

  before(async () => {
    baseline = await startUpstream('baseline');
    canary = await startUpstream('canary');
    proxy = await startProxy({ kind: 'nginx', baselineUrl: baseline.url, canaryUrl: canary.url });
    target = { service: 'app', baseline: 'v1', canary: 'v2', config: proxy.traffic };
  });

  after(async () => {
    await proxy.stop();
    await baseline.close();
    await canary.close();
  });

  /** Applies and waits for nginx's new workers to take over when the controller really reloaded. */
  async function applyAndSettle(controller: NginxController, state: RoutingState, on = target): Promise<RoutingState> {
    const workers = await nginxWorkers(proxy.pid);
    const include = await fs.readFile((on.config as NginxTraffic).includeFile, 'utf8');
    const applied = await controller.apply(on, state);
    if ((await fs.readFile((on.config as NginxTraffic).includeFile, 'utf8')) !== include) {
      await waitForNginxReload(proxy.pid, workers);
    }
    return applied;
  }

  test('each step splits real requests by its weight and reports the weights in the include file', async (t) => {
    const controller = new NginxController();
    for (const weight of [5, 15, 30, 50, 100, 0]) {
      const applied = await applyAndSettle(controller, { weight, headerRoute: null });
      assert.deepEqual(applied, { weight, headerRoute: null });
      assert.deepEqual(await controller.read(target), applied);

      const tally = await sendRequests(proxy.proxyUrl, REQUESTS_PER_STEP);
      t.diagnostic(
        `weight ${weight}: baseline ${tally.byBody['baseline'] ?? 0}, canary ${tally.byBody['canary'] ?? 0}, failed ${tally.failed}`
      );
      assert.equal(tally.failed, 0);
      assert.ok(Math.abs(canaryShare(tally) - weight) <= 3, `canary share ${canaryShare(tally)}% at weight ${weight}`);
    }
  });

  test('a header route sends every request carrying the header to the canary, whatever the weight', async () => {
    const controller = new NginxController();
    const applied = await applyAndSettle(controller, { weight: 10, headerRoute: HEADER });
    assert.deepEqual(applied, { weight: 10, headerRoute: { header: 'x-canary', value: '1' } });

    assert.deepEqual((await sendRequests(proxy.proxyUrl, 300, { headers: HEADERS })).byBody, { canary: 300 });
    const other = await sendRequests(proxy.proxyUrl, 300, { headers: { 'X-Canary': '10' } });
    assert.ok(Math.abs(canaryShare(other) - 10) <= 3, `unmarked canary share ${canaryShare(other)}%`);
    await applyAndSettle(controller, { weight: 0, headerRoute: null });
  });

  test('header values that nginx would read as a regex or a keyword are matched literally', async () => {
    const controller = new NginxController();
    for (const value of ['~.*', 'default', 'say "hi" \\ bye']) {
      const route = { header: 'x-cohort', value };
      assert.deepEqual((await applyAndSettle(controller, { weight: 0, headerRoute: route })).headerRoute, route);
      assert.deepEqual((await sendRequests(proxy.proxyUrl, 20, { headers: { 'x-cohort': value } })).byBody, {
        canary: 20,
      });
      assert.deepEqual((await sendRequests(proxy.proxyUrl, 20, { headers: { 'x-cohort': 'other' } })).byBody, {
        baseline: 20,
      });
    }
    await applyAndSettle(controller, { weight: 0, headerRoute: null });
  });

  test("a configuration nginx refuses is put back, the old split keeps serving, and the error carries nginx's words", async () => {
    const controller = new NginxController();
    await applyAndSettle(controller, { weight: 30, headerRoute: null });
    const config = proxy.traffic as NginxTraffic;
    const inForce = await fs.readFile(config.includeFile, 'utf8');
    const workers = await nginxWorkers(proxy.pid);

    const broken: TrafficTarget = { ...target, config: { ...config, serverParameters: 'bogus=1' } };
    await assert.rejects(controller.apply(broken, { weight: 60, headerRoute: null }), (error: unknown) => {
      assert.ok(error instanceof TrafficError);
      assert.match(error.message, /nginx -t refused/);
      assert.match(error.message, /invalid parameter "bogus=1"/);
      return true;
    });

    assert.equal(await fs.readFile(config.includeFile, 'utf8'), inForce);
    assert.deepEqual(await nginxWorkers(proxy.pid), workers);
    assert.deepEqual(await controller.read(target), { weight: 30, headerRoute: null });
    const tally = await sendRequests(proxy.proxyUrl, REQUESTS_PER_STEP);
    assert.ok(Math.abs(canaryShare(tally) - 30) <= 3, `canary share ${canaryShare(tally)}% after a refused change`);
    const leftovers = (await fs.readdir(proxy.dir)).filter((name) => name.includes('.sentra-'));
    assert.deepEqual(leftovers, []);
    await applyAndSettle(controller, { weight: 0, headerRoute: null });
  });

  test('applying the same state twice neither rewrites the file nor reloads nginx', async () => {
    const log = recordingLog();
    const controller = new NginxController({ log });
    await applyAndSettle(controller, { weight: 40, headerRoute: HEADER });
    assert.equal(log.entries.length, 1);
    const workers = await nginxWorkers(proxy.pid);
    const { mtimeMs } = await fs.stat((proxy.traffic as NginxTraffic).includeFile);

    await controller.apply(target, { weight: 40, headerRoute: HEADER });
    assert.equal(log.entries.length, 1);
    assert.equal((await fs.stat((proxy.traffic as NginxTraffic).includeFile)).mtimeMs, mtimeMs);
    assert.deepEqual(await nginxWorkers(proxy.pid), workers);
    await applyAndSettle(controller, { weight: 0, headerRoute: null });
  });

  test('weight 0 puts every request on the baseline while the canary is down, header or not', async () => {
    const controller = new NginxController();
    await applyAndSettle(controller, { weight: 50, headerRoute: HEADER });
    const port = Number(new URL(canary.url).port);
    await canary.close();
    try {
      await applyAndSettle(controller, { weight: 0, headerRoute: null });
      const tally = await sendRequests(proxy.proxyUrl, 500, { headers: HEADERS });
      assert.deepEqual(tally, { byBody: { baseline: 500 }, failed: 0 });
    } finally {
      canary = await startUpstreamOn('canary', port);
    }
  });

  test('apply returns only once the workers that ran before the reload have stopped taking requests', async () => {
    const controller = new NginxController();
    for (const weight of [20, 0]) {
      const before = await nginxWorkers(proxy.pid);
      await controller.apply(target, { weight, headerRoute: null });

      const now = await nginxWorkers(proxy.pid);
      assert.ok(
        [...now].some((pid) => !before.has(pid)),
        'new workers are running'
      );
      for (const pid of before) {
        const title = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        assert.ok(title === '' || title.includes('shutting down'), `old worker ${pid} still serves: ${title}`);
      }
    }
  });

  test('a file Sentra did not write is left alone', async () => {
    const foreign = `${proxy.dir}/foreign.conf`;
    await fs.writeFile(foreign, 'upstream app { server 127.0.0.1:1; }\n');
    const config = { ...(proxy.traffic as NginxTraffic), includeFile: foreign };
    await assert.rejects(
      new NginxController().apply({ ...target, config }, { weight: 5, headerRoute: null }),
      /not written by Sentra/
    );
    assert.equal(await fs.readFile(foreign, 'utf8'), 'upstream app { server 127.0.0.1:1; }\n');
  });
});

const HEADERS = { 'X-Canary': '1' };

async function startUpstreamOn(name: string, port: number): Promise<CountingUpstream> {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.end(name));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    count: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
