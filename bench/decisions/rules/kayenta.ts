import { mannWhitney } from '../../../backend/src/domain/stats/rank.ts';
import type { Outcome, Rule, Run } from '../outcome.ts';
import { WEIGHTS } from '../world.ts';

/**
 * Kayenta-style judgement: each step is watched for a fixed horizon, cut into
 * intervals; at the end the canary's per-interval error ratios and slow
 * shares are compared with the baseline's by Mann-Whitney's U test, and the
 * canary fails if either is higher at the chosen confidence (the knob).
 * Intervals without canary requests are left out, as Kayenta leaves out
 * missing points.
 */
export const CONFIDENCES = [0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999] as const;

export function kayentaRule(horizonS: number, points: number, isDefault: boolean): Rule {
  const horizon = horizonS * 1000;
  const interval = horizon / points;
  const run = (r: Run, confidence: number): Outcome => {
    for (let step = 0; step < WEIGHTS.length; step++) {
      const start = step * horizon;
      const series = {
        canaryErrors: [] as number[],
        baselineErrors: [] as number[],
        canarySlow: [] as number[],
        baselineSlow: [] as number[],
      };
      for (let i = 0; i < points; i++) {
        const s = r.sample(start + i * interval, start + (i + 1) * interval, WEIGHTS[step]!);
        if (s.canary.requests === 0 || s.baseline.requests === 0) continue;
        series.canaryErrors.push(s.canary.errors / s.canary.requests);
        series.baselineErrors.push(s.baseline.errors / s.baseline.requests);
        series.canarySlow.push(s.canary.slow / s.canary.requests);
        series.baselineSlow.push(s.baseline.slow / s.baseline.requests);
      }
      const errors = mannWhitney(series.canaryErrors, series.baselineErrors);
      const slow = mannWhitney(series.canarySlow, series.baselineSlow);
      if (Math.min(errors.pValue, slow.pValue) < 1 - confidence) return r.end('rollback', start + horizon);
    }
    return r.end('complete', horizon * WEIGHTS.length);
  };
  const label = `Kayenta ${horizonS / 60}m × ${points} points`;
  return { id: `kayenta-${horizonS}s-${points}`, family: 'kayenta', label, isDefault, knobs: CONFIDENCES, run };
}
