import React from 'react';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { FakeBackend } from '../../test/fakeBackend';
import { aPolicyRecord } from '../../test/builders';
import { renderAt } from '../../test/render';
import { PoliciesPage } from './PoliciesPage';

const PATH = '/a/ashsan-sentra-app/policies';

describe('PoliciesPage', () => {
  test('lists each policy with its steps, gates and version', async () => {
    new FakeBackend().on('GET', '/policies', { data: { policies: [aPolicyRecord()] } });
    renderAt(PATH, PATH, <PoliciesPage />);

    const table = await screen.findByRole('table', { name: 'Policies' });
    expect(within(table).getByRole('link', { name: 'standard' })).toHaveAttribute(
      'href',
      '/a/ashsan-sentra-app/policies/standard'
    );
    expect(table).toHaveTextContent('5% → 25% → 50% → 100%');
    expect(table).toHaveTextContent('errors, p99');
    expect(table).toHaveTextContent('v3');
  });

  test('invites to create the first policy when there is none', async () => {
    new FakeBackend().on('GET', '/policies', { data: { policies: [] } });
    renderAt(PATH, PATH, <PoliciesPage />);

    expect(await screen.findByText('No policies yet')).toBeInTheDocument();
  });

  test('deletes a policy only after confirmation, then shows the list again', async () => {
    let policies = [aPolicyRecord(), aPolicyRecord({ name: 'fast' })];
    const backend = new FakeBackend()
      .on('GET', '/policies', () => ({ data: { policies } }))
      .on('DELETE', '/policies/fast', () => {
        policies = policies.filter((p) => p.name !== 'fast');
        return { status: 204 };
      });
    renderAt(PATH, PATH, <PoliciesPage />);
    await screen.findByRole('link', { name: 'fast' });

    await userEvent.click(screen.getByRole('button', { name: 'Delete fast' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));

    await waitFor(() => expect(screen.queryByRole('link', { name: 'fast' })).not.toBeInTheDocument());
    expect(backend.callsTo('DELETE', '/policies/fast')).toHaveLength(1);
  });

  test('says why a policy could not be loaded', async () => {
    new FakeBackend().on('GET', '/policies', {
      status: 401,
      data: { statusCode: 401, code: 'unauthorized', message: 'bad token' },
    });
    renderAt(PATH, PATH, <PoliciesPage />);

    expect(await screen.findByText(/Sentra refused the API token/)).toBeInTheDocument();
  });
});
