import { expect, test } from '@grafana/plugin-e2e';

import { APP_ID } from './sentra.ts';

test('the rollouts page of the Sentra app renders inside Grafana without errors', async ({ gotoAppPage, page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const module = page.waitForResponse((r) => r.url().includes(`/public/plugins/${APP_ID}/module.js`));

  await gotoAppPage({ pluginId: APP_ID, path: '/rollouts' });

  expect((await module).ok()).toBe(true);
  await expect(page.getByRole('heading', { name: 'Rollouts' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('the configuration page shows the provisioned backend URL', async ({ gotoAppConfigPage, page }) => {
  const settings = await (await page.request.get(`/api/plugins/${APP_ID}/settings`)).json();

  await gotoAppConfigPage({ pluginId: APP_ID });

  await expect(page.getByLabel('Backend URL')).toHaveValue(settings.jsonData.backendUrl);
});

test("the app reaches the backend through Grafana's plugin proxy, which adds the token", async ({ page }) => {
  const response = await page.request.get(`/api/plugin-proxy/${APP_ID}/sentra/api/v1/policies`);

  expect(response.status()).toBe(200);
  expect(Array.isArray((await response.json()).policies)).toBe(true);
});
