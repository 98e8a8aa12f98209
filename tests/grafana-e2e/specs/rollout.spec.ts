import { expect, test } from '@grafana/plugin-e2e';
import type { Page } from '@playwright/test';

import { annotations, sentraApi } from './sentra.ts';

const TERMINAL = ['completed', 'rolled_back', 'aborted'];

/** Two short steps judged on the router's metrics in Prometheus, so that a rollout ends within a minute. */
function quickPolicy(name: string) {
  return {
    name,
    description: 'Grafana end-to-end specs: two short steps.',
    steps: [
      { weight: 20, minDuration: '5s', maxDuration: '30s' },
      { weight: 60, minDuration: '5s', maxDuration: '30s' },
    ],
    gates: [{ name: 'error-ratio', kind: 'error-ratio', provider: 'prometheus', max: 0.05, minSamples: 20 }],
    limits: { tickInterval: '1s', telemetryLag: '1s', queryTimeout: '2s', noDataTicks: 30 },
  };
}

async function rolloutPhase(page: Page, id: string): Promise<string> {
  const response = await page.request.get(sentraApi(`/rollouts/${id}`));
  return (await response.json()).rollout.phase;
}

test('a rollout of the demo service leaves its region and each decision as Grafana annotations', async ({ page }) => {
  const name = `e2e-${Date.now()}`;
  const policy = await page.request.post(sentraApi('/policies'), { data: quickPolicy(name) });
  expect(policy.status(), await policy.text()).toBe(201);

  const started = await page.request.post(sentraApi('/rollouts'), {
    data: { service: 'demo', baseline: 'v1', canary: 'v2', policy: name },
  });
  expect(started.status(), await started.text()).toBe(201);
  const { rollout } = await started.json();

  try {
    await expect
      .poll(() => rolloutPhase(page, rollout.id), { timeout: 120_000, intervals: [2000] })
      .toMatch(new RegExp(`^(${TERMINAL.join('|')})$`));
    const ended = (await (await page.request.get(sentraApi(`/rollouts/${rollout.id}`))).json()).rollout;

    const regions = () => annotations(page, [`sentra-rollout:${rollout.id}`], rollout.startedAt);
    await expect
      .poll(async () => (await regions()).map((r) => r.timeEnd), { timeout: 60_000 })
      .toEqual([ended.endedAt]);

    const decisions = async () =>
      (await annotations(page, ['sentra', 'service:demo'], rollout.startedAt))
        .filter((a) => a.tags.some((t) => t.startsWith(`sentra-decision:${rollout.id}/`)))
        .flatMap((a) => a.tags.filter((t) => t.startsWith('decision:')));
    const last = { completed: 'decision:complete', rolled_back: 'decision:rollback', aborted: 'decision:abort' }[
      ended.phase as 'completed' | 'rolled_back' | 'aborted'
    ];
    await expect.poll(decisions, { timeout: 60_000 }).toContain(last);
    expect(await decisions()).not.toContain('decision:hold');
  } finally {
    if (!TERMINAL.includes(await rolloutPhase(page, rollout.id))) {
      await page.request.post(sentraApi(`/rollouts/${rollout.id}/actions`), {
        data: { action: 'abort', note: 'e2e cleanup' },
      });
    }
  }
});
