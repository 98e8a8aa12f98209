import { resolve } from 'node:path';

import type { PluginOptions } from '@grafana/plugin-e2e';
import { defineConfig, devices } from '@playwright/test';

/**
 * Playwright for the Grafana end-to-end specs; start it with
 * `npm run test:grafana-e2e`, which checks GRAFANA_URL and the browser first.
 * The first project logs in once (plugin-e2e's own setup) and the specs
 * reuse that session.
 */
const root = resolve(import.meta.dirname, '../..');

export default defineConfig<PluginOptions>({
  testDir: resolve(import.meta.dirname, 'specs'),
  outputDir: resolve(root, 'test-results/grafana-e2e'),
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    baseURL: process.env.GRAFANA_URL,
    provisioningRootDir: resolve(root, 'provisioning'),
    trace: 'retain-on-failure',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
  },
  projects: [
    {
      name: 'auth',
      testDir: resolve(root, 'node_modules/@grafana/plugin-e2e/dist/auth'),
      testMatch: [/.*\.js/],
    },
    {
      name: 'grafana',
      use: {
        ...devices['Desktop Chrome'],
        storageState: resolve(root, `playwright/.auth/${process.env.GRAFANA_ADMIN_USER ?? 'admin'}.json`),
      },
      dependencies: ['auth'],
    },
  ],
});
