import React from 'react';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { FakeBackend } from '../../test/fakeBackend';
import { aPolicyRecord, aRolloutDetail } from '../../test/builders';
import { renderAt } from '../../test/render';
import { StartRolloutPage } from './StartRolloutPage';

const PATH = '/a/ashsan-sentra-app/start';

async function fillIn(service: string) {
  await userEvent.type(await screen.findByPlaceholderText('checkout'), service);
  await userEvent.type(screen.getByPlaceholderText('v1'), 'v1');
  await userEvent.type(screen.getByPlaceholderText('v2'), 'v2');
}

describe('StartRolloutPage', () => {
  test('starts a rollout with the chosen policy and opens it', async () => {
    const backend = new FakeBackend()
      .on('GET', '/policies', { data: { policies: [aPolicyRecord()] } })
      .on('POST', '/rollouts', { status: 201, data: aRolloutDetail({ id: 'r-42' }) });
    renderAt(PATH, PATH, <StartRolloutPage />);

    await fillIn(' checkout ');
    await userEvent.click(screen.getByRole('button', { name: 'Start rollout' }));

    expect(await screen.findByTestId('location')).toHaveTextContent('/a/ashsan-sentra-app/rollouts/r-42');
    expect(backend.callsTo('POST', '/rollouts')[0]?.data).toEqual({
      service: 'checkout',
      baseline: 'v1',
      canary: 'v2',
      policy: 'standard',
    });
  });

  test('shows a field error from the backend next to its field', async () => {
    new FakeBackend().on('GET', '/policies', { data: { policies: [aPolicyRecord()] } }).on('POST', '/rollouts', {
      status: 400,
      data: {
        statusCode: 400,
        code: 'invalid_input',
        message: 'invalid rollout',
        fields: [{ field: '/canary', message: 'must differ from the baseline' }],
      },
    });
    renderAt(PATH, PATH, <StartRolloutPage />);

    await fillIn('checkout');
    await userEvent.click(screen.getByRole('button', { name: 'Start rollout' }));

    expect(await screen.findByText('must differ from the baseline')).toBeInTheDocument();
    expect(screen.getByPlaceholderText('v2')).toHaveAttribute('aria-invalid', 'true');
  });

  test('explains that the service already has a live rollout', async () => {
    new FakeBackend().on('GET', '/policies', { data: { policies: [aPolicyRecord()] } }).on('POST', '/rollouts', {
      status: 409,
      data: { statusCode: 409, code: 'conflict', message: 'checkout already has a live rollout (r-1)' },
    });
    renderAt(PATH, PATH, <StartRolloutPage />);

    await fillIn('checkout');
    await userEvent.click(screen.getByRole('button', { name: 'Start rollout' }));

    expect(await screen.findByText('checkout already has a live rollout (r-1)')).toBeInTheDocument();
  });

  test('keeps the start button off until every field is filled', async () => {
    new FakeBackend().on('GET', '/policies', { data: { policies: [aPolicyRecord()] } });
    renderAt(PATH, PATH, <StartRolloutPage />);

    await userEvent.type(await screen.findByPlaceholderText('checkout'), 'checkout');

    expect(screen.getByRole('button', { name: 'Start rollout' })).toBeDisabled();
  });

  test('points to the policy editor when there is no policy to follow', async () => {
    new FakeBackend().on('GET', '/policies', { data: { policies: [] } });
    renderAt(PATH, PATH, <StartRolloutPage />);

    expect(await screen.findByText('A rollout follows a policy, and there is none yet')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /new policy/i })).toHaveAttribute(
      'href',
      '/a/ashsan-sentra-app/policies/new'
    );
  });
});
