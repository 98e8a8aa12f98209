import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadConfig } from '../../backend/src/config.ts';
import { providersFor } from '../../backend/src/wiring.ts';
import { startLokiFixture } from '../fixtures/loki/server.ts';

const API_TOKEN = 'a-test-token-of-some-length';

test('Loki, Tempo and Grafana providers are configured from the environment, with the Loki tenant', async () => {
  const loki = await startLokiFixture({ requireTenant: true });
  const config = loadConfig({
    SENTRA_API_TOKEN: API_TOKEN,
    SENTRA_LOKI_URL: loki.url,
    SENTRA_LOKI_TENANT: 'team-a',
    SENTRA_TEMPO_URL: 'http://127.0.0.1:3200',
    SENTRA_GRAFANA_URL: 'http://127.0.0.1:3000',
    SENTRA_GRAFANA_TOKEN: 'glsa_x',
  });
  const providers = providersFor(config);

  assert.deepEqual(
    ['loki', 'tempo', 'grafana'].map((name) => providers[name as 'loki']?.name),
    ['loki', 'tempo', 'grafana']
  );
  const now = 1_700_000_060_000;
  const ctx = {
    service: 's',
    baseline: 'v1',
    canary: 'v2',
    now,
    lagMs: 0,
    timeoutMs: 2000,
    windowEnd: null,
    since: now - 60_000,
  };
  await providers.loki!.observe({ name: 'e', kind: 'error-rate', provider: 'loki' }, ctx);
  assert.ok(loki.requests.length > 0);
  assert.ok(loki.requests.every((r) => r.headers['x-scope-orgid'] === 'team-a'));
  await loki.close();
});

test('no telemetry URL configured means no such provider', () => {
  const providers = providersFor(loadConfig({ SENTRA_API_TOKEN: API_TOKEN }));
  assert.equal(providers.loki, undefined);
  assert.equal(providers.tempo, undefined);
  assert.equal(providers.grafana, undefined);
});
