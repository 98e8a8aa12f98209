import { expect, test } from '@grafana/plugin-e2e';

import { APP_ID, DATASOURCE_UIDS } from './sentra.ts';

test('provisioning enables the Sentra app with its backend URL and keeps its token encrypted', async ({ page }) => {
  const response = await page.request.get(`/api/plugins/${APP_ID}/settings`);
  expect(response.ok()).toBe(true);
  const settings = await response.json();

  expect(settings.enabled).toBe(true);
  expect(settings.jsonData?.backendUrl).toMatch(/^https?:\/\/\S+/);
  expect(settings.secureJsonFields?.apiToken).toBe(true);
  expect(settings.secureJsonData).toBeUndefined();
});

for (const uid of DATASOURCE_UIDS) {
  test(`the provisioned data source ${uid} passes its health check`, async ({ page }) => {
    const response = await page.request.get(`/api/datasources/uid/${uid}/health`);
    const health = await response.json();

    expect(response.status(), JSON.stringify(health)).toBe(200);
    expect(health.status).toBe('OK');
  });
}

test("Prometheus holds the router's traffic of the demo service, by version", async ({ page }) => {
  const versions = async () => {
    const response = await page.request.post('/api/ds/query', {
      data: {
        from: 'now-5m',
        to: 'now',
        queries: [
          {
            refId: 'A',
            datasource: { type: 'prometheus', uid: 'sentra-prometheus' },
            expr: 'sum by (version) (sentra_router_requests_total{service="demo"})',
            instant: true,
          },
        ],
      },
    });
    const body = await response.json();
    const frames: { schema?: { fields?: { labels?: Record<string, string> }[] } }[] = body.results?.A?.frames ?? [];
    return frames
      .flatMap((f) => f.schema?.fields ?? [])
      .map((field) => field.labels?.version)
      .filter(Boolean);
  };

  await expect.poll(versions, { timeout: 60_000 }).toContain('v1');
});
