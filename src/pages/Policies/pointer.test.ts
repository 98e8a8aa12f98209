import { appendItem, getAt, numberFromText, removeItem, setAt } from './pointer';

describe('policy pointers', () => {
  const policy = {
    name: 'p',
    steps: [{ weight: 5, minDuration: '1m' }],
    gates: [{ name: 'g', tolerance: { relative: 1 } }],
  };

  test('reads the value a backend error pointer names', () => {
    expect(getAt(policy, '/steps/0/weight')).toBe(5);
    expect(getAt(policy, '/gates/0/tolerance/relative')).toBe(1);
    expect(getAt(policy, '/steps/4/weight')).toBeUndefined();
  });

  test('writes without touching the original and creates missing objects', () => {
    const next = setAt(policy, '/steps/0/headerRoute/header', 'X-Canary');
    expect(next.steps[0]).toEqual({ weight: 5, minDuration: '1m', headerRoute: { header: 'X-Canary' } });
    expect(policy.steps[0]).toEqual({ weight: 5, minDuration: '1m' });
  });

  test('removes a field written as undefined, and an object it leaves empty', () => {
    const next = setAt(policy, '/gates/0/tolerance/relative', undefined);
    expect(next.gates[0]).toEqual({ name: 'g' });
  });

  test('adds and removes list items', () => {
    const added = appendItem(policy, '/steps', { weight: 50, minDuration: '1m' });
    expect(added.steps).toHaveLength(2);
    expect(removeItem(added, '/steps', 0).steps).toEqual([{ weight: 50, minDuration: '1m' }]);
  });

  test('keeps text that is not a number as typed, so the backend can name the problem', () => {
    expect(numberFromText(' 0.5 ')).toBe(0.5);
    expect(numberFromText('')).toBeUndefined();
    expect(numberFromText('5%')).toBe('5%');
  });
});
