import React, { useState } from 'react';
import { Alert, Button, Field, Input, LoadingPlaceholder, RadioButtonGroup, Stack, Text } from '@grafana/ui';

import { SentraError } from '../../api/errors';
import type { FieldError, ReplayResult } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useReplay, type ReplayAnswer } from '../../hooks/useReplay';
import type { PolicyDraft } from './policyForm';
import {
  isoSeconds,
  NO_REPLAY_INPUTS,
  REPLAY_RANGES,
  replayReady,
  replayRequest,
  sameReplayInputs,
  sortReplayErrors,
  type ReplayInputName,
  type ReplayInputs,
  type ReplayRange,
} from './replayForm';
import { ReplayResultView } from './ReplayResultView';

interface Props {
  /** The policy as edited now: it is sent inline, saved or not. */
  policy: PolicyDraft;
  /** Shows the backend's errors about the policy itself next to the editor's fields; an empty list clears them. */
  onPolicyErrors: (errors: FieldError[]) => void;
}

/** What the shown result was asked with, to tell when the form or the policy has moved on since. */
interface Sent {
  inputs: ReplayInputs;
  policy: PolicyDraft;
}

const HOUR_MS = 3_600_000;

/**
 * "What would this policy have done?": the edited policy judged by the
 * backend against a past range of real telemetry, tick by tick.
 */
export function ReplaySection({ policy, onPolicyErrors }: Props) {
  const [inputs, setInputs] = useState<ReplayInputs>(NO_REPLAY_INPUTS);
  const [sent, setSent] = useState<Sent | null>(null);
  // Inputs edited since the last run: that run's errors about them no longer apply.
  const [edited, setEdited] = useState<ReplayInputName[]>([]);
  const replay = useReplay((answer: ReplayAnswer) => {
    // A replayed policy passed the backend's checks in full. A refusal says nothing about the
    // policy unless it names its fields: the body's own checks come first.
    const policyErrors = answer.ok ? [] : sortReplayErrors(fieldsOf(answer.error)).policy;
    if (answer.ok || policyErrors.length > 0) {
      onPolicyErrors(policyErrors);
    }
  });
  const ownErrors = sortReplayErrors(fieldsOf(replay.error)).own;

  const form: ReplayFormState = {
    inputs,
    errorAt: (...names) => {
      const live = ownErrors.filter((e) => names.some((n) => e.field === `/${n}` && !edited.includes(n)));
      return live.length > 0 ? live.map((e) => e.message).join('; ') : undefined;
    },
    change: (name, value) => {
      setInputs((current) => ({ ...current, [name]: value }));
      setEdited((current) => [...current, name]);
    },
    chooseRange: (range) => {
      // A custom range starts as the last hour, written out, for the user to move.
      const now = Date.now();
      const { from, to } = inputs;
      setInputs({ ...inputs, range, from: from || isoSeconds(now - HOUR_MS), to: to || isoSeconds(now) });
      setEdited((current) => [...current, 'from', 'to']);
    },
  };
  const run = () => {
    setSent({ inputs, policy });
    setEdited([]);
    void replay.run(replayRequest(inputs, policy));
  };

  return (
    <Stack direction="column" gap={2}>
      <Text color="secondary">
        Judges the policy as edited here, saved or not, against a past range of the backend’s telemetry, tick by tick,
        as if a rollout had started at the beginning of the range. Replay changes nothing: no rollout is stored and no
        traffic moves. Nor can it change the past: every verdict is judged on the traffic split that really ran at the
        time, and the weights shown are the ones the policy’s steps would have set.
      </Text>
      <ReplayForm form={form} />
      <div>
        <Button
          icon={replay.running ? 'spinner' : 'history'}
          onClick={run}
          disabled={replay.running || !replayReady(inputs)}
        >
          Replay
        </Button>
      </div>
      <ReplayState
        running={replay.running}
        result={replay.result}
        error={replay.error}
        stale={sent !== null && (sent.policy !== policy || !sameReplayInputs(sent.inputs, inputs))}
        policy={sent?.policy ?? policy}
      />
    </Stack>
  );
}

interface ReplayFormState {
  inputs: ReplayInputs;
  /** The last run's messages about these inputs, unless they were edited since. */
  errorAt: (...names: ReplayInputName[]) => string | undefined;
  change: (name: ReplayInputName, value: string) => void;
  chooseRange: (range: ReplayRange) => void;
}

const INSTANT_HINT = 'ISO 8601 with a zone, "now", or e.g. -30m';

/** What to replay: the service, its two versions, and the past range. */
function ReplayForm({ form }: { form: ReplayFormState }) {
  const custom = form.inputs.range === 'custom';
  // A relative range is sent as from and to together, so the range's one field carries what is said of either.
  const rangeError = custom ? undefined : form.errorAt('from', 'to');
  return (
    <>
      <Stack gap={2} wrap="wrap">
        <ReplayInput form={form} name="service" label="Service" placeholder="checkout" />
        <ReplayInput form={form} name="baseline" label="Baseline version" placeholder="v1" />
        <ReplayInput form={form} name="canary" label="Canary version" placeholder="v2" />
      </Stack>
      <div data-testid="replay-range">
        <Field
          label="Range"
          description="relative ranges end at the backend’s now; a replay covers at most 2,000 ticks of the policy’s tick interval"
          invalid={Boolean(rangeError)}
          error={rangeError}
          noMargin
        >
          <RadioButtonGroup options={[...REPLAY_RANGES]} value={form.inputs.range} onChange={form.chooseRange} />
        </Field>
      </div>
      {custom && (
        <Stack gap={2} wrap="wrap">
          <ReplayInput form={form} name="from" label="From" description={INSTANT_HINT} />
          <ReplayInput form={form} name="to" label="To" description={INSTANT_HINT} />
        </Stack>
      )}
    </>
  );
}

interface ReplayInputProps {
  form: ReplayFormState;
  name: ReplayInputName;
  label: string;
  description?: string;
  placeholder?: string;
}

function ReplayInput({ form, name, label, description, placeholder }: ReplayInputProps) {
  const error = form.errorAt(name);
  const id = `replay-${name}`;
  return (
    <Field label={label} description={description} invalid={Boolean(error)} error={error} htmlFor={id} noMargin>
      <Input
        id={id}
        width={name === 'from' || name === 'to' ? 28 : 20}
        value={form.inputs[name]}
        placeholder={placeholder}
        data-replay-field={`/${name}`}
        onChange={(e) => form.change(name, e.currentTarget.value)}
      />
    </Field>
  );
}

interface ReplayStateProps {
  running: boolean;
  result: ReplayResult | undefined;
  error: unknown;
  /** The policy or the form changed after the shown result was asked for. */
  stale: boolean;
  /** The policy the shown result was replayed with. */
  policy: PolicyDraft;
}

function ReplayState({ running, result, error, stale, policy }: ReplayStateProps) {
  if (running) {
    return <LoadingPlaceholder text="Replaying the range tick by tick…" />;
  }
  if (error !== undefined) {
    return <ReplayFailure error={error} />;
  }
  if (result === undefined) {
    return <Text color="secondary">Nothing replayed yet.</Text>;
  }
  return (
    <Stack direction="column" gap={2}>
      {stale && (
        <Alert severity="info" title="Edited since this replay">
          The policy or the replay’s inputs changed after it ran; replay again to see what the edited policy would have
          done.
        </Alert>
      )}
      <ReplayResultView result={result} policy={policy} />
    </Stack>
  );
}

/**
 * Errors about the form's own inputs show next to them and errors about the
 * policy next to the editor's fields; this says what is left, once.
 */
function ReplayFailure({ error }: { error: unknown }) {
  const errors = sortReplayErrors(fieldsOf(error));
  const placed = errors.own.length + errors.policy.length;
  if (placed === 0 || errors.other.length > 0) {
    return <ErrorNotice error={error} action="Replaying the policy" />;
  }
  if (errors.policy.length === 0) {
    return null;
  }
  const count = errors.policy.length === 1 ? '1 field' : `${errors.policy.length} fields`;
  return (
    <Alert severity="error" title="The policy cannot be replayed as it is">
      {count} of the policy need fixing first; each is marked above, next to its field.
    </Alert>
  );
}

function fieldsOf(error: unknown): FieldError[] {
  return error instanceof SentraError ? error.fields : [];
}
