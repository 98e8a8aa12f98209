import React from 'react';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { FakeBackend } from '../../test/fakeBackend';
import { aDecision, aGateResult, aRollout, aRolloutDetail, anEvent, T0 } from '../../test/builders';
import { renderAt } from '../../test/render';
import { RolloutDetailPage } from './RolloutDetailPage';

function renderPage(id = 'r-1') {
  return renderAt(`/a/ashsan-sentra-app/rollouts/${id}`, '/a/ashsan-sentra-app/rollouts/:id', <RolloutDetailPage />);
}

describe('RolloutDetailPage', () => {
  test('shows weight, steps with times, each gate with its numbers and evidence, and the decision log', async () => {
    new FakeBackend().on('GET', '/rollouts/r-1', { data: aRolloutDetail() });
    renderPage();

    expect(await screen.findByTestId('current-weight')).toHaveTextContent('25% on v2');
    expect(screen.getByTestId('weight-chart')).toHaveAttribute('aria-label', 'Canary weight over time, now 25%');

    const steps = screen.getByRole('table', { name: 'Steps' });
    expect(within(steps).getAllByRole('row')[1]).toHaveTextContent('advance');
    expect(within(steps).getAllByRole('row')[2]).toHaveTextContent('in progress');

    const errors = screen.getByTestId('gate-errors');
    expect(errors).toHaveTextContent('0.2%');
    expect(errors).toHaveTextContent('1%');
    expect(errors).toHaveTextContent('2000 canary · 18000 baseline');
    expect(errors).toHaveTextContent('p-value0.41');
    expect(errors).toHaveTextContent('Expected more samples120');
    const latency = screen.getByTestId('gate-p99');
    expect(latency).toHaveTextContent('inconclusive');
    expect(latency).toHaveTextContent('0.21 s');

    const log = screen.getByRole('table', { name: 'Decision log' });
    expect(log).toHaveTextContent('all gates pass after 1m at 5%: advancing to 25%');
    expect(log).toHaveTextContent('5% → 25%');
  });

  test('links a gate with a data source to Explore, with its query filled in for the canary', async () => {
    new FakeBackend().on('GET', '/rollouts/r-1', { data: aRolloutDetail() });
    renderPage();

    const latency = await screen.findByTestId('gate-p99');
    const link = within(latency).getByRole('link', { name: /open in explore/i });
    const panes = JSON.parse(new URL(link.getAttribute('href')!, 'http://grafana').searchParams.get('panes')!);
    expect(panes.sentra.datasource).toBe('prom-main');
    expect(panes.sentra.queries[0].expr).toBe(
      'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="checkout",version="v2"}[5s])))'
    );
    expect(within(screen.getByTestId('gate-errors')).queryByRole('link', { name: /explore/i })).not.toBeInTheDocument();
  });

  test('rolls back after confirmation and shows what the backend decided', async () => {
    const backend = new FakeBackend()
      .on('GET', '/rollouts/r-1', { data: aRolloutDetail() })
      .on('POST', '/rollouts/r-1/actions', (call) => ({
        data: {
          rollout: aRollout({ phase: 'rolled_back', weight: 0 }),
          decision: aDecision({
            seq: 2,
            kind: 'rollback',
            actor: 'alice',
            reason: `rolled back by alice: ${(call.data as { note: string }).note}`,
          }),
        },
      }));
    renderPage();
    await screen.findByTestId('current-weight');

    await userEvent.click(screen.getByRole('button', { name: 'Roll back' }));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent('All traffic goes back to the baseline');
    await userEvent.type(within(dialog).getByLabelText('Note'), 'checkout errors in logs');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Roll back' }));

    expect(await screen.findByText(/rolled back by alice: checkout errors in logs/)).toBeInTheDocument();
    expect(backend.callsTo('POST', '/rollouts/r-1/actions')[0]?.data).toEqual({
      action: 'rollback',
      note: 'checkout errors in logs',
    });
  });

  test('does nothing when the confirmation is cancelled', async () => {
    const backend = new FakeBackend().on('GET', '/rollouts/r-1', { data: aRolloutDetail() });
    renderPage();
    await screen.findByTestId('current-weight');

    await userEvent.click(screen.getByRole('button', { name: 'Abort' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Cancel' }));

    expect(backend.callsTo('POST', '/rollouts/r-1/actions')).toHaveLength(0);
  });

  test('explains a refused action in the backend’s words', async () => {
    new FakeBackend().on('GET', '/rollouts/r-1', { data: aRolloutDetail() }).on('POST', '/rollouts/r-1/actions', {
      status: 409,
      data: { statusCode: 409, code: 'not_allowed', message: 'the rollout is already rolled back' },
    });
    renderPage();
    await screen.findByTestId('current-weight');

    await userEvent.click(screen.getByRole('button', { name: 'Promote' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Promote' }));

    expect(await screen.findByText('the rollout is already rolled back')).toBeInTheDocument();
    expect(screen.getByText('Promote failed: Not possible now')).toBeInTheDocument();
  });

  test('offers only the actions the phase allows', async () => {
    new FakeBackend().on('GET', '/rollouts/r-1', {
      data: aRolloutDetail({ phase: 'paused', pauseReason: 'no data for 12 ticks' }),
    });
    renderPage();
    await screen.findByTestId('current-weight');

    expect(screen.getByRole('button', { name: 'Pause' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Resume' })).toBeEnabled();
    expect(screen.getByText('Paused: no data for 12 ticks')).toBeInTheDocument();
  });

  test('shows a new decision and the new weight as soon as its event arrives', async () => {
    // Only the first fetch answers: what changes afterwards can only come from the event itself.
    let fetched = false;
    const backend = new FakeBackend().on('GET', '/rollouts/r-1', () => {
      if (fetched) {
        return new Promise(() => undefined);
      }
      fetched = true;
      return { data: aRolloutDetail() };
    });
    renderPage();
    await screen.findByTestId('current-weight');
    await waitFor(() => expect(screen.getByTestId('live-status')).toHaveAttribute('aria-label', 'live'));

    const decision = aDecision({
      seq: 2,
      at: T0 + 130_000,
      stepIndex: 1,
      fromWeight: 25,
      toWeight: 0,
      kind: 'rollback',
      reason: 'errors failed: canary error rate 4.1% above tolerated 1.0% (p = 0.001)',
      verdicts: [aGateResult({ verdict: 'fail', observed: 0.041 })],
    });
    const rolledBack = aRollout({ phase: 'rolled_back', weight: 0, worstVerdict: 'fail', endedAt: T0 + 130_000 });
    act(() => backend.pushEvent(anEvent(rolledBack, decision)));

    expect(await screen.findByText(/canary error rate 4.1% above tolerated/)).toBeInTheDocument();
    expect(screen.getByTestId('current-weight')).toHaveTextContent('0% on v2');
    expect(screen.getByTestId('gate-errors')).toHaveTextContent('4.1%');
  });

  test('says so when the rollout does not exist', async () => {
    new FakeBackend().on('GET', '/rollouts/r-404', {
      status: 404,
      data: { statusCode: 404, code: 'not_found', message: 'no rollout r-404' },
    });
    renderPage('r-404');

    expect(await screen.findByText('no rollout r-404')).toBeInTheDocument();
  });
});
