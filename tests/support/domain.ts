import type { Observation, Reading } from '../../backend/src/domain/gates/observation.ts';
import type { Gate } from '../../backend/src/domain/gates/schemas.ts';
import type { Policy } from '../../backend/src/domain/policy.ts';
import type { Rollout } from '../../backend/src/domain/rollout.ts';
import { startRollout } from '../../backend/src/domain/rollout.ts';

/** A fake clock: starts at a fixed instant and only moves when told. */
export class FakeClock {
  now: number;

  constructor(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
    this.now = start;
  }

  advance(ms: number): number {
    this.now += ms;
    return this.now;
  }

  read = (): number => this.now;
}

export function anErrorRateGate(overrides: Partial<Extract<Gate, { kind: 'error-rate' }>> = {}): Gate {
  return { name: 'errors', kind: 'error-rate', provider: 'router', minSamples: 50, ...overrides };
}

export function aPolicy(overrides: Partial<Policy> = {}): Policy {
  return {
    name: 'canary',
    steps: [
      { weight: 5, minDuration: '10s' },
      { weight: 15, minDuration: '10s' },
      { weight: 30, minDuration: '10s' },
      { weight: 50, minDuration: '10s' },
    ],
    gates: [anErrorRateGate()],
    limits: { tickInterval: '1s', noDataTicks: 5, errorTicks: 3, failTicks: 2 },
    ...overrides,
  };
}

export function aDomainRollout(policy: Policy = aPolicy(), now = new FakeClock().now): Rollout {
  return startRollout({
    id: '00000000-0000-4000-8000-000000000001',
    service: 'checkout',
    baseline: 'v1',
    canary: 'v2',
    policy,
    policyVersion: 1,
    traffic: { controller: 'router' },
    createdBy: 'test',
    now,
  });
}

export function counts(requests: number, errors: number): Reading<{ requests: number; errors: number }> {
  return { ok: true, value: { requests, errors } };
}

/** A cumulative counts observation, as the router or Prometheus answer it. */
export function cumulative(
  canary: Reading<{ requests: number; errors: number }>,
  baseline: Reading<{ requests: number; errors: number }>,
  at = 0
): Observation {
  return { kind: 'counts', mode: 'cumulative', window: { from: at, to: at }, canary, baseline };
}
