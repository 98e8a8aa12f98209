import React from 'react';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { setDataSourceSrv } from '@grafana/runtime';
import type { DataSourceSrv } from '@grafana/runtime';

import { FakeBackend } from '../../test/fakeBackend';
import { renderAt } from '../../test/render';
import { PolicyEditorPage } from './PolicyEditorPage';

const SOURCES = [
  { uid: 'sentra-prometheus', name: 'Prometheus', type: 'prometheus' },
  { uid: 'sentra-loki', name: 'Loki', type: 'loki' },
  { uid: 'sentra-tempo', name: 'Tempo', type: 'tempo' },
  { uid: 'mysql-main', name: 'MySQL', type: 'mysql' },
];

/** Grafana's data source list, as `getDataSourceSrv().getList` answers it. */
function grafanaHas(sources: typeof SOURCES) {
  const srv = {
    getList: ({ filter }: { filter?: (ds: { type: string }) => boolean }) => sources.filter((s) => !filter || filter(s)),
  };
  setDataSourceSrv(srv as unknown as DataSourceSrv);
}

function renderNew() {
  return renderAt('/a/ashsan-sentra-app/policies/new', '/a/ashsan-sentra-app/policies/new', <PolicyEditorPage />);
}

describe('a gate’s Grafana data source', () => {
  test('is picked from Grafana’s data sources of the provider’s type, and stored by uid', async () => {
    grafanaHas(SOURCES);
    new FakeBackend();
    renderNew();

    await userEvent.click(screen.getByRole('radio', { name: 'prometheus' }));

    expect(screen.getByRole('radio', { name: 'Prometheus' })).toBeInTheDocument();
    expect(screen.queryByRole('radio', { name: 'Loki' })).toBeNull();
    expect(screen.queryByRole('radio', { name: 'MySQL' })).toBeNull();

    await userEvent.click(screen.getByRole('radio', { name: 'Prometheus' }));
    await userEvent.click(screen.getByRole('button', { name: /As YAML/ }));
    expect(await screen.findByText(/datasourceUid: sentra-prometheus/)).toBeInTheDocument();
  });

  test('offers Prometheus, Loki and Tempo data sources to a gate that queries through Grafana', async () => {
    grafanaHas(SOURCES);
    new FakeBackend();
    renderNew();

    await userEvent.click(screen.getByRole('radio', { name: 'grafana' }));

    for (const name of ['Prometheus', 'Loki', 'Tempo']) {
      expect(screen.getByRole('radio', { name })).toBeInTheDocument();
    }
    expect(screen.queryByRole('radio', { name: 'MySQL' })).toBeNull();
  });
});
