import React from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import type { AppRootProps } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { EmptyState, LinkButton } from '@grafana/ui';

import type { AppSettings } from '../../api/types';
import { PLUGIN_ID, ROUTES } from '../../constants';
import { PoliciesPage } from '../../pages/Policies/PoliciesPage';
import { PolicyEditorPage } from '../../pages/Policies/PolicyEditorPage';
import { RolloutDetailPage } from '../../pages/RolloutDetail/RolloutDetailPage';
import { RolloutsPage } from '../../pages/Rollouts/RolloutsPage';
import { StartRolloutPage } from '../../pages/StartRollout/StartRolloutPage';

export function App({ meta }: AppRootProps<AppSettings>) {
  if (!meta.jsonData?.backendUrl) {
    return <NotConfigured />;
  }
  return (
    <Routes>
      <Route path={ROUTES.Rollouts} element={<RolloutsPage />} />
      <Route path={`${ROUTES.Rollouts}/:id`} element={<RolloutDetailPage />} />
      <Route path={ROUTES.StartRollout} element={<StartRolloutPage />} />
      <Route path={ROUTES.Policies} element={<PoliciesPage />} />
      <Route path={ROUTES.NewPolicy} element={<PolicyEditorPage />} />
      <Route path={`${ROUTES.Policies}/:name`} element={<PolicyEditorPage />} />
      <Route path="*" element={<Navigate to={ROUTES.Rollouts} replace />} />
    </Routes>
  );
}

function NotConfigured() {
  return (
    <PluginPage>
      <EmptyState
        variant="call-to-action"
        message="Sentra is not connected to its backend yet"
        button={
          <LinkButton icon="cog" href={`/plugins/${PLUGIN_ID}`}>
            Open the configuration page
          </LinkButton>
        }
      >
        An administrator sets the backend URL and its API token on the configuration page.
      </EmptyState>
    </PluginPage>
  );
}

export default App;
