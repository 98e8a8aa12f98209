import React from 'react';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import type { Policy, ReplayRequest } from '../../api/types';
import { FakeBackend, invalidInput, type Reply } from '../../test/fakeBackend';
import { aPolicy, aPolicyRecord, aReplayTick, aRolledBackReplay, T0 } from '../../test/builders';
import { renderAt } from '../../test/render';
import { PolicyEditorPage } from './PolicyEditorPage';

const ON_PROMETHEUS = aPolicy({ gates: [{ name: 'errors-prom', kind: 'error-rate', provider: 'prometheus' }] });

function backendWith(policy: Policy): FakeBackend {
  return new FakeBackend().on('GET', '/policies/standard', { data: aPolicyRecord({ policy }) });
}

function field(pointer: string): HTMLElement {
  const input = document.querySelector(`[data-pointer="${pointer}"]`);
  if (!(input instanceof HTMLElement)) {
    throw new Error(`no input for ${pointer}`);
  }
  return input;
}

function replayInput(name: string): HTMLElement {
  const input = document.querySelector(`[data-replay-field="/${name}"]`);
  if (!(input instanceof HTMLElement)) {
    throw new Error(`no replay input for ${name}`);
  }
  return input;
}

function replaySection(): HTMLElement {
  return screen.getByRole('region', { name: 'What would this policy have done?' });
}

/** Opens the stored policy, names what to replay, and starts the replay. */
async function replayStandard(choose?: () => Promise<void>) {
  renderAt('/a/ashsan-sentra-app/policies/standard', '/a/ashsan-sentra-app/policies/:name', <PolicyEditorPage />);
  await waitFor(() => expect(field('/name')).toHaveValue('standard'));
  await userEvent.type(replayInput('service'), 'checkout');
  await userEvent.type(replayInput('baseline'), 'v1');
  await userEvent.type(replayInput('canary'), 'v2');
  await choose?.();
  await userEvent.click(within(replaySection()).getByRole('button', { name: 'Replay' }));
}

function sentBody(backend: FakeBackend): ReplayRequest {
  const calls = backend.callsTo('POST', '/replay');
  expect(calls).toHaveLength(1);
  return calls[0]!.data as ReplayRequest;
}

describe('Replay in the policy editor', () => {
  test('a rolled-back replay shows when it would have rolled back, the rollback tick and its reason', async () => {
    const backend = backendWith(ON_PROMETHEUS).onReplay({ data: aRolledBackReplay() });

    await replayStandard();

    const outcome = await screen.findByRole('region', { name: 'Replay outcome' });
    expect(within(outcome).getByText('rolled back')).toBeInTheDocument();
    expect(
      within(outcome).getByText('Would have rolled back at 2025-01-15 12:01:05, 1m 5s after the start')
    ).toBeInTheDocument();
    const rollback = screen.getByTestId('replay-tick-2');
    expect(within(rollback).getByText('rollback')).toBeInTheDocument();
    expect(within(rollback).getByText('25% → 0%')).toBeInTheDocument();
    expect(
      within(rollback).getByText('gate errors-prom failed: canary error rate 4.10% above tolerated 1.00%: rolling back')
    ).toBeInTheDocument();
    expect(within(rollback).getByText('fail')).toBeInTheDocument();
    expect(within(rollback).getByText('observed 4.1% · threshold 1%')).toBeInTheDocument();
    expect(within(rollback).getByText('samples 1000 canary · 3000 baseline')).toBeInTheDocument();
    expect(sentBody(backend)).toMatchObject({
      service: 'checkout',
      baseline: 'v1',
      canary: 'v2',
      from: '-1h',
      to: 'now',
    });
  });

  test('hides the holds until asked, but always shows where the replay ended', async () => {
    const ticks = [
      aReplayTick(),
      aReplayTick({ at: T0 + 5_000 }),
      aReplayTick({ at: T0 + 10_000, reason: 'step 1 at 5% for 10s of at least 1m: holding' }),
    ];
    backendWith(ON_PROMETHEUS).onReplay({
      data: aRolledBackReplay({ ticks, outcome: 'progressing', decidedAt: null, to: T0 + 10_000 }),
    });

    await replayStandard();

    expect(
      await screen.findByText('Still progressing when the range ended at 2025-01-15 12:00:10: step 1 at 5%')
    ).toBeInTheDocument();
    expect(screen.queryByTestId('replay-tick-0')).not.toBeInTheDocument();
    expect(screen.getByTestId('replay-tick-2')).toBeInTheDocument();

    await userEvent.click(screen.getByLabelText('Show every hold (3)'));

    expect(screen.getByTestId('replay-tick-0')).toBeInTheDocument();
  });

  test('sends the policy as edited, inline, with the chosen range', async () => {
    const backend = backendWith(ON_PROMETHEUS).onReplay({ data: aRolledBackReplay() });

    await replayStandard(async () => {
      await userEvent.clear(field('/description'));
      await userEvent.type(field('/description'), 'careful');
      await userEvent.clear(field('/steps/0/weight'));
      await userEvent.type(field('/steps/0/weight'), '10');
      await userEvent.click(within(replaySection()).getByRole('radio', { name: 'Last 15 min' }));
    });

    await screen.findByRole('region', { name: 'Replay outcome' });
    const body = sentBody(backend);
    expect(body).not.toHaveProperty('policyName');
    expect(body.from).toBe('-15m');
    expect(body.to).toBe('now');
    expect(body.policy).toMatchObject({
      name: 'standard',
      description: 'careful',
      steps: [{ weight: 10, minDuration: '1m' }, { weight: 25 }, { weight: 50 }, { weight: 100 }],
      gates: [{ name: 'errors-prom', provider: 'prometheus' }],
    });
  });

  test('shows each field error next to the field it names: the policy’s in the editor, the range’s by the range', async () => {
    backendWith(aPolicy()).onReplay(
      invalidInput([
        { field: '/to', message: 'is 4321 ticks of 5s; a replay takes at most 2000: move from and to closer' },
        {
          field: '/policy/gates/0/provider',
          message: 'the router provider knows only live counts and cannot answer for a past time',
        },
      ])
    );

    await replayStandard(() => userEvent.click(within(replaySection()).getByRole('radio', { name: 'Last 6 h' })));

    const gate = await screen.findByTestId('gate-editor-0');
    expect(
      await within(gate).findByText('the router provider knows only live counts and cannot answer for a past time')
    ).toBeInTheDocument();
    const range = screen.getByTestId('replay-range');
    expect(
      within(range).getByText('is 4321 ticks of 5s; a replay takes at most 2000: move from and to closer')
    ).toBeInTheDocument();
    expect(screen.getByText('The policy cannot be replayed as it is')).toBeInTheDocument();
    expect(
      screen.getByText(
        'gate 1 › provider: the router provider knows only live counts and cannot answer for a past time'
      )
    ).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Replay outcome' })).not.toBeInTheDocument();
  });

  test('a replay that runs clears the policy errors an earlier one marked, and a refusal of the range keeps them', async () => {
    const providerError = { field: '/policy/gates/0/provider', message: 'no prometheus provider is configured' };
    const answers = [
      invalidInput([providerError]),
      invalidInput([{ field: '/to', message: 'is in the future' }]),
      { data: aRolledBackReplay() },
    ];
    backendWith(ON_PROMETHEUS).onReplay(() => answers.shift()!);
    const gate = () => screen.getByTestId('gate-editor-0');
    const replayButton = () => within(replaySection()).getByRole('button', { name: 'Replay' });

    await replayStandard();
    expect(await within(gate()).findByText('no prometheus provider is configured')).toBeInTheDocument();

    await userEvent.click(replayButton());
    expect(await screen.findByText('is in the future')).toBeInTheDocument();
    expect(within(gate()).getByText('no prometheus provider is configured')).toBeInTheDocument();

    await userEvent.click(replayButton());
    await screen.findByRole('region', { name: 'Replay outcome' });
    expect(within(gate()).queryByText('no prometheus provider is configured')).not.toBeInTheDocument();
  });

  test('a custom range is sent as typed, and the backend’s word on it shows under From', async () => {
    const backend = backendWith(ON_PROMETHEUS).onReplay(
      invalidInput([{ field: '/from', message: '"yesterday" is not a time' }])
    );

    await replayStandard(async () => {
      await userEvent.click(within(replaySection()).getByRole('radio', { name: 'From – to' }));
      await userEvent.clear(replayInput('from'));
      await userEvent.type(replayInput('from'), 'yesterday');
      await userEvent.clear(replayInput('to'));
      await userEvent.type(replayInput('to'), '2025-01-15T13:00:00Z');
    });

    expect(await screen.findByText('"yesterday" is not a time')).toBeInTheDocument();
    expect(replayInput('from')).toHaveAttribute('aria-invalid', 'true');
    expect(replayInput('to')).not.toHaveAttribute('aria-invalid', 'true');
    expect(sentBody(backend)).toMatchObject({ from: 'yesterday', to: '2025-01-15T13:00:00Z' });

    await userEvent.type(replayInput('from'), '!');

    expect(screen.queryByText('"yesterday" is not a time')).not.toBeInTheDocument();
  });

  test('says it is replaying while the backend works, then what went wrong when it fails', async () => {
    let answer: (reply: Reply) => void = () => undefined;
    backendWith(ON_PROMETHEUS).onReplay(() => new Promise<Reply>((resolve) => (answer = resolve)));

    await replayStandard();

    expect(await screen.findByText('Replaying the range tick by tick…')).toBeInTheDocument();
    expect(within(replaySection()).getByRole('button', { name: 'Replay' })).toBeDisabled();

    answer({
      status: 503,
      data: { statusCode: 503, code: 'unavailable', message: 'Prometheus did not answer within 10s' },
    });

    expect(await screen.findByText('Replaying the policy failed: Sentra cannot do this right now')).toBeInTheDocument();
    expect(screen.getByText('Prometheus did not answer within 10s. Try again in a moment.')).toBeInTheDocument();
  });

  test('says plainly that replay changes nothing, and marks a result the policy has moved on from', async () => {
    backendWith(ON_PROMETHEUS).onReplay({ data: aRolledBackReplay() });

    await replayStandard();

    expect(
      within(replaySection()).getByText(/Replay changes nothing: no rollout is stored and no traffic moves/)
    ).toBeInTheDocument();
    expect(
      within(replaySection()).getByText(/judged on the traffic split that really ran at the time/)
    ).toBeInTheDocument();
    await screen.findByRole('region', { name: 'Replay outcome' });
    expect(screen.queryByText('Edited since this replay')).not.toBeInTheDocument();

    await userEvent.type(field('/description'), '!');

    expect(screen.getByText('Edited since this replay')).toBeInTheDocument();
  });
});
