import React, { useMemo } from 'react';
import { getDataSourceSrv } from '@grafana/runtime';
import { Combobox, Field, RadioButtonGroup } from '@grafana/ui';

import { TextField, useFieldState } from './policyForm';

/** The Grafana data source types a gate of each provider can read. */
const TYPES_BY_PROVIDER: Record<string, string[]> = {
  prometheus: ['prometheus'],
  loki: ['loki'],
  tempo: ['tempo'],
  grafana: ['prometheus', 'loki', 'tempo'],
};

const RADIO_LIMIT = 7;

interface Source {
  uid: string;
  name: string;
  type: string;
}

/**
 * Grafana's own Prometheus, Loki and Tempo data sources of the gate's kind. Null when
 * Grafana's data source list is not available, and the uid can only be typed.
 */
function useDataSources(provider: string): Source[] | null {
  return useMemo(() => {
    const types = TYPES_BY_PROVIDER[provider] ?? [];
    try {
      const all = getDataSourceSrv().getList({ filter: (ds) => types.includes(ds.type) });
      return all.map((ds) => ({ uid: ds.uid, name: ds.name, type: ds.type }));
    } catch {
      return null;
    }
  }, [provider]);
}

/**
 * The gate's Grafana data source, picked from Grafana's list: the one the `grafana`
 * provider queries through, and the one Explore links open for the others.
 */
export function DataSourceField({ pointer, provider }: { pointer: string; provider: string }) {
  const { value, error, set } = useFieldState(pointer);
  const sources = useDataSources(provider);
  if (provider === 'router') {
    return null;
  }
  if (sources === null) {
    return <TextField pointer={pointer} label="Grafana data source uid" placeholder="none" width={20} />;
  }
  const current = typeof value === 'string' ? value : '';
  const options = [
    { label: 'none', value: '' },
    ...sources.map((s) => ({ label: s.name, value: s.uid, description: `${s.type} · ${s.uid}` })),
  ];
  if (current && !sources.some((s) => s.uid === current)) {
    options.push({ label: `${current} (not in Grafana)`, value: current, description: 'unknown data source uid' });
  }
  const choose = (uid: string | undefined) => set(uid ? uid : undefined);
  // A handful of data sources read best as buttons, like the editor's other choices; a long list needs a search.
  if (options.length <= RADIO_LIMIT) {
    return (
      <Field label="Grafana data source" invalid={Boolean(error)} error={error} noMargin>
        <RadioButtonGroup size="sm" options={options} value={current} onChange={choose} />
      </Field>
    );
  }
  return (
    <Field label="Grafana data source" invalid={Boolean(error)} error={error} noMargin>
      <Combobox
        width={30}
        id={`field-${pointer}`}
        data-pointer={pointer}
        options={options}
        value={current}
        onChange={(option) => choose(option?.value)}
      />
    </Field>
  );
}
