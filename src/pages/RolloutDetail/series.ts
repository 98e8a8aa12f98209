import type { Decision, GateResult, RolloutDetail } from '../../api/types';

export interface WeightPoint {
  at: number;
  weight: number;
}

/** The canary's desired weight over time, as a step line from start to end (or now). */
export function weightSeries(detail: RolloutDetail, now: number): WeightPoint[] {
  const { rollout, steps, decisions } = detail;
  const first = steps[0]?.weight ?? decisions[0]?.fromWeight ?? rollout.weight;
  const points: WeightPoint[] = [{ at: rollout.startedAt, weight: first }];
  for (const decision of decisions) {
    const last = points[points.length - 1]!;
    if (decision.toWeight !== last.weight) {
      points.push({ at: decision.at, weight: decision.toWeight });
    }
  }
  const end = rollout.endedAt ?? now;
  points.push({ at: Math.max(end, points[points.length - 1]!.at), weight: points[points.length - 1]!.weight });
  return points;
}

export interface GatePoint {
  at: number;
  result: GateResult;
}

/** Every judged result of one gate, oldest first, from the decisions that carried it. */
export function gateHistory(decisions: Decision[], gate: string): GatePoint[] {
  const points: GatePoint[] = [];
  for (const decision of decisions) {
    const result = decision.verdicts.find((v) => v.gate === gate);
    if (result) {
      points.push({ at: decision.at, result });
    }
  }
  return points;
}
