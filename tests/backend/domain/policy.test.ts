import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { validatePolicy } from '../../../backend/src/domain/policy.ts';
import { aPolicy } from '../../support/domain.ts';

function fieldsOf(input: unknown): string[] {
  const result = validatePolicy(input);
  assert.equal(result.ok, false, 'expected the policy to be refused');
  return result.ok ? [] : result.errors.map((e) => `${e.field} ${e.message}`);
}

describe('policy validation', () => {
  it('accepts a complete policy as it is', () => {
    const result = validatePolicy(aPolicy());
    assert.equal(result.ok, true);
  });

  it('refuses a policy with no steps, naming the field', () => {
    assert.deepEqual(fieldsOf({ ...aPolicy(), steps: [] }), ['/steps must not have fewer than 1 items']);
  });

  it('refuses a policy with no gates', () => {
    assert.deepEqual(fieldsOf({ ...aPolicy(), gates: [] }), ['/gates a policy needs at least one gate']);
  });

  it('refuses a threshold gate without its threshold', () => {
    const gate = { name: 'p99', kind: 'query', provider: 'prometheus', query: 'x', op: '<' };
    assert.deepEqual(fieldsOf({ ...aPolicy(), gates: [gate] }), ['/gates/0/threshold is required']);
  });

  it('refuses weights that do not increase', () => {
    const steps = [
      { weight: 10, minDuration: '5s' },
      { weight: 10, minDuration: '5s' },
    ];
    assert.deepEqual(fieldsOf({ ...aPolicy(), steps }), ['/steps/1/weight weights must increase (10 after 10)']);
  });

  it('refuses a weight out of range', () => {
    const steps = [{ weight: 120, minDuration: '5s' }];
    assert.deepEqual(fieldsOf({ ...aPolicy(), steps }), ['/steps/0/weight must be <= 100']);
  });

  it('names an unknown field instead of ignoring it', () => {
    assert.deepEqual(fieldsOf({ ...aPolicy(), colour: 'blue' }), ['/colour unknown field']);
  });

  it('names an unknown gate kind and lists the known ones', () => {
    const [error] = fieldsOf({ ...aPolicy(), gates: [{ name: 'x', kind: 'vibes', provider: 'router' }] });
    assert.match(error!, /^\/gates\/0\/kind must be one of: error-rate, error-ratio, latency, burn-rate, query/);
  });

  it('refuses a malformed duration and a max duration shorter than the min', () => {
    assert.deepEqual(fieldsOf({ ...aPolicy(), steps: [{ weight: 5, minDuration: 'ten seconds' }] }), [
      '/steps/0/minDuration must match pattern "^[0-9]+(ms|s|m|h)$"',
    ]);
    assert.deepEqual(fieldsOf({ ...aPolicy(), steps: [{ weight: 5, minDuration: '1m', maxDuration: '30s' }] }), [
      '/steps/0/maxDuration must not be shorter than minDuration',
    ]);
  });

  it('refuses two gates with the same name', () => {
    const gate = { name: 'errors', kind: 'error-rate', provider: 'router' };
    assert.deepEqual(fieldsOf({ ...aPolicy(), gates: [gate, gate] }), ['/gates/1/name duplicate gate name "errors"']);
  });

  it('refuses a latency gate that says neither fraction, quantile nor compare', () => {
    const gate = { name: 'slow', kind: 'latency', provider: 'router', threshold: 0.5 };
    assert.deepEqual(fieldsOf({ ...aPolicy(), gates: [gate] }), [
      '/gates/0/maxFraction a latency gate needs maxFraction, quantile or compare',
    ]);
  });

  it('refuses a query timeout too long to be a timer', () => {
    assert.deepEqual(fieldsOf({ ...aPolicy(), limits: { queryTimeout: '999h' } }), [
      '/limits/queryTimeout must be at most 5m',
    ]);
  });

  it('refuses a header route value with control characters, which no request header can carry', () => {
    const steps = [{ headerRoute: { header: 'x-canary', value: 'a\r\nb' }, minDuration: '1s' }];
    assert.match(fieldsOf({ ...aPolicy(), steps })[0]!, /^\/steps\/0\/headerRoute\/value /);
  });

  it('refuses something that is not an object at all', () => {
    assert.deepEqual(fieldsOf('steps: 5'), [' a policy must be an object']);
  });
});
