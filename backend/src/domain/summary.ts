import type { GateResult } from './gates/result.ts';
import type { HeaderRoute } from './policy.ts';
import type { Rollout } from './rollout.ts';
import type { Phase, Verdict } from './vocabulary.ts';
import { worstVerdict } from './vocabulary.ts';

/** A rollout as lists, events and annotations show it. */
export interface RolloutSummary {
  id: string;
  service: string;
  baseline: string;
  canary: string;
  policyName: string;
  policyVersion: number;
  phase: Phase;
  stepIndex: number;
  stepCount: number;
  weight: number;
  appliedWeight: number | null;
  headerRoute: HeaderRoute | null;
  worstVerdict: Verdict | null;
  pauseReason: string | null;
  startedAt: number;
  stepStartedAt: number;
  endedAt: number | null;
  createdBy: string;
}

export function toSummary(rollout: Rollout): RolloutSummary {
  return {
    id: rollout.id,
    service: rollout.service,
    baseline: rollout.baseline,
    canary: rollout.canary,
    policyName: rollout.policyName,
    policyVersion: rollout.policyVersion,
    phase: rollout.phase,
    stepIndex: rollout.stepIndex,
    stepCount: rollout.policy.steps.length,
    weight: rollout.desired.weight,
    appliedWeight: rollout.applied?.weight ?? null,
    headerRoute: rollout.desired.headerRoute,
    worstVerdict: worstVerdict(latestResults(rollout).map((r) => r.verdict)),
    pauseReason: rollout.pauseReason,
    startedAt: rollout.startedAt,
    stepStartedAt: rollout.stepStartedAt,
    endedAt: rollout.endedAt,
    createdBy: rollout.createdBy,
  };
}

/** Each gate's latest result, in the policy's order. */
export function latestResults(rollout: Rollout): GateResult[] {
  return rollout.policy.gates.flatMap((gate) => {
    const last = rollout.gateState[gate.name]?.last;
    return last ? [last] : [];
  });
}
