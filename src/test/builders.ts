import type {
  Decision,
  GateResult,
  Policy,
  PolicyRecord,
  ReplayResult,
  ReplayTick,
  RolloutDetail,
  RolloutSummary,
  SentraEvent,
  StepRecord,
} from '../api/types';

export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

export function aPolicy(overrides: Partial<Policy> = {}): Policy {
  return {
    name: 'standard',
    description: 'Five steps, judged on errors and latency',
    steps: [
      { weight: 5, minDuration: '1m' },
      { weight: 25, minDuration: '1m' },
      { weight: 50, minDuration: '1m' },
      { weight: 100, minDuration: '1m' },
    ],
    gates: [
      { name: 'errors', kind: 'error-rate', provider: 'router' },
      {
        name: 'p99',
        kind: 'latency',
        provider: 'prometheus',
        datasourceUid: 'prom-main',
        query: { histogram: 'http_request_duration_seconds', selector: 'service="$service",version="$version"' },
        threshold: 0.3,
        quantile: 0.99,
      },
    ],
    ...overrides,
  };
}

export function aPolicyRecord(overrides: Partial<PolicyRecord> = {}): PolicyRecord {
  return {
    name: 'standard',
    version: 3,
    policy: aPolicy(),
    createdAt: T0 - 86_400_000,
    updatedAt: T0 - 3_600_000,
    ...overrides,
  };
}

export function aRollout(overrides: Partial<RolloutSummary> = {}): RolloutSummary {
  return {
    id: 'r-1',
    service: 'checkout',
    baseline: 'v1',
    canary: 'v2',
    policyName: 'standard',
    policyVersion: 3,
    phase: 'progressing',
    stepIndex: 1,
    stepCount: 4,
    weight: 25,
    appliedWeight: 25,
    headerRoute: null,
    worstVerdict: 'pass',
    pauseReason: null,
    startedAt: T0,
    stepStartedAt: T0 + 65_000,
    endedAt: null,
    createdBy: 'alice',
    ...overrides,
  };
}

export function aGateResult(overrides: Partial<GateResult> = {}): GateResult {
  return {
    gate: 'errors',
    kind: 'error-rate',
    provider: 'router',
    verdict: 'pass',
    reason: 'canary error rate 0.20% (4/2000) within tolerated 1.00% of baseline 0.18%',
    observed: 0.002,
    baselineObserved: 0.0018,
    threshold: 0.01,
    samples: { canary: 2000, baseline: 18000 },
    window: { from: T0 + 60_000, to: T0 + 65_000 },
    evidence: { logLikelihoodRatio: -3.2, pValue: 0.41, accepted: true, expectedMoreSamples: 120 },
    ...overrides,
  };
}

export function aDecision(overrides: Partial<Decision> = {}): Decision {
  return {
    rolloutId: 'r-1',
    seq: 1,
    at: T0 + 65_000,
    kind: 'advance',
    actor: 'sentra',
    stepIndex: 0,
    fromWeight: 5,
    toWeight: 25,
    reason: 'all gates pass after 1m at 5%: advancing to 25%',
    verdicts: [aGateResult()],
    ...overrides,
  };
}

export function aStep(overrides: Partial<StepRecord> = {}): StepRecord {
  return {
    rolloutId: 'r-1',
    index: 0,
    weight: 5,
    startedAt: T0,
    endedAt: T0 + 65_000,
    outcome: 'advance',
    ...overrides,
  };
}

export function aRolloutDetail(overrides: Partial<RolloutSummary> = {}): RolloutDetail {
  const rollout = aRollout(overrides);
  return {
    rollout: {
      ...rollout,
      policy: aPolicy(),
      traffic: { controller: 'router' },
      desired: { weight: rollout.weight, headerRoute: null },
      applied: { weight: rollout.weight, headerRoute: null },
    },
    steps: [aStep(), aStep({ index: 1, weight: 25, startedAt: T0 + 65_000, endedAt: null, outcome: null })],
    decisions: [aDecision()],
    gates: [
      aGateResult(),
      aGateResult({
        gate: 'p99',
        kind: 'latency',
        provider: 'prometheus',
        verdict: 'inconclusive',
        inconclusive: 'too-few-samples',
        reason: 'p99 latency 0.21 s from 80 requests; 200 needed',
        observed: 0.21,
        baselineObserved: null,
        threshold: 0.3,
        samples: { canary: 80, baseline: null },
        evidence: null,
      }),
    ],
  };
}

let nextEventId = 100;

export function anEvent(rollout: RolloutSummary, decision?: Decision): SentraEvent {
  nextEventId += 1;
  return {
    id: nextEventId,
    at: decision?.at ?? rollout.startedAt,
    type: decision ? 'rollout.decision' : 'rollout.created',
    rolloutId: rollout.id,
    service: rollout.service,
    payload: { rollout, ...(decision ? { decision } : {}) },
  };
}

/** The traffic controller confirmed a weight for a rollout. */
export function anAppliedEvent(rollout: Pick<RolloutSummary, 'id' | 'service'>, weight: number): SentraEvent {
  nextEventId += 1;
  return {
    id: nextEventId,
    at: T0,
    type: 'rollout.applied',
    rolloutId: rollout.id,
    service: rollout.service,
    payload: { applied: { weight, headerRoute: null }, cause: 'tick' },
  };
}

/** A replayed tick: by default the first step holding at 5% while its gate passes. */
export function aReplayTick(overrides: Partial<ReplayTick> = {}): ReplayTick {
  return {
    at: T0,
    stepIndex: 0,
    weight: 5,
    toWeight: 5,
    decision: 'hold',
    reason: 'step 1 at 5% for 0s of at least 1m: holding',
    verdicts: [aGateResult({ gate: 'errors-prom', provider: 'prometheus', evidence: null })],
    ...overrides,
  };
}

/**
 * A replay that holds the first step, advances to 25% and rolls back there
 * when the canary's error rate fails its gate.
 */
export function aRolledBackReplay(overrides: Partial<ReplayResult> = {}): ReplayResult {
  const failing = aGateResult({
    gate: 'errors-prom',
    provider: 'prometheus',
    verdict: 'fail',
    reason: 'canary error rate 4.10% (41/1000) above tolerated 1.00% of baseline 0.20%',
    observed: 0.041,
    baselineObserved: 0.002,
    threshold: 0.01,
    samples: { canary: 1000, baseline: 3000 },
    evidence: null,
  });
  return {
    policy: 'standard',
    from: T0,
    to: T0 + 3_600_000,
    tickInterval: '5s',
    ticks: [
      aReplayTick(),
      aReplayTick({
        at: T0 + 60_000,
        decision: 'advance',
        toWeight: 25,
        reason: 'all gates pass after 1m at 5%: advancing to 25%',
      }),
      aReplayTick({
        at: T0 + 65_000,
        stepIndex: 1,
        weight: 25,
        toWeight: 0,
        decision: 'rollback',
        reason: 'gate errors-prom failed: canary error rate 4.10% above tolerated 1.00%: rolling back',
        verdicts: [failing],
      }),
    ],
    outcome: 'rolled_back',
    decidedAt: T0 + 65_000,
    note: 'Replay cannot change past traffic. Nothing was stored and no traffic moved.',
    ...overrides,
  };
}
