import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { TrafficConfig } from '../../../backend/src/domain/traffic-config.ts';
import { GatewayApiController } from '../../../backend/src/traffic/gateway-api.ts';
import { HaproxyController } from '../../../backend/src/traffic/haproxy.ts';
import { createControllerFor } from '../../../backend/src/traffic/index.ts';
import { IstioController } from '../../../backend/src/traffic/istio.ts';
import { NginxController } from '../../../backend/src/traffic/nginx.ts';
import type { TrafficController } from '../../../backend/src/traffic/types.ts';
import { TrafficError } from '../../../backend/src/traffic/types.ts';
import { WebhookController } from '../../../backend/src/traffic/webhook.ts';

const CONFIGS: Array<[TrafficConfig, new () => TrafficController]> = [
  [
    { controller: 'haproxy', socket: '/run/h.sock', backend: 'app', baselineServer: 'a', canaryServer: 'b' },
    HaproxyController,
  ],
  [
    {
      controller: 'nginx',
      includeFile: '/etc/nginx/s.conf',
      mainConfig: '/etc/nginx/nginx.conf',
      upstream: 'app',
      baselineServer: 'a:1',
      canaryServer: 'b:1',
    },
    NginxController,
  ],
  [
    { controller: 'gateway-api', namespace: 'shop', httpRoute: 'r', baselineService: 'a', canaryService: 'b' },
    GatewayApiController,
  ],
  [
    { controller: 'istio', namespace: 'shop', virtualService: 'v', host: 'h', baselineSubset: 'a', canarySubset: 'b' },
    IstioController,
  ],
  [{ controller: 'webhook', url: 'http://127.0.0.1:1/' }, WebhookController],
];

test('the factory picks the controller named by the settings and reuses one instance per kind', () => {
  const controllerFor = createControllerFor();
  for (const [config, kind] of CONFIGS) {
    const controller = controllerFor(config);
    assert.ok(controller instanceof kind, config.controller);
    assert.equal(controller.kind, config.controller);
    assert.equal(controllerFor(config), controller);
  }
});

test('the router case uses the router controller it is given, and is a traffic error without one', () => {
  const router: TrafficController = { kind: 'router', apply: async (_t, d) => d, read: async () => null };
  assert.equal(createControllerFor({ router: () => router })({ controller: 'router' }), router);
  assert.throws(() => createControllerFor()({ controller: 'router' }), TrafficError);
});

test("a controller handed another kind's settings refuses them", async () => {
  const haproxy = createControllerFor()(CONFIGS[0]![0]);
  const target = { service: 'app', baseline: 'v1', canary: 'v2', config: CONFIGS[1]![0] };
  await assert.rejects(haproxy.apply(target, { weight: 0, headerRoute: null }), /handed settings for "nginx"/);
});
