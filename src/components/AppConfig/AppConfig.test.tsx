import React from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PluginType } from '@grafana/data';

import { FakeBackend } from '../../test/fakeBackend';
import { aRollout } from '../../test/builders';
import { AppConfig, type AppConfigProps } from './AppConfig';

function props(jsonData: Record<string, unknown>, secureJsonFields: Record<string, boolean> = {}): AppConfigProps {
  return {
    plugin: {
      meta: {
        id: 'ashsan-sentra-app',
        name: 'Sentra',
        type: PluginType.app,
        enabled: true,
        pinned: true,
        jsonData,
        secureJsonFields,
      },
    },
    query: {},
  } as unknown as AppConfigProps;
}

const reload = jest.fn();

beforeAll(() => {
  Object.defineProperty(window, 'location', { value: { ...window.location, reload }, writable: true });
});

beforeEach(() => reload.mockClear());

describe('AppConfig', () => {
  test('saves the backend URL in jsonData and the token in secureJsonData, then reloads', async () => {
    const backend = new FakeBackend().on('POST', '/api/plugins/ashsan-sentra-app/settings', { data: {} });
    render(<AppConfig {...props({})} />);

    await userEvent.type(screen.getByPlaceholderText('http://sentra:8080'), 'http://sentra.internal:8080/');
    await userEvent.type(screen.getByPlaceholderText('token'), 's3cret');
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }));

    expect(backend.callsTo('POST', '/api/plugins/ashsan-sentra-app/settings')[0]?.data).toEqual({
      enabled: true,
      pinned: true,
      jsonData: { backendUrl: 'http://sentra.internal:8080' },
      secureJsonData: { apiToken: 's3cret' },
    });
    expect(reload).toHaveBeenCalled();
  });

  test('never shows a stored token and leaves it alone when only the URL changes', async () => {
    const backend = new FakeBackend().on('POST', '/api/plugins/ashsan-sentra-app/settings', { data: {} });
    render(<AppConfig {...props({ backendUrl: 'http://old:8080' }, { apiToken: true })} />);

    const token = screen.getByPlaceholderText('token');
    expect(token).toHaveValue('configured');
    expect(token).toBeDisabled();
    await userEvent.clear(screen.getByPlaceholderText('http://sentra:8080'));
    await userEvent.type(screen.getByPlaceholderText('http://sentra:8080'), 'http://new:8080');
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }));

    const sent = backend.callsTo('POST', '/api/plugins/ashsan-sentra-app/settings')[0]?.data as Record<string, unknown>;
    expect(sent.jsonData).toEqual({ backendUrl: 'http://new:8080' });
    expect(sent.secureJsonData).toBeUndefined();
  });

  test('explains a backend URL that is not one', async () => {
    new FakeBackend();
    render(<AppConfig {...props({})} />);

    await userEvent.type(screen.getByPlaceholderText('http://sentra:8080'), 'sentra:8080');

    expect(screen.getByText('Use an http:// or https:// address.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save settings' })).toBeDisabled();
  });

  test('tests the connection through the proxy route and reports a refused token', async () => {
    const backend = new FakeBackend().on('GET', '/rollouts', {
      status: 401,
      data: { statusCode: 401, code: 'unauthorized', message: 'missing or wrong token' },
    });
    render(<AppConfig {...props({ backendUrl: 'http://sentra:8080' }, { apiToken: true })} />);

    await userEvent.click(screen.getByRole('button', { name: 'Test connection' }));

    expect(await screen.findByText('Connection test failed: Sentra refused the API token')).toBeInTheDocument();
    expect(backend.callsTo('GET', '/rollouts')[0]?.params).toEqual({ limit: 1 });
  });

  test('confirms a working connection', async () => {
    new FakeBackend().on('GET', '/rollouts', { data: { rollouts: [aRollout()] } });
    render(<AppConfig {...props({ backendUrl: 'http://sentra:8080' }, { apiToken: true })} />);

    await userEvent.click(screen.getByRole('button', { name: 'Test connection' }));

    expect(
      await screen.findByText('Grafana reached the Sentra backend and the token was accepted')
    ).toBeInTheDocument();
  });
});
