/**
 * Runs the Playwright specs in this folder against a real Grafana, such as
 * the one docker-compose.yml starts. They need GRAFANA_URL; without it this
 * says how to get one and exits, running nothing. The browser is the
 * machine's Chromium (CHROMIUM_PATH, /usr/bin/chromium by default): no
 * browser is downloaded. Extra arguments go to `playwright test`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const HELP = `GRAFANA_URL is not set. These specs drive a real Grafana with the Sentra stack behind it:

  npm ci && npm run build
  docker compose up -d
  GRAFANA_URL=http://localhost:3000 npm run test:grafana-e2e

GRAFANA_ADMIN_USER and GRAFANA_ADMIN_PASSWORD (admin / admin by default) log in.`;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const url = process.env.GRAFANA_URL;
if (!url) fail(HELP);
if (!/^https?:\/\/[^\s/]+/.test(url))
  fail(`GRAFANA_URL must be an http(s) URL such as http://localhost:3000, not "${url}"`);

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium))
  fail(`no Chromium at ${chromium}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`);

const root = resolve(import.meta.dirname, '../..');
const cli = resolve(root, 'node_modules/@playwright/test/cli.js');
const config = resolve(import.meta.dirname, 'playwright.config.ts');
const result = spawnSync(process.execPath, [cli, 'test', '--config', config, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CHROMIUM_PATH: chromium, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
});
process.exit(result.status ?? 1);
