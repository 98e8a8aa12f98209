import type { GateResult } from '../../backend/src/domain/gates/result.ts';
import type { Policy } from '../../backend/src/domain/policy.ts';
import type { Decision, Rollout, StartRollout } from '../../backend/src/domain/rollout.ts';
import { startRollout } from '../../backend/src/domain/rollout.ts';
import { DEFAULT_TRAFFIC } from '../../backend/src/domain/traffic-config.ts';
import type { AuditEntry, EventInput, OutboxInput } from '../../backend/src/store/types.ts';

/**
 * Builders for tests: each returns a small valid object, with every field
 * overridable. Ids and names come from one counter, so builders called twice
 * never collide.
 */

let counter = 0;

export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export const T0 = Date.UTC(2025, 0, 1);

/** Three steps (5%, 50%, 100%) and one error-rate gate on the built-in router. */
export function aPolicy(overrides: Partial<Policy> = {}): Policy {
  return {
    name: 'standard',
    steps: [
      { weight: 5, minDuration: '1m' },
      { weight: 50, minDuration: '2m', maxDuration: '10m' },
      { weight: 100, minDuration: '1m' },
    ],
    gates: [{ name: 'errors', kind: 'error-rate', provider: 'router', minSamples: 100 }],
    ...overrides,
  };
}

/** A rollout just started by `startRollout`, at step 0, revision 0 (the store sets 1). */
export function aRollout(overrides: Partial<StartRollout> = {}): Rollout {
  return startRollout({
    id: uniqueName('rollout'),
    service: uniqueName('checkout'),
    baseline: 'v1.4.2',
    canary: 'v1.5.0',
    policy: aPolicy(),
    policyVersion: 1,
    traffic: DEFAULT_TRAFFIC,
    createdBy: 'alice',
    now: T0,
    ...overrides,
  });
}

/** A passing error-rate verdict with its numbers; override any field. */
export function aGateResult(overrides: Partial<GateResult> = {}): GateResult {
  return {
    gate: 'errors',
    kind: 'error-rate',
    provider: 'router',
    verdict: 'pass',
    reason: 'canary 1/1000 (0.10%), baseline 2/1000 (0.20%)',
    observed: 0.001,
    baselineObserved: 0.002,
    threshold: 0.012,
    samples: { canary: 1000, baseline: 1000 },
    window: { from: T0, to: T0 + 5_000 },
    evidence: { logLikelihoodRatio: -3.2, pValue: 0.9, accepted: true, expectedMoreSamples: null },
    ...overrides,
  };
}

/** The controller's `hold` on the rollout's current step: the next state and its decision, ready to commit. */
export function aHold(
  rollout: Rollout,
  at: number,
  verdicts: GateResult[] = [aGateResult()]
): { next: Rollout; decision: Decision } {
  const next = { ...rollout, tickSeq: rollout.tickSeq + 1 };
  const decision: Decision = {
    rolloutId: rollout.id,
    seq: next.tickSeq,
    at,
    kind: 'hold',
    actor: 'sentra',
    stepIndex: rollout.stepIndex,
    fromWeight: rollout.desired.weight,
    toWeight: rollout.desired.weight,
    reason: 'step 1 at 5% for 10.0s: all gates pass, holding until 1m',
    verdicts,
  };
  return { next, decision };
}

export function anAuditEntry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: T0,
    actor: 'alice',
    action: 'rollout.start',
    target: `rollout:${uniqueName('rollout')}`,
    detail: { note: 'from the API' },
    ...overrides,
  };
}

export function anEvent(overrides: Partial<EventInput> = {}): EventInput {
  return {
    at: T0,
    type: 'decision',
    rolloutId: null,
    service: null,
    payload: { kind: 'hold', weight: 5 },
    ...overrides,
  };
}

export function anOutboxItem(overrides: Partial<OutboxInput> = {}): OutboxInput {
  return {
    createdAt: T0,
    topic: 'annotations',
    payload: { text: 'rollout advanced to 50%', tags: ['sentra', 'advance'] },
    ...overrides,
  };
}
