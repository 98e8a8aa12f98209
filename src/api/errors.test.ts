import { describeError, toSentraError } from './errors';

describe('describeError', () => {
  test('names the configuration page when the backend refuses the token', () => {
    const { title, detail } = describeError({
      status: 401,
      data: { statusCode: 401, code: 'unauthorized', message: 'no' },
    });
    expect(title).toBe('Sentra refused the API token');
    expect(detail).toMatch(/configuration page/);
  });

  test('tells a Grafana session that ended from a refused token', () => {
    expect(describeError({ status: 401, data: { message: 'Unauthorized' } }).title).toBe(
      'Your Grafana session has ended'
    );
  });

  test('lists the fields of invalid input', () => {
    const error = {
      status: 400,
      data: {
        statusCode: 400,
        code: 'invalid_input',
        message: 'bad',
        fields: [{ field: '/service', message: 'is required' }],
      },
    };
    expect(describeError(error).detail).toBe('/service: is required');
    expect(toSentraError(error).fields).toEqual([{ field: '/service', message: 'is required' }]);
  });

  test('points at the backend and its URL when Grafana’s proxy cannot reach it', () => {
    const { title, detail } = describeError({ status: 502, data: { message: 'Bad Gateway' } });
    expect(title).toBe('Grafana could not reach the Sentra backend');
    expect(detail).toContain('Grafana said: Bad Gateway');
  });

  test('explains a role that is too low', () => {
    expect(describeError({ status: 403, data: { message: 'denied' } }).detail).toMatch(/need Editor/);
  });

  test('reads anything else without crashing', () => {
    expect(describeError(undefined).title).toBe('Grafana could not be reached');
    expect(describeError({ status: 500, data: 'boom' }).detail).toBe('boom (HTTP 500).');
  });
});
