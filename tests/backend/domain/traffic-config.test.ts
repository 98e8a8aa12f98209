import assert from 'node:assert/strict';
import { test } from 'node:test';

import { validatePolicy } from '../../../backend/src/domain/policy.ts';
import { CONTROLLER_KINDS } from '../../../backend/src/domain/traffic-config.ts';

const aPolicy = (traffic: unknown) => ({
  name: 'checkout',
  steps: [{ weight: 10, minDuration: '1m' }],
  gates: [{ name: 'errors', kind: 'error-ratio', provider: 'prometheus', max: 0.01 }],
  traffic,
});

const GOOD: Record<string, Record<string, unknown>> = {
  router: { controller: 'router' },
  haproxy: {
    controller: 'haproxy',
    socket: '/run/haproxy/admin.sock',
    backend: 'app',
    baselineServer: 'stable',
    canaryServer: 'canary',
    headerMap: '/etc/haproxy/sentra-app.map',
  },
  nginx: {
    controller: 'nginx',
    includeFile: '/etc/nginx/sentra/app.conf',
    mainConfig: '/etc/nginx/nginx.conf',
    upstream: 'app',
    baselineServer: '10.0.0.1:8080',
    canaryServer: 'unix:/run/app-canary.sock',
  },
  'gateway-api': {
    controller: 'gateway-api',
    namespace: 'shop',
    httpRoute: 'checkout',
    baselineService: 'checkout-stable',
    canaryService: 'checkout-canary',
    port: 8080,
  },
  istio: {
    controller: 'istio',
    namespace: 'shop',
    virtualService: 'checkout',
    host: 'checkout',
    baselineSubset: 'stable',
    canarySubset: 'canary',
    apiVersion: 'v1beta1',
  },
  webhook: {
    controller: 'webhook',
    url: 'https://proxy-admin.internal/traffic',
    secretEnv: 'SENTRA_WEBHOOK_SECRET_CHECKOUT',
    timeout: '3s',
  },
};

function errorsFor(traffic: unknown) {
  const result = validatePolicy(aPolicy(traffic));
  assert.equal(result.ok, false, `expected ${JSON.stringify(traffic)} to be refused`);
  return result.ok ? [] : result.errors;
}

test('every controller kind has a schema, and a well-formed example of each passes', () => {
  assert.deepEqual([...CONTROLLER_KINDS].sort(), Object.keys(GOOD).sort());
  for (const traffic of Object.values(GOOD)) {
    const result = validatePolicy(aPolicy(traffic));
    assert.ok(result.ok, JSON.stringify(result));
  }
});

test('an unknown controller is refused at /traffic/controller with the kinds that exist', () => {
  assert.deepEqual(errorsFor({ controller: 'envoy' }), [
    { field: '/traffic/controller', message: 'must be one of: router, haproxy, nginx, gateway-api, istio, webhook' },
  ]);
});

test('a bad field of each controller kind is named by its path', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ ...GOOD.haproxy, socket: 'admin.sock' }, '/traffic/socket'],
    [{ ...GOOD.haproxy, backend: 'app server' }, '/traffic/backend'],
    [{ ...GOOD.haproxy, timeout: 'soon' }, '/traffic/timeout'],
    [{ ...GOOD.nginx, includeFile: 'relative/app.conf' }, '/traffic/includeFile'],
    [{ ...GOOD.nginx, upstream: 'app-1' }, '/traffic/upstream'],
    [{ ...GOOD.nginx, canaryServer: '10.0.0.2:8080; include /etc/passwd' }, '/traffic/canaryServer'],
    [{ ...GOOD.nginx, serverParameters: 'weight=1; }' }, '/traffic/serverParameters'],
    [{ ...GOOD['gateway-api'], namespace: 'Shop' }, '/traffic/namespace'],
    [{ ...GOOD['gateway-api'], port: 70000 }, '/traffic/port'],
    [{ ...GOOD.istio, apiVersion: 'v2' }, '/traffic/apiVersion'],
    [{ ...GOOD.webhook, url: 'ftp://proxy/traffic' }, '/traffic/url'],
    [{ ...GOOD.webhook, secretEnv: 'DATABASE_PASSWORD' }, '/traffic/secretEnv'],
  ];
  for (const [traffic, field] of cases) {
    const fields = errorsFor(traffic).map((e) => e.field);
    assert.deepEqual(fields, [field], JSON.stringify(traffic));
  }
});

test('a missing required field and an unknown field are each named', () => {
  const { backend: _dropped, ...noBackend } = GOOD.haproxy!;
  assert.deepEqual(errorsFor(noBackend), [{ field: '/traffic/backend', message: 'is required' }]);
  assert.deepEqual(errorsFor({ ...GOOD.nginx, binary: '/bin/sh' }), [
    { field: '/traffic/binary', message: 'unknown field' },
  ]);
});
