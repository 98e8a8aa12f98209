import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { parseAllDocuments } from 'yaml';

import type { TrafficConfig } from '../../../backend/src/domain/traffic-config.ts';
import { createControllerFor } from '../../../backend/src/traffic/index.ts';
import { startFakeApiServer } from '../../fixtures/kubernetes/api-server.ts';
import { HTTPROUTE_PATH, kubeConfigFor, VIRTUALSERVICE_PATH } from '../../fixtures/kubernetes/routes.ts';

const manifests = (name: string): Array<Record<string, any>> =>
  parseAllDocuments(readFileSync(new URL(`../../../deploy/kubernetes/${name}.yaml`, import.meta.url), 'utf8')).map(
    (d) => d.toJS()
  );

/** The policy settings written in a manifest's leading comment. */
function settingsIn(name: string): TrafficConfig {
  const text = readFileSync(new URL(`../../../deploy/kubernetes/${name}.yaml`, import.meta.url), 'utf8');
  const lines = text
    .split('\n')
    .filter((l) => l.startsWith('#     '))
    .map((l) => l.slice(6).trim());
  return Object.fromEntries(lines.map((l) => l.split(': '))) as TrafficConfig;
}

for (const [name, path] of [
  ['gateway-api-httproute', HTTPROUTE_PATH],
  ['istio-virtualservice', VIRTUALSERVICE_PATH],
] as const) {
  test(`the example ${name} manifest is steered by the settings its comment shows`, async () => {
    const server = await startFakeApiServer();
    try {
      server.put(path, manifests(name)[0]!);
      const traffic = settingsIn(name);
      const controller = createControllerFor({ kubeConfig: kubeConfigFor(server) })(traffic);
      const target = { service: 'checkout', baseline: 'v1', canary: 'v2', config: traffic };
      const desired = { weight: 20, headerRoute: { header: 'x-canary', value: '1' } };
      assert.deepEqual(await controller.apply(target, desired), desired);
    } finally {
      await server.close();
    }
  });
}

test('the RBAC role grants only get, update and patch on the named routes', () => {
  const role = manifests('rbac').find((m) => m.kind === 'Role')!;
  for (const rule of role.rules) {
    assert.deepEqual(rule.verbs, ['get', 'update', 'patch']);
    assert.ok(rule.resourceNames.length > 0);
    assert.ok(['httproutes', 'virtualservices'].includes(rule.resources[0]) && rule.resources.length === 1);
  }
});
