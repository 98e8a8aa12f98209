import React from 'react';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { FakeBackend } from '../../test/fakeBackend';
import { anAppliedEvent, aRollout, anEvent } from '../../test/builders';
import { renderAt } from '../../test/render';
import { RolloutsPage } from './RolloutsPage';

const PATH = '/a/ashsan-sentra-app/rollouts';

function renderPage() {
  return renderAt(PATH, PATH, <RolloutsPage />);
}

describe('RolloutsPage', () => {
  test('lists each rollout with service, versions, phase, weight, worst gate verdict and age', async () => {
    new FakeBackend().on('GET', '/rollouts', {
      data: {
        rollouts: [
          aRollout(),
          aRollout({
            id: 'r-2',
            service: 'search',
            baseline: 'v7',
            canary: 'v8',
            phase: 'rolled_back',
            weight: 0,
            worstVerdict: 'fail',
          }),
        ],
      },
    });
    renderPage();

    const row = await screen.findByTestId('rollout-row-r-1');
    expect(within(row).getByRole('link', { name: 'checkout' })).toHaveAttribute(
      'href',
      '/a/ashsan-sentra-app/rollouts/r-1'
    );
    expect(row).toHaveTextContent('v1 → v2');
    expect(row).toHaveTextContent('progressing');
    expect(row).toHaveTextContent('25%');
    expect(row).toHaveTextContent('step 2/4');
    expect(row).toHaveTextContent('pass');
    expect(row).toHaveTextContent(/ago/);
    const other = screen.getByTestId('rollout-row-r-2');
    expect(other).toHaveTextContent('rolled back');
    expect(other).toHaveTextContent('fail');
  });

  test('invites to start a rollout when there is none', async () => {
    new FakeBackend().on('GET', '/rollouts', { data: { rollouts: [] } });
    renderPage();

    expect(await screen.findByText('No rollouts yet')).toBeInTheDocument();
    expect(screen.getAllByRole('link', { name: /start a rollout/i })[0]).toHaveAttribute(
      'href',
      '/a/ashsan-sentra-app/start'
    );
  });

  test('filters by phase on the backend and by service as the user types', async () => {
    const backend = new FakeBackend().on('GET', '/rollouts', (call) => ({
      data: {
        rollouts:
          call.params.phase === 'paused'
            ? [aRollout({ id: 'r-3', service: 'cart', phase: 'paused' })]
            : [aRollout(), aRollout({ id: 'r-2', service: 'search' })],
      },
    }));
    renderPage();
    await screen.findByTestId('rollout-row-r-2');

    await userEvent.type(screen.getByLabelText('Filter by service'), 'chec');
    expect(screen.getByTestId('rollout-row-r-1')).toBeInTheDocument();
    expect(screen.queryByTestId('rollout-row-r-2')).not.toBeInTheDocument();

    await userEvent.clear(screen.getByLabelText('Filter by service'));
    await userEvent.click(screen.getByRole('radio', { name: 'paused' }));
    expect(await screen.findByTestId('rollout-row-r-3')).toBeInTheDocument();
    expect(backend.callsTo('GET', '/rollouts').at(-1)?.params).toEqual({ phase: 'paused', limit: 200 });
  });

  test('updates a row in place when an event about its rollout arrives', async () => {
    const backend = new FakeBackend().on('GET', '/rollouts', { data: { rollouts: [aRollout()] } });
    renderPage();
    await screen.findByTestId('rollout-row-r-1');
    await waitFor(() => expect(screen.getByTestId('live-status')).toHaveAttribute('aria-label', 'live'));

    act(() => backend.pushEvent(anEvent(aRollout({ weight: 50, stepIndex: 2, worstVerdict: 'inconclusive' }))));

    await waitFor(() => expect(screen.getByTestId('rollout-row-r-1')).toHaveTextContent('50%'));
    expect(screen.getByTestId('rollout-row-r-1')).toHaveTextContent('inconclusive');
  });

  test('shows the weight the traffic controller confirmed when it differs from the wanted one', async () => {
    const backend = new FakeBackend().on('GET', '/rollouts', {
      data: { rollouts: [aRollout({ weight: 50, appliedWeight: 25 })] },
    });
    renderPage();
    await screen.findByTestId('rollout-row-r-1');
    expect(screen.getByTestId('rollout-row-r-1')).toHaveTextContent('applied 25%');
    await waitFor(() => expect(screen.getByTestId('live-status')).toHaveAttribute('aria-label', 'live'));

    act(() => backend.pushEvent(anAppliedEvent(aRollout(), 50)));

    await waitFor(() => expect(screen.getByTestId('rollout-row-r-1')).not.toHaveTextContent('applied'));
    expect(screen.getByTestId('rollout-row-r-1')).toHaveTextContent('50%');
  });

  test('puts a rollout started elsewhere on top of the list', async () => {
    const backend = new FakeBackend().on('GET', '/rollouts', { data: { rollouts: [aRollout()] } });
    renderPage();
    await screen.findByTestId('rollout-row-r-1');
    await waitFor(() => expect(screen.getByTestId('live-status')).toHaveAttribute('aria-label', 'live'));

    const started = aRollout({
      id: 'r-9',
      service: 'payments',
      startedAt: aRollout().startedAt + 1000,
      weight: 5,
      stepIndex: 0,
    });
    act(() => backend.pushEvent(anEvent(started)));

    await screen.findByTestId('rollout-row-r-9');
    const rows = screen.getAllByTestId(/rollout-row-/);
    expect(rows.map((r) => r.dataset.testid)).toEqual(['rollout-row-r-9', 'rollout-row-r-1']);
  });

  test('says what to check when Grafana cannot reach the backend', async () => {
    new FakeBackend().on('GET', '/rollouts', { status: 502, data: { message: 'Bad Gateway' } });
    renderPage();

    expect(await screen.findByText(/Grafana could not reach the Sentra backend/)).toBeInTheDocument();
    expect(screen.getByText(/backend URL on the configuration page/)).toBeInTheDocument();
  });

  test('shows a loading state until the first answer', async () => {
    new FakeBackend().on('GET', '/rollouts', () => new Promise(() => undefined));
    renderPage();

    expect(await screen.findByText('Loading rollouts…')).toBeInTheDocument();
  });
});
