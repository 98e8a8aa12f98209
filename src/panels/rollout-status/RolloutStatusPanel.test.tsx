import React from 'react';
import { act, render as renderPlain, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { LoadingState, getDefaultTimeRange, type PanelProps } from '@grafana/data';

import { FakeBackend } from '../../test/fakeBackend';
import { aDecision, aRollout, aRolloutDetail, anEvent } from '../../test/builders';
import { RolloutStatusPanel, type RolloutStatusOptions } from './RolloutStatusPanel';

function panelProps(service: string, variables: Record<string, string> = {}): PanelProps<RolloutStatusOptions> {
  return {
    id: 1,
    data: { series: [], state: LoadingState.Done, timeRange: getDefaultTimeRange() },
    timeRange: getDefaultTimeRange(),
    timeZone: 'utc',
    options: { service },
    transparent: false,
    width: 400,
    height: 200,
    fieldConfig: { defaults: {}, overrides: [] },
    renderCounter: 0,
    title: 'Rollout',
    eventBus: {} as PanelProps['eventBus'],
    onOptionsChange: jest.fn(),
    onFieldConfigChange: jest.fn(),
    onChangeTimeRange: jest.fn(),
    replaceVariables: (text: string) => text.replace(/\$(\w+)/g, (whole, name: string) => variables[name] ?? whole),
  } as PanelProps<RolloutStatusOptions>;
}

/** Grafana renders panels inside its router; links in the panel need one. */
function render(element: React.ReactElement) {
  return renderPlain(
    <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>{element}</MemoryRouter>
  );
}

describe('RolloutStatusPanel', () => {
  test('asks for a service when none is set', () => {
    new FakeBackend();
    render(<RolloutStatusPanel {...panelProps('')} />);

    expect(screen.getByText('Choose a service in the panel options to show its rollout.')).toBeInTheDocument();
  });

  test('shows the service’s live rollout: weight, phase and each gate’s verdict', async () => {
    const backend = new FakeBackend()
      .on('GET', '/rollouts', { data: { rollouts: [aRollout()] } })
      .on('GET', '/rollouts/r-1', { data: aRolloutDetail() });
    render(<RolloutStatusPanel {...panelProps('$svc', { svc: 'checkout' })} />);

    expect(await screen.findByTestId('panel-weight')).toHaveTextContent('25% on canary · step 2/4');
    expect(screen.getByText('progressing')).toBeInTheDocument();
    expect(await screen.findByText('p99')).toBeInTheDocument();
    expect(screen.getByText('inconclusive')).toBeInTheDocument();
    expect(backend.callsTo('GET', '/rollouts')[0]?.params).toEqual({ service: 'checkout', limit: 1 });
  });

  test('says clearly when nothing is rolling out, with the last outcome', async () => {
    new FakeBackend().on('GET', '/rollouts', {
      data: { rollouts: [aRollout({ phase: 'completed', weight: 100, endedAt: aRollout().startedAt + 600_000 })] },
    });
    render(<RolloutStatusPanel {...panelProps('checkout')} />);

    const empty = await screen.findByTestId('no-rollout');
    expect(empty).toHaveTextContent('No rollout of checkout in progress.');
    expect(empty).toHaveTextContent('Last: v1 → v2 completed');
  });

  test('says so when the service never had a rollout', async () => {
    new FakeBackend().on('GET', '/rollouts', { data: { rollouts: [] } });
    render(<RolloutStatusPanel {...panelProps('checkout')} />);

    expect(await screen.findByTestId('no-rollout')).toHaveTextContent('No rollout of checkout in progress.');
  });

  test('follows the rollout live', async () => {
    const backend = new FakeBackend()
      .on('GET', '/rollouts', { data: { rollouts: [aRollout()] } })
      .on('GET', '/rollouts/r-1', { data: aRolloutDetail() });
    render(<RolloutStatusPanel {...panelProps('checkout')} />);
    await screen.findByTestId('panel-weight');
    await waitFor(() => expect(backend.callsTo('GET', '/events').length).toBeGreaterThan(1));

    act(() =>
      backend.pushEvent(
        anEvent(aRollout({ weight: 50, stepIndex: 2 }), aDecision({ seq: 2, fromWeight: 25, toWeight: 50 }))
      )
    );

    await waitFor(() => expect(screen.getByTestId('panel-weight')).toHaveTextContent('50% on canary · step 3/4'));
  });

  test('shows a failure in words a user can act on', async () => {
    new FakeBackend().on('GET', '/rollouts', { status: 403, data: { message: 'plugin proxy route access denied' } });
    render(<RolloutStatusPanel {...panelProps('checkout')} />);

    expect(await screen.findByText(/Your Grafana role does not allow this/)).toBeInTheDocument();
  });
});
