import { isoSeconds, replayReady, replayRequest, sortReplayErrors, NO_REPLAY_INPUTS } from './replayForm';

describe('replayRequest', () => {
  test('sends a relative range as a time before the backend’s now, and names trimmed', () => {
    const inputs = { ...NO_REPLAY_INPUTS, service: ' checkout ', baseline: 'v1', canary: 'v2 ', range: '6h' as const };

    expect(replayRequest(inputs, { name: 'p' })).toEqual({
      policy: { name: 'p' },
      service: 'checkout',
      baseline: 'v1',
      canary: 'v2',
      from: '-6h',
      to: 'now',
    });
  });

  test('sends a custom range as typed, for the backend to read or refuse', () => {
    const inputs = { ...NO_REPLAY_INPUTS, range: 'custom' as const, from: ' -2h ', to: '2025-01-15T13:00:00Z' };

    expect(replayRequest(inputs, {})).toMatchObject({ from: '-2h', to: '2025-01-15T13:00:00Z' });
  });
});

describe('replayReady', () => {
  test('asks for the three names, and for both ends of a custom range', () => {
    const named = { ...NO_REPLAY_INPUTS, service: 'checkout', baseline: 'v1', canary: 'v2' };

    expect(replayReady(named)).toBe(true);
    expect(replayReady({ ...named, canary: ' ' })).toBe(false);
    expect(replayReady({ ...named, range: 'custom', from: '-1h' })).toBe(false);
    expect(replayReady({ ...named, range: 'custom', from: '-1h', to: 'now' })).toBe(true);
  });
});

describe('sortReplayErrors', () => {
  test('hands the policy’s errors to the editor under its own pointers and keeps the rest apart', () => {
    const sorted = sortReplayErrors([
      { field: '/to', message: 'too long' },
      { field: '/policy/gates/0/provider', message: 'live only' },
      { field: '/policy', message: 'give either policy or policyName' },
      { field: '/policyName', message: 'bad name' },
      { field: '/tone', message: 'unknown field' },
    ]);

    expect(sorted.own).toEqual([{ field: '/to', message: 'too long' }]);
    expect(sorted.policy).toEqual([
      { field: '/gates/0/provider', message: 'live only' },
      { field: '', message: 'give either policy or policyName' },
    ]);
    expect(sorted.other.map((e) => e.field)).toEqual(['/policyName', '/tone']);
  });
});

describe('isoSeconds', () => {
  test('writes an instant the way the backend reads one, in UTC to the second', () => {
    expect(isoSeconds(Date.UTC(2025, 0, 15, 12, 0, 5, 678))).toBe('2025-01-15T12:00:05Z');
  });
});
