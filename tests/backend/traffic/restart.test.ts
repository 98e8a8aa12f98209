import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import { describe, test } from 'node:test';

import { startProxy } from '../../../backend/src/demo/proxies.ts';
import type { Policy } from '../../../backend/src/domain/policy.ts';
import type { RoutingState } from '../../../backend/src/domain/rollout.ts';
import { routingFor, sameRouting, startRollout } from '../../../backend/src/domain/rollout.ts';
import type { TrafficConfig } from '../../../backend/src/domain/traffic-config.ts';
import { HaproxyRuntime } from '../../../backend/src/traffic/haproxy-runtime.ts';
import type { ControllerOptions } from '../../../backend/src/traffic/index.ts';
import { createControllerFor } from '../../../backend/src/traffic/index.ts';
import { startFakeApiServer } from '../../fixtures/kubernetes/api-server.ts';
import {
  anHttpRoute,
  aVirtualService,
  HTTPROUTE_PATH,
  kubeConfigFor,
  VIRTUALSERVICE_PATH,
} from '../../fixtures/kubernetes/routes.ts';
import {
  canaryShare,
  nginxWorkers,
  recordingLog,
  sendRequests,
  startUpstream,
  waitForNginxReload,
} from '../../support/upstreams.ts';

/**
 * Case 10: steps weight 10, header route, pause, weight 25; the controller
 * restarts while paused after the header step. A new controller applying the
 * stored state puts back weight 10 and the header route; a newer rollout of
 * the same service removes the header route exactly once.
 */
const HEADER = { header: 'x-canary', value: '1' };
const aPolicy = (steps: Policy['steps']): Policy => ({
  name: 'case-10',
  steps,
  gates: [{ name: 'errors', kind: 'error-ratio', provider: 'prometheus', max: 0.01 }] as unknown as Policy['gates'],
});
const OLD_POLICY = aPolicy([
  { weight: 10, minDuration: '1m' },
  { headerRoute: HEADER, minDuration: '1m' },
  { pause: true, minDuration: '1m' },
  { weight: 25, minDuration: '1m' },
]);
const STORED: RoutingState = routingFor({ phase: 'paused', stepIndex: 2, policy: OLD_POLICY });
const NEWER: RoutingState = startRollout({
  id: 'r2',
  service: 'app',
  baseline: 'v2',
  canary: 'v3',
  policy: aPolicy([{ weight: 5, minDuration: '1m' }]),
  policyVersion: 1,
  traffic: { controller: 'router' },
  createdBy: 'test',
  now: 0,
}).desired;

/** One controller kind set up for the case: its settings, a way to lose the proxy's state, and a look at the effect. */
interface Harness {
  traffic: TrafficConfig;
  options: ControllerOptions;
  /** The proxy forgets what Sentra set (a proxy restart, or a manifest applied again). */
  forget(): Promise<void>;
  /** Whether a request carrying the header reaches the canary every time. */
  headerReachesCanary(): Promise<boolean>;
  /** How many changes the proxy went through since the last call. */
  changes(): number;
}

async function runCase(harness: Harness): Promise<void> {
  const target = { service: 'app', baseline: 'v1', canary: 'v2', config: harness.traffic };
  assert.deepEqual(STORED, { weight: 10, headerRoute: HEADER });
  assert.deepEqual(NEWER, { weight: 5, headerRoute: null });

  await createControllerFor(harness.options)(harness.traffic).apply(target, STORED);
  await harness.forget();
  assert.equal(await harness.headerReachesCanary(), false);
  harness.changes();

  const afterRestart = createControllerFor(harness.options)(harness.traffic);
  assert.ok(sameRouting(await afterRestart.apply(target, STORED), STORED));
  assert.ok(sameRouting(await afterRestart.read(target), STORED));
  assert.equal(await harness.headerReachesCanary(), true);
  harness.changes();

  assert.deepEqual(await afterRestart.apply(target, NEWER), NEWER);
  assert.ok(harness.changes() >= 1);
  assert.equal(await harness.headerReachesCanary(), false);
  assert.deepEqual(await afterRestart.apply(target, NEWER), NEWER);
  assert.equal(harness.changes(), 0);
}

describe('routing state after a restart (case 10)', () => {
  test('haproxy: a new controller puts back weight and header route; a newer rollout removes the route once', async () => {
    const { proxy, upstreams, log } = await proxyFor('haproxy');
    const runtime = new HaproxyRuntime((proxy.traffic as { socket: string }).socket, 2000);
    const removals = () => log.entries.filter((e) => String(e.fields.change).startsWith('del map')).length;
    let seen = 0;
    try {
      await runCase({
        traffic: proxy.traffic,
        options: { log },
        // What an HAProxy reload does: runtime weights and map entries fall back to the configuration's.
        forget: async () => {
          await runtime.change('set weight app/baseline 100');
          await runtime.change('set weight app/canary 0');
          await runtime.change(`clear map ${(proxy.traffic as { headerMap: string }).headerMap}`);
        },
        headerReachesCanary: async () => (await headerShare(proxy.proxyUrl)) === 100,
        changes: () => [log.entries.length - seen, (seen = log.entries.length)][0]!,
      });
      assert.equal(removals(), 1);
    } finally {
      await proxy.stop();
      await Promise.all(upstreams.map((u) => u.close()));
    }
  });

  test('nginx: a new controller puts back weight and header route; a newer rollout removes the route once', async () => {
    const { proxy, upstreams, log } = await proxyFor('nginx');
    const includeFile = (proxy.traffic as { includeFile: string }).includeFile;
    // What served the last look: a changed include file means a reload to wait for.
    let served = { include: await readFile(includeFile, 'utf8'), workers: await nginxWorkers(proxy.pid) };
    // Reloads can overlap (a change, then another before the first finished): wait for the
    // first to finish, then until the worker set has stayed the same for a while.
    const settle = async () => {
      if ((await readFile(includeFile, 'utf8')) !== served.include) await waitForNginxReload(proxy.pid, served.workers);
      let workers = await nginxWorkers(proxy.pid);
      for (let stableFor = 0, i = 0; stableFor < 600 && i < 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const now = await nginxWorkers(proxy.pid);
        stableFor = [...now].every((pid) => workers.has(pid)) && now.size === workers.size ? stableFor + 50 : 0;
        workers = now;
      }
      served = { include: await readFile(includeFile, 'utf8'), workers };
    };
    let seen = 0;
    try {
      await runCase({
        traffic: proxy.traffic,
        options: { log },
        forget: async () => {
          const target = { service: 'app', baseline: 'v1', canary: 'v2', config: proxy.traffic };
          await createControllerFor({})(proxy.traffic).apply(target, { weight: 0, headerRoute: null });
        },
        headerReachesCanary: async () => {
          await settle();
          return (await headerShare(proxy.proxyUrl)) === 100;
        },
        changes: () => [log.entries.length - seen, (seen = log.entries.length)][0]!,
      });
    } finally {
      await proxy.stop();
      await Promise.all(upstreams.map((u) => u.close()));
    }
  });

  for (const kind of ['gateway-api', 'istio'] as const) {
    test(`${kind}: a new controller puts back weight and header rule; a newer rollout removes the rule once`, async () => {
      const server = await startFakeApiServer();
      const [path, original] =
        kind === 'gateway-api' ? [HTTPROUTE_PATH, anHttpRoute] : [VIRTUALSERVICE_PATH, aVirtualService];
      server.put(path, original());
      const traffic: TrafficConfig =
        kind === 'gateway-api'
          ? {
              controller: kind,
              namespace: 'shop',
              httpRoute: 'checkout',
              baselineService: 'checkout-stable',
              canaryService: 'checkout-canary',
            }
          : {
              controller: kind,
              namespace: 'shop',
              virtualService: 'checkout',
              host: 'checkout',
              baselineSubset: 'stable',
              canarySubset: 'canary',
            };
      let seen = 0;
      const replaces = () =>
        server.requests.filter((r) => r.method === 'PUT' && r.status === 200 && r.by === 'sentra').length;
      try {
        await runCase({
          traffic,
          options: { kubeConfig: kubeConfigFor(server) },
          // Someone applies the original manifest again, dropping Sentra's rules.
          forget: async () => void server.put(path, original()),
          headerReachesCanary: async () => JSON.stringify(server.get(path)!.spec).includes('sentra-header'),
          changes: () => [replaces() - seen, (seen = replaces())][0]!,
        });
      } finally {
        await server.close();
      }
    });
  }

  test('webhook: a new controller posts the stored state again; a newer rollout removes the header route once', async () => {
    const receiver = await startStatefulReceiver();
    try {
      await runCase({
        traffic: { controller: 'webhook', url: receiver.url, secretEnv: 'SENTRA_WEBHOOK_SECRET' },
        options: { env: { SENTRA_WEBHOOK_SECRET: 's' } },
        forget: async () => {
          receiver.state = { weight: 0, headerRoute: null };
        },
        headerReachesCanary: async () => receiver.state.headerRoute !== null,
        changes: () => [receiver.changes, (receiver.changes = 0)][0]!,
      });
    } finally {
      receiver.server.closeAllConnections();
      receiver.server.close();
    }
  });
});

async function proxyFor(kind: 'haproxy' | 'nginx') {
  const upstreams = [await startUpstream('baseline'), await startUpstream('canary')];
  const proxy = await startProxy({ kind, baselineUrl: upstreams[0]!.url, canaryUrl: upstreams[1]!.url });
  return { proxy, upstreams, log: recordingLog() };
}

async function headerShare(url: string): Promise<number> {
  return canaryShare(await sendRequests(url, 100, { headers: { 'x-canary': '1' } }));
}

/** A receiver that keeps the state and counts real changes, as a level-triggered endpoint should. */
async function startStatefulReceiver() {
  const receiver = {
    url: '',
    state: { weight: 0, headerRoute: null } as RoutingState,
    changes: 0,
    server: null as unknown as http.Server,
  };
  receiver.server = http.createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const signed =
      req.headers['x-sentra-signature'] === `sha256=${createHmac('sha256', 's').update(raw).digest('hex')}`;
    if (!signed) return res.writeHead(401).end('bad signature');
    const body = JSON.parse(raw);
    if (body.action === 'apply' && !sameRouting(receiver.state, body.desired)) {
      receiver.state = body.desired;
      receiver.changes += 1;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(receiver.state));
  });
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as net.AddressInfo).port}/`;
  return receiver;
}
