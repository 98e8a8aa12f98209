import React from 'react';
import { Stack } from '@grafana/ui';

import { NumberField, TextField } from './policyForm';

/** The policy's budgets; an empty field keeps the backend's default. */
export function LimitsEditor() {
  return (
    <Stack gap={2} wrap="wrap">
      <TextField pointer="/limits/tickInterval" label="Judge every" placeholder="default" width={10} />
      <NumberField pointer="/limits/noDataTicks" label="Ticks without data before pausing" placeholder="default" />
      <NumberField pointer="/limits/errorTicks" label="Failed-query ticks before pausing" placeholder="default" />
      <NumberField pointer="/limits/failTicks" label="Failing ticks before rolling back" placeholder="default" />
      <TextField pointer="/limits/telemetryLag" label="Telemetry lag" placeholder="default" width={10} />
      <TextField pointer="/limits/queryTimeout" label="Query timeout" placeholder="default" width={10} />
    </Stack>
  );
}
