import React from 'react';
import { Button, IconButton, Stack, Text } from '@grafana/ui';

import { NumberField, PointerError, SwitchField, TextField, usePolicyForm } from './policyForm';
import { appendItem, getAt, removeItem } from './pointer';

export function StepsEditor() {
  const form = usePolicyForm();
  const steps = getAt(form.draft, '/steps');
  const list = Array.isArray(steps) ? steps : [];

  const add = () => {
    const last = list[list.length - 1] as { weight?: number; minDuration?: string } | undefined;
    const weight = Math.min(100, (last?.weight ?? 0) + 25);
    form.set('/steps', appendItem(form.draft, '/steps', { weight, minDuration: last?.minDuration ?? '1m' }).steps);
  };
  const remove = (index: number) => form.set('/steps', removeItem(form.draft, '/steps', index).steps);

  return (
    <Stack direction="column" gap={2}>
      <PointerError pointer="/steps" />
      {list.map((_, i) => (
        <Stack key={i} gap={2} alignItems="flex-start" wrap="wrap" data-testid={`step-${i}`}>
          <Stack direction="column" gap={0.5}>
            <Stack gap={0.5} alignItems="center">
              <Text weight="medium">Step {i + 1}</Text>
              <IconButton name="trash-alt" tooltip={`Remove step ${i + 1}`} onClick={() => remove(i)} />
            </Stack>
            <PointerError pointer={`/steps/${i}`} />
          </Stack>
          <NumberField pointer={`/steps/${i}/weight`} label="Weight (%)" width={10} />
          <TextField pointer={`/steps/${i}/minDuration`} label="Hold at least" placeholder="1m" width={10} />
          <TextField pointer={`/steps/${i}/maxDuration`} label="Hold at most" placeholder="none" width={10} />
          <SwitchField pointer={`/steps/${i}/pause`} label="Then wait for resume" />
          <TextField
            pointer={`/steps/${i}/headerRoute/header`}
            label="Header route: header"
            placeholder="X-Canary"
            width={16}
          />
          <TextField pointer={`/steps/${i}/headerRoute/value`} label="value" placeholder="always" width={12} />
        </Stack>
      ))}
      <div>
        <Button variant="secondary" icon="plus" size="sm" onClick={add}>
          Add step
        </Button>
      </div>
    </Stack>
  );
}
