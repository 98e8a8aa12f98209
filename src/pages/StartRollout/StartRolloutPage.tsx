import React, { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { Button, Combobox, EmptyState, Field, Input, LinkButton, Stack } from '@grafana/ui';

import { sentraRequest } from '../../api/client';
import { SentraError } from '../../api/errors';
import type { PolicyRecord, RolloutDetail, StartRolloutRequest } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loadable } from '../../components/Loadable';
import { appUrl, ROUTES, rolloutUrl } from '../../constants';
import { useMutation } from '../../hooks/useMutation';
import { usePolicies } from '../../hooks/usePolicies';

type Form = StartRolloutRequest;

const EMPTY: Form = { service: '', baseline: '', canary: '', policy: '' };

export function StartRolloutPage() {
  const policies = usePolicies();
  return (
    <PluginPage>
      <Loadable
        query={policies}
        what="policies"
        isEmpty={(list) => list.length === 0}
        empty={
          <EmptyState
            variant="call-to-action"
            message="A rollout follows a policy, and there is none yet"
            button={
              <LinkButton icon="plus" href={appUrl(ROUTES.NewPolicy)}>
                New policy
              </LinkButton>
            }
          />
        }
      >
        {(list) => <StartRolloutForm policies={list} />}
      </Loadable>
    </PluginPage>
  );
}

function StartRolloutForm({ policies }: { policies: PolicyRecord[] }) {
  const navigate = useNavigate();
  const [form, setForm] = useState<Form>(() => ({ ...EMPTY, policy: policies.length === 1 ? policies[0]!.name : '' }));
  const start = useMutation((body: Form) => sentraRequest<RolloutDetail>('/rollouts', { method: 'POST', data: body }));
  const fieldErrors = start.error instanceof SentraError ? start.error.fields : [];
  const errorFor = (name: keyof Form) => fieldErrors.find((f) => f.field === `/${name}`)?.message;
  const otherError = start.error !== undefined && fieldErrors.length === 0;

  const change = (name: keyof Form) => (value: string) => setForm((current) => ({ ...current, [name]: value }));
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const trimmed = {
      service: form.service.trim(),
      baseline: form.baseline.trim(),
      canary: form.canary.trim(),
      policy: form.policy,
    };
    const created = await start.run(trimmed);
    if (created) {
      navigate(rolloutUrl(created.rollout.id));
    }
  };
  const missing = !form.service.trim() || !form.baseline.trim() || !form.canary.trim() || !form.policy;

  return (
    <form onSubmit={submit} aria-label="Start a rollout">
      <Stack direction="column" gap={2}>
        <TextInput
          label="Service"
          description="as the traffic controller and telemetry know it"
          value={form.service}
          error={errorFor('service')}
          onChange={change('service')}
          placeholder="checkout"
        />
        <TextInput
          label="Baseline version"
          description="what serves traffic now"
          value={form.baseline}
          error={errorFor('baseline')}
          onChange={change('baseline')}
          placeholder="v1"
        />
        <TextInput
          label="Canary version"
          description="the candidate"
          value={form.canary}
          error={errorFor('canary')}
          onChange={change('canary')}
          placeholder="v2"
        />
        <Field label="Policy" invalid={Boolean(errorFor('policy'))} error={errorFor('policy')} noMargin>
          <Combobox
            width={40}
            id="start-policy"
            options={policies.map((p) => ({ label: p.name, value: p.name, description: p.policy.description }))}
            value={form.policy || null}
            onChange={(option) => change('policy')(option.value)}
          />
        </Field>
        {otherError && <ErrorNotice error={start.error} action="Starting the rollout" />}
        <div>
          <Button type="submit" icon={start.running ? 'spinner' : 'play'} disabled={start.running || missing}>
            Start rollout
          </Button>
        </div>
      </Stack>
    </form>
  );
}

interface TextInputProps {
  label: string;
  description: string;
  value: string;
  error?: string;
  placeholder: string;
  onChange: (value: string) => void;
}

function TextInput({ label, description, value, error, placeholder, onChange }: TextInputProps) {
  return (
    <Field label={label} description={description} invalid={Boolean(error)} error={error} noMargin>
      <Input width={40} value={value} placeholder={placeholder} onChange={(e) => onChange(e.currentTarget.value)} />
    </Field>
  );
}
