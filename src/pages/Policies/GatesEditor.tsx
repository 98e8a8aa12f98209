import React from 'react';
import { Button, Card, IconButton, Stack } from '@grafana/ui';

import { COMPARISONS, GATE_KIND_NAMES, PROVIDER_NAMES } from './vocabulary';
import { ChoiceField, NumberField, PointerError, SwitchField, TextField, usePolicyForm } from './policyForm';
import { appendItem, getAt, removeItem } from './pointer';
import { DataSourceField } from './DataSourceField';

/** What a gate of each kind starts with when its kind is chosen. */
const KIND_DEFAULTS: Record<string, Record<string, unknown>> = {
  'error-rate': {},
  'error-ratio': { max: 0.01 },
  latency: { threshold: 0.5, maxFraction: 0.05 },
  'burn-rate': { objective: 0.999, factor: 14.4 },
  query: { query: '', op: '<', threshold: 0 },
  'new-errors': { provider: 'loki', minOccurrences: 3 },
};

const COMMON_KEYS = ['name', 'provider', 'datasourceUid', 'minSamples'];

export function GatesEditor() {
  const form = usePolicyForm();
  const gates = getAt(form.draft, '/gates');
  const list = Array.isArray(gates) ? (gates as Array<Record<string, unknown>>) : [];

  const chooseKind = (i: number, kind: string) => {
    const common = Object.fromEntries(Object.entries(list[i] ?? {}).filter(([key]) => COMMON_KEYS.includes(key)));
    form.set(`/gates/${i}`, { ...common, kind, ...KIND_DEFAULTS[kind] });
  };
  const add = () =>
    form.set(
      '/gates',
      appendItem(form.draft, '/gates', { name: `gate-${list.length + 1}`, kind: 'error-rate', provider: 'router' })
        .gates
    );
  const remove = (i: number) => form.set('/gates', removeItem(form.draft, '/gates', i).gates);

  return (
    <Stack direction="column" gap={1}>
      <PointerError pointer="/gates" />
      {list.map((gate, i) => (
        <Card key={i} data-testid={`gate-editor-${i}`}>
          <Card.Heading>{typeof gate.name === 'string' && gate.name ? gate.name : `Gate ${i + 1}`}</Card.Heading>
          <Card.Description>
            <Stack direction="column" gap={2}>
              <PointerError pointer={`/gates/${i}`} />
              <Stack gap={2} wrap="wrap">
                <TextField pointer={`/gates/${i}/name`} label="Name" width={20} />
                <ChoiceField
                  pointer={`/gates/${i}/kind`}
                  label="Kind"
                  options={GATE_KIND_NAMES}
                  onChoose={(kind) => chooseKind(i, kind)}
                />
                <ChoiceField pointer={`/gates/${i}/provider`} label="Provider" options={PROVIDER_NAMES} />
              </Stack>
              <Stack gap={2} wrap="wrap">
                <DataSourceField pointer={`/gates/${i}/datasourceUid`} provider={String(gate.provider ?? '')} />
                <NumberField pointer={`/gates/${i}/minSamples`} label="Minimum samples" placeholder="none" />
              </Stack>
              <KindFields index={i} kind={String(gate.kind ?? '')} />
            </Stack>
          </Card.Description>
          <Card.SecondaryActions>
            <IconButton name="trash-alt" tooltip={`Remove gate ${i + 1}`} onClick={() => remove(i)} />
          </Card.SecondaryActions>
        </Card>
      ))}
      <div>
        <Button variant="secondary" icon="plus" size="sm" onClick={add}>
          Add gate
        </Button>
      </div>
    </Stack>
  );
}

function KindFields({ index, kind }: { index: number; kind: string }) {
  const at = (field: string) => `/gates/${index}/${field}`;
  switch (kind) {
    case 'error-rate':
      return (
        <Stack direction="column" gap={2}>
          <CountQueryFields index={index} />
          <SequentialFields index={index} />
        </Stack>
      );
    case 'error-ratio':
      return (
        <Stack direction="column" gap={2}>
          <CountQueryFields index={index} />
          <Stack gap={2} wrap="wrap">
            <NumberField pointer={at('max')} label="Highest error ratio" description="0–1" />
            <TextField pointer={at('window')} label="Window" placeholder="1m" width={10} />
          </Stack>
        </Stack>
      );
    case 'latency':
      return (
        <Stack direction="column" gap={2}>
          <Stack gap={2} wrap="wrap">
            <TextField
              pointer={at('query/histogram')}
              label="Histogram metric"
              placeholder="http_request_duration_seconds"
              width={32}
            />
            <TextField
              pointer={at('query/selector')}
              label="Label selector"
              placeholder='service="$service",version="$version"'
              width={36}
            />
            <NumberField pointer={at('threshold')} label="Threshold (s)" />
            <NumberField pointer={at('maxFraction')} label="Highest share slower" description="0–1" />
            <NumberField pointer={at('quantile')} label="or quantile" description="0–1" />
            <TextField pointer={at('window')} label="Window" placeholder="1m" width={10} />
            <SwitchField pointer={at('compare')} label="Compare with the baseline" />
          </Stack>
          <SequentialFields index={index} />
        </Stack>
      );
    case 'burn-rate':
      return (
        <Stack direction="column" gap={2}>
          <CountQueryFields index={index} />
          <Stack gap={2} wrap="wrap">
            <NumberField pointer={at('objective')} label="Objective" description="share of good requests, e.g. 0.999" />
            <NumberField pointer={at('factor')} label="Burn rate factor" description="e.g. 14.4" />
            <TextField pointer={at('longWindow')} label="Long window" placeholder="1h" width={10} />
            <TextField pointer={at('shortWindow')} label="Short window" placeholder="5m" width={10} />
          </Stack>
        </Stack>
      );
    case 'query':
      return (
        <Stack gap={2} wrap="wrap">
          <TextField pointer={at('query')} label="Query" width={60} placeholder="one number for $version" />
          <ChoiceField pointer={at('op')} label="Passes when value is" options={COMPARISONS} />
          <NumberField pointer={at('threshold')} label="Threshold" />
          <TextField pointer={at('samplesQuery')} label="Samples query" width={40} placeholder="none" />
        </Stack>
      );
    case 'new-errors':
      return (
        <Stack gap={2} wrap="wrap">
          <TextField
            pointer={at('query/errors')}
            label="Error lines query (LogQL)"
            width={60}
            placeholder="provider default: the version's error lines"
          />
          <NumberField pointer={at('minOccurrences')} label="Fail after" description="occurrences of a new template" />
          <TextField pointer={at('baselineLookback')} label="Baseline look-back" placeholder="1h" width={10} />
        </Stack>
      );
    default:
      return null;
  }
}

/** The sequential test's settings, shared by the gates that compare canary with baseline. */
function SequentialFields({ index }: { index: number }) {
  const at = (field: string) => `/gates/${index}/${field}`;
  return (
    <Stack gap={2} wrap="wrap">
      <NumberField pointer={at('tolerance/relative')} label="Tolerated relative increase" placeholder="e.g. 0.5" />
      <NumberField pointer={at('tolerance/absolute')} label="Tolerated absolute increase" placeholder="e.g. 0.001" />
      <NumberField pointer={at('alpha')} label="Alpha" description="wrong rollbacks" placeholder="default" />
      <NumberField pointer={at('beta')} label="Beta" description="missed regressions" placeholder="default" />
    </Stack>
  );
}

function CountQueryFields({ index }: { index: number }) {
  return (
    <Stack gap={2} wrap="wrap">
      <TextField
        pointer={`/gates/${index}/query/requests`}
        label="Requests query"
        placeholder="provider default"
        width={48}
      />
      <TextField
        pointer={`/gates/${index}/query/errors`}
        label="Errors query"
        placeholder="provider default"
        width={48}
      />
    </Stack>
  );
}
