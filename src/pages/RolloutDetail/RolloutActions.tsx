import React, { useState } from 'react';
import { Alert, Button, ConfirmModal, Field, Input, Stack } from '@grafana/ui';

import { sentraRequest } from '../../api/client';
import type { Action, ActionResult, Phase } from '../../api/types';
import { phaseText } from '../../components/Badges';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useMutation } from '../../hooks/useMutation';

interface ActionText {
  label: string;
  /** What the action will do, shown before it is confirmed. */
  effect: string;
  destructive: boolean;
  allowedIn: Phase[];
}

const LIVE: Phase[] = ['progressing', 'paused'];

export const ACTION_TEXT: Record<Action, ActionText> = {
  pause: {
    label: 'Pause',
    effect: 'The canary stays at its current weight and no step advances until someone resumes.',
    destructive: false,
    allowedIn: ['progressing'],
  },
  resume: {
    label: 'Resume',
    effect: 'Gates are judged again and steps advance when they pass.',
    destructive: false,
    allowedIn: ['paused'],
  },
  promote: {
    label: 'Promote',
    effect: 'All traffic goes to the canary now, skipping the remaining steps and gates; the rollout completes.',
    destructive: true,
    allowedIn: LIVE,
  },
  rollback: {
    label: 'Roll back',
    effect: 'All traffic goes back to the baseline and the rollout ends as rolled back.',
    destructive: true,
    allowedIn: LIVE,
  },
  abort: {
    label: 'Abort',
    effect: 'All traffic goes back to the baseline and the rollout ends as aborted.',
    destructive: true,
    allowedIn: LIVE,
  },
};

const ORDER: Action[] = ['pause', 'resume', 'promote', 'rollback', 'abort'];

interface Props {
  rolloutId: string;
  service: string;
  phase: Phase;
  onDone: (result: ActionResult) => void;
}

/** Operator buttons; each asks for confirmation, then shows what the backend decided. */
export function RolloutActions({ rolloutId, service, phase, onDone }: Props) {
  const [pending, setPending] = useState<Action | null>(null);
  const [note, setNote] = useState('');
  const [lastAction, setLastAction] = useState<Action | null>(null);
  const mutation = useMutation((action: Action, text: string) =>
    sentraRequest<ActionResult>(`/rollouts/${encodeURIComponent(rolloutId)}/actions`, {
      method: 'POST',
      data: text ? { action, note: text } : { action },
    })
  );

  const confirm = async () => {
    if (pending === null) {
      return;
    }
    const action = pending;
    setPending(null);
    setLastAction(action);
    const result = await mutation.run(action, note.trim());
    setNote('');
    if (result) {
      onDone(result);
    }
  };

  return (
    <Stack direction="column" gap={1}>
      <Stack gap={1} wrap="wrap">
        {ORDER.map((action) => (
          <Button
            key={action}
            variant={ACTION_TEXT[action].destructive ? 'destructive' : 'secondary'}
            fill={action === 'abort' ? 'outline' : 'solid'}
            disabled={mutation.running || !ACTION_TEXT[action].allowedIn.includes(phase)}
            onClick={() => setPending(action)}
          >
            {ACTION_TEXT[action].label}
          </Button>
        ))}
      </Stack>
      {lastAction && mutation.result && (
        <Alert severity="success" title={`${ACTION_TEXT[lastAction].label}: done`} onRemove={mutation.reset}>
          {mutation.result.decision.reason} — now {phaseText(mutation.result.rollout.phase)} at{' '}
          {mutation.result.rollout.weight}%.
        </Alert>
      )}
      {lastAction && mutation.error !== undefined && (
        <ErrorNotice error={mutation.error} action={ACTION_TEXT[lastAction].label} />
      )}
      <ConfirmModal
        isOpen={pending !== null}
        title={pending ? `${ACTION_TEXT[pending].label} the rollout of ${service}?` : ''}
        body={
          pending && (
            <Stack direction="column" gap={1}>
              <div>{ACTION_TEXT[pending].effect}</div>
              <Field label="Note (optional)" description="Kept with the decision in the log." noMargin>
                <Input value={note} onChange={(e) => setNote(e.currentTarget.value)} aria-label="Note" />
              </Field>
            </Stack>
          )
        }
        confirmText={pending ? ACTION_TEXT[pending].label : 'Confirm'}
        confirmVariant={pending && ACTION_TEXT[pending].destructive ? 'destructive' : 'primary'}
        onConfirm={confirm}
        onDismiss={() => setPending(null)}
      />
    </Stack>
  );
}
