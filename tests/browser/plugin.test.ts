import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { demoPolicy } from '../../backend/src/demo/policy.ts';
import { decisionSeenAt, launchBrowser, screenshot, watchDecisionRows } from './support/browser.ts';
import { bundleHost } from './support/bundle.ts';
import { startHostServer, type HostServer } from './support/host-server.ts';
import { startStack, type Stack } from './support/stack.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIST = path.join(ROOT, 'dist');
const APP = '/a/ashsan-sentra-app';
const GRAFANA_TOKEN = 'grafana-service-account-token';
const POLICY = 'browser-canary';
const LATENCY_SAMPLES = 20;
const PATIENCE = { timeout: 60_000 };

describe('the built plugin in a browser, against the real backend', () => {
  let host: HostServer;
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let rolloutId = '';

  before(async () => {
    assert.ok(existsSync(path.join(DIST, 'module.js')), 'dist/module.js is missing: run `npm run build` first');
    host = await startHostServer({
      distDir: DIST,
      iconsDir: path.join(ROOT, 'node_modules/@grafana/ui/dist/public/img/icons'),
      pluginJson: JSON.parse(readFileSync(path.join(ROOT, 'plugin.json'), 'utf8')),
      script: await bundleHost(),
      jsonData: {},
      secureJsonData: {},
      user: { login: 'alice', role: 'Admin' },
      grafanaToken: GRAFANA_TOKEN,
    });
    stack = await startStack({ grafanaUrl: host.url, grafanaToken: GRAFANA_TOKEN });
    host.configure({ backendUrl: stack.backendUrl });
    await postSettingsToken(host, stack.token);

    const policy = { ...demoPolicy('router', 6), name: POLICY, description: 'Four short steps for the browser tests' };
    const created = await stack.api('POST', '/policies', policy);
    assert.equal(created.status, 201, JSON.stringify(created.body));

    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (error) => console.error('page error:', error.message));
  });

  after(async () => {
    // The host first: closing it ends the long-polls it forwards, so the backend closes with none in flight.
    await browser?.close();
    await host?.close();
    await stack?.close();
  });

  it('starts a rollout from the start page and shows its weight change live', async () => {
    await page.goto(`${host.url}${APP}/start`);
    await page.getByPlaceholder('checkout').fill('checkout');
    await page.getByPlaceholder('v1').fill('v1');
    await page.getByPlaceholder('v2').fill('v2');
    await page.getByRole('button', { name: 'Start rollout' }).click();

    await page.waitForURL(new RegExp(`${APP}/rollouts/[0-9a-f-]{36}$`), PATIENCE);
    rolloutId = page.url().split('/').pop()!;
    const weight = page.getByTestId('current-weight');
    await weight.filter({ hasText: '5% on v2' }).waitFor(PATIENCE);
    await weight.filter({ hasText: '15% on v2' }).waitFor(PATIENCE);
    await weight.filter({ hasText: '30% on v2' }).waitFor(PATIENCE);
    await screenshot(page, 'rollout-detail-progressing');

    const row = (await stack.api('GET', `/rollouts/${rolloutId}`)).body.rollout;
    assert.equal(row.createdBy, 'alice', 'the proxy passes the Grafana user on as the actor');
  });

  it('shows each decision on the open detail page shortly after the backend takes it', async () => {
    await watchDecisionRows(page);
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const action = i % 2 === 0 ? 'pause' : 'resume';
      const answer = await stack.api(
        'POST',
        `/rollouts/${rolloutId}/actions`,
        { action, note: `probe ${i + 1}` },
        'latency-probe'
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const { seq, at } = answer.body.decision as { seq: number; at: number };
      await page.getByTestId(`decision-${seq}`).waitFor(PATIENCE);
      const seenAt = await decisionSeenAt(page, seq);
      assert.ok(seenAt !== undefined, `decision ${seq} was never recorded as shown`);
      latencies.push(seenAt - at);
    }

    const sorted = [...latencies].sort((a, b) => a - b);
    const median = (sorted[9]! + sorted[10]!) / 2;
    console.log(
      `decision → detail page, ${LATENCY_SAMPLES} decisions: median ${median} ms; all (ms): ${latencies.join(', ')}`
    );
    assert.equal(latencies.length, LATENCY_SAMPLES);
  });

  it('rolls the rollout back with the button and shows the decision in the log', async () => {
    await page.getByRole('button', { name: 'Roll back' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Note').fill('browser test says no');
    await dialog.getByRole('button', { name: 'Roll back' }).click();

    await page.getByText('Roll back: done').waitFor(PATIENCE);
    await page.getByTestId('current-weight').filter({ hasText: '0% on v2' }).waitFor(PATIENCE);
    const log = page.getByRole('table', { name: 'Decision log' });
    const rollbackRow = log.getByRole('row').filter({ hasText: 'rollback' }).filter({ hasText: 'alice' });
    await rollbackRow.first().waitFor(PATIENCE);
    assert.match(await rollbackRow.first().innerText(), /browser test says no/);
    await screenshot(page, 'rollout-detail-rolled-back');

    const stored = await stack.api('GET', `/rollouts/${rolloutId}`);
    assert.equal(stored.body.rollout.phase, 'rolled_back');
  });

  it('lists rollouts with their phase and keeps a live one moving', async () => {
    const started = await stack.api(
      'POST',
      '/rollouts',
      { service: 'search', baseline: 'v1', canary: 'v2', policy: POLICY },
      'bob'
    );
    assert.equal(started.status, 201, JSON.stringify(started.body));

    await page.goto(`${host.url}${APP}/rollouts`);
    const search = page.getByTestId(`rollout-row-${started.body.rollout.id}`);
    await search.waitFor(PATIENCE);
    await page.getByTestId(`rollout-row-${rolloutId}`).filter({ hasText: 'rolled back' }).waitFor(PATIENCE);
    await search.filter({ hasText: '15%' }).waitFor(PATIENCE);
    await screenshot(page, 'rollouts-list');
  });

  it('shows a service’s current rollout in the bundled panel', async () => {
    await page.goto(`${host.url}/panel?service=search`);
    await page.getByTestId('panel-weight').waitFor(PATIENCE);
    await page.getByText('error-rate').first().waitFor(PATIENCE);
    await screenshot(page, 'panel');

    await page.goto(`${host.url}/panel?service=checkout`);
    await page.getByTestId('no-rollout').waitFor(PATIENCE);
  });

  it('shows the backend’s validation error next to the step weight in the policy editor', async () => {
    await page.goto(`${host.url}${APP}/policies/${POLICY}`);
    const weight = page.locator('[data-pointer="/steps/1/weight"]');
    await weight.waitFor(PATIENCE);
    await weight.fill('3');
    await page.getByRole('button', { name: 'Save policy' }).click();

    const step = page.getByTestId('step-1');
    await step.getByText('weights must increase (3 after 5)').waitFor(PATIENCE);
    await screenshot(page, 'policy-editor-validation-error');
  });

  it('keeps the API token on the server: the configuration page never receives it', async () => {
    const settings = await page.request.get(`${host.url}/api/plugins/ashsan-sentra-app/settings`);
    const body = await settings.text();
    assert.ok(!body.includes(stack.token), 'the settings answer carries the token');

    await page.goto(`${host.url}/plugins/ashsan-sentra-app`);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Grafana reached the Sentra backend and the token was accepted').waitFor(PATIENCE);
    assert.ok(!(await page.content()).includes(stack.token), 'the page shows the token');
    await screenshot(page, 'config-page');
  });

  it('has the backend write its decisions to Grafana as annotations', async () => {
    for (let i = 0; i < 120 && host.annotations.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.ok(host.annotations.length > 0, 'no annotation reached the fake Grafana');
    assert.ok(host.annotations.some((a) => JSON.stringify(a).includes('checkout')));
  });
});

/** Saves the API token the way an administrator does on the configuration page. */
async function postSettingsToken(host: HostServer, token: string): Promise<void> {
  const response = await fetch(`${host.url}/api/plugins/ashsan-sentra-app/settings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secureJsonData: { apiToken: token } }),
  });
  assert.equal(response.status, 200);
}
