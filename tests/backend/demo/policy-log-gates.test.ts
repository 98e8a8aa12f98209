import assert from 'node:assert/strict';
import { test } from 'node:test';

import { demoPolicy, logGates } from '../../../backend/src/demo/policy.ts';
import { validatePolicy } from '../../../backend/src/domain/policy.ts';

test('the demo policy with the log gates added is a valid policy, with or without Prometheus', () => {
  for (const provider of ['prometheus', 'router'] as const) {
    const policy = demoPolicy(provider);
    policy.gates.push(...logGates());
    const checked = validatePolicy(policy);
    assert.equal(checked.ok, true, JSON.stringify(checked));
  }
});

test('the log gates read Loki: error lines per request against the baseline, and new kinds of error', () => {
  const gates = logGates();
  assert.deepEqual(
    gates.map((g) => [g.name, g.kind, g.provider]),
    [
      ['log-error-rate', 'error-rate', 'loki'],
      ['new-errors', 'new-errors', 'loki'],
    ]
  );
});
