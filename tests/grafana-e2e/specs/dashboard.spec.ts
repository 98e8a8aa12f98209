import { expect, test } from '@grafana/plugin-e2e';

import { DEMO_DASHBOARD } from './sentra.ts';

test("the demo dashboard shows the Sentra panel for the demo service and the demo's traffic by version", async ({
  gotoDashboardPage,
  readProvisionedDashboard,
}) => {
  const dashboard = await readProvisionedDashboard({ fileName: DEMO_DASHBOARD });
  const dashboardPage = await gotoDashboardPage({ uid: dashboard.uid });

  const sentra = dashboardPage.getPanelByTitle('Sentra: demo rollout');
  await expect(sentra.locator).toBeVisible();
  await expect(sentra.locator).not.toContainText('Choose a service');

  const traffic = dashboardPage.getPanelByTitle('Requests per second by version');
  await expect(traffic.locator.getByText('v1', { exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(dashboardPage).not.toHavePanelErrors();
});
