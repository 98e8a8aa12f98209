import React from 'react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { FakeBackend } from '../../test/fakeBackend';
import { aPolicyRecord } from '../../test/builders';
import { renderAt } from '../../test/render';
import { describePointer, PolicyEditorPage } from './PolicyEditorPage';

function field(pointer: string): HTMLElement {
  const input = document.querySelector(`[data-pointer="${pointer}"]`);
  if (!(input instanceof HTMLElement)) {
    throw new Error(`no input for ${pointer}`);
  }
  return input;
}

function renderEditor(name: string) {
  return renderAt(`/a/ashsan-sentra-app/policies/${name}`, '/a/ashsan-sentra-app/policies/:name', <PolicyEditorPage />);
}

function renderNew() {
  return renderAt('/a/ashsan-sentra-app/policies/new', '/a/ashsan-sentra-app/policies/new', <PolicyEditorPage />);
}

describe('PolicyEditorPage', () => {
  test('shows each validation error from the backend next to the field it names', async () => {
    new FakeBackend().on('GET', '/policies/standard', { data: aPolicyRecord() }).on('PUT', '/policies/standard', {
      status: 400,
      data: {
        statusCode: 400,
        code: 'invalid_input',
        message: 'the policy is not valid',
        // A replacement's body is { version, policy }, so the backend names fields under /policy.
        fields: [
          { field: '/policy/steps/1/weight', message: 'weights must increase (3 after 5)' },
          { field: '/policy/gates/1/threshold', message: 'must be greater than 0' },
        ],
      },
    });
    renderEditor('standard');
    await waitFor(() => expect(field('/steps/1/weight')).toHaveValue('25'));

    await userEvent.clear(field('/steps/1/weight'));
    await userEvent.type(field('/steps/1/weight'), '3');
    await userEvent.click(screen.getByRole('button', { name: 'Save policy' }));

    const step = await screen.findByTestId('step-1');
    expect(within(step).getByText('weights must increase (3 after 5)')).toBeInTheDocument();
    expect(within(screen.getByTestId('gate-editor-1')).getByText('must be greater than 0')).toBeInTheDocument();
    expect(screen.getByText('2 fields need fixing')).toBeInTheDocument();
    expect(screen.getByText('step 2 › weight: weights must increase (3 after 5)')).toBeInTheDocument();
  });

  test('saves an edited policy with the version it was loaded at and shows the new version', async () => {
    const backend = new FakeBackend()
      .on('GET', '/policies/standard', { data: aPolicyRecord() })
      .on('PUT', '/policies/standard', (call) => ({
        data: aPolicyRecord({
          version: 4,
          policy: (call.data as { policy: ReturnType<typeof aPolicyRecord>['policy'] }).policy,
        }),
      }));
    renderEditor('standard');
    await waitFor(() => expect(field('/description')).toHaveValue('Five steps, judged on errors and latency'));

    await userEvent.clear(field('/description'));
    await userEvent.type(field('/description'), 'careful');
    await userEvent.click(screen.getByRole('button', { name: 'Add step' }));
    await userEvent.click(screen.getByRole('button', { name: 'Save policy' }));

    expect(await screen.findByText('Saved as version 4')).toBeInTheDocument();
    const body = backend.callsTo('PUT', '/policies/standard')[0]?.data as {
      version: number;
      policy: { description: string; steps: unknown[] };
    };
    expect(body.version).toBe(3);
    expect(body.policy.description).toBe('careful');
    expect(body.policy.steps).toHaveLength(5);
    expect(field('/name')).toBeDisabled();
  });

  test('creates a new policy and opens it', async () => {
    const backend = new FakeBackend().on('POST', '/policies', (call) => ({
      status: 201,
      data: aPolicyRecord({
        name: 'gentle',
        version: 1,
        policy: call.data as ReturnType<typeof aPolicyRecord>['policy'],
      }),
    }));
    renderNew();

    await userEvent.type(field('/name'), 'gentle');
    await userEvent.click(screen.getByRole('button', { name: 'Create policy' }));

    expect(await screen.findByTestId('location')).toHaveTextContent('/a/ashsan-sentra-app/policies/gentle');
    expect((backend.callsTo('POST', '/policies')[0]?.data as { name: string }).name).toBe('gentle');
  });

  test('changing a gate’s kind keeps its common fields and starts the new kind’s own', async () => {
    new FakeBackend();
    renderNew();

    const gate = screen.getByTestId('gate-editor-0');
    await userEvent.click(within(gate).getByRole('radio', { name: 'query' }));

    expect(field('/gates/0/name')).toHaveValue('errors');
    expect(field('/gates/0/query')).toHaveValue('');
    expect(field('/gates/0/threshold')).toHaveValue('0');
    expect(within(gate).getByRole('radio', { name: 'query' })).toBeChecked();
  });

  test('offers a burn-rate gate its objective and factor', async () => {
    new FakeBackend();
    renderNew();

    await userEvent.click(within(screen.getByTestId('gate-editor-0')).getByRole('radio', { name: 'burn-rate' }));

    expect(field('/gates/0/objective')).toHaveValue('0.999');
    expect(field('/gates/0/factor')).toHaveValue('14.4');
    expect(document.querySelector('[data-pointer="/gates/0/tolerance/relative"]')).toBeNull();
  });

  test('offers a new-errors gate on Loki its occurrence count and log query', async () => {
    new FakeBackend();
    renderNew();

    await userEvent.click(within(screen.getByTestId('gate-editor-0')).getByRole('radio', { name: 'new-errors' }));

    expect(field('/gates/0/minOccurrences')).toHaveValue('3');
    expect(field('/gates/0/query/errors')).toBeInTheDocument();
    expect(document.querySelector('[data-pointer="/gates/0/alpha"]')).toBeNull();
  });

  test('imports a policy from YAML and has the backend check it at once', async () => {
    const backend = new FakeBackend().on('POST', '/policies/validate', {
      data: { ok: false, errors: [{ field: '/gates/0/max', message: 'must be <= 1' }] },
    });
    renderNew();

    await userEvent.click(screen.getByRole('button', { name: 'Import YAML' }));
    const yaml =
      'name: strict\nsteps:\n  - weight: 10\n    minDuration: 30s\ngates:\n  - name: ratio\n    kind: error-ratio\n    provider: prometheus\n    max: 5\n';
    fireEvent.change(screen.getByLabelText('Policy YAML'), { target: { value: yaml } });
    await userEvent.click(screen.getByRole('button', { name: 'Import' }));

    expect(await screen.findByText('must be <= 1')).toBeInTheDocument();
    expect(field('/name')).toHaveValue('strict');
    expect(field('/gates/0/max')).toHaveValue('5');
    expect(backend.callsTo('POST', '/policies/validate')[0]?.data).toMatchObject({
      name: 'strict',
      gates: [{ max: 5 }],
    });
  });

  test('refuses YAML that is not a policy mapping, saying why', async () => {
    new FakeBackend();
    renderNew();

    await userEvent.click(screen.getByRole('button', { name: 'Import YAML' }));
    fireEvent.change(screen.getByLabelText('Policy YAML'), { target: { value: '- just\n- a list' } });
    await userEvent.click(screen.getByRole('button', { name: 'Import' }));

    expect(screen.getByText(/A policy is one YAML mapping/)).toBeInTheDocument();
  });

  test('says when the backend accepts the policy on a check', async () => {
    new FakeBackend().on('POST', '/policies/validate', { data: { ok: true, errors: [] } });
    renderNew();

    await userEvent.click(screen.getByRole('button', { name: 'Check' }));

    expect(await screen.findByText('The backend accepts this policy')).toBeInTheDocument();
  });

  test('explains a stale save', async () => {
    new FakeBackend().on('GET', '/policies/standard', { data: aPolicyRecord() }).on('PUT', '/policies/standard', {
      status: 409,
      data: { statusCode: 409, code: 'conflict', message: 'policy standard is at version 4, not 3: reload it' },
    });
    renderEditor('standard');
    await waitFor(() => expect(field('/name')).toHaveValue('standard'));

    await userEvent.click(screen.getByRole('button', { name: 'Save policy' }));

    expect(await screen.findByText('policy standard is at version 4, not 3: reload it')).toBeInTheDocument();
  });
});

describe('describePointer', () => {
  test('reads JSON pointers as a person would', () => {
    expect(describePointer('/steps/1/weight')).toBe('step 2 › weight');
    expect(describePointer('/gates/0/tolerance/relative')).toBe('gate 1 › tolerance › relative');
    expect(describePointer('')).toBe('the policy');
  });
});
