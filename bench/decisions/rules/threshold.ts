import type { Outcome, Rule, Run } from '../outcome.ts';
import type { VersionCounts } from '../world.ts';
import { HORIZON_MS, WEIGHTS } from '../world.ts';

/**
 * Threshold rules as Flagger and Argo Rollouts run them. Each check reads the
 * canary's error ratio and share of slow requests over the last interval and
 * fails if either is above a limit. The limit is a multiple (the knob) of the
 * baseline's usual value, as a person would set it from a dashboard; the
 * benchmark tries every multiple and keeps, per traffic level, the smallest
 * one whose false rollbacks stay within the goal.
 */
export const THRESHOLD_MULTIPLES = [1.25, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48] as const;

function checkFails(run: Run, c: VersionCounts, multiple: number): boolean {
  // No requests gives NaN in a ratio query; Flagger halts on "no values" and
  // counts a failed check, and NaN fails Argo's success condition.
  if (c.requests === 0) return true;
  const s = run.world.scenario;
  return c.errors / c.requests > multiple * s.baselineError || c.slow / c.requests > multiple * s.baselineSlow;
}

/**
 * Flagger: every `interval` one check; a pass moves to the next weight, a
 * failure holds the weight and counts; `threshold` failures roll back. After
 * a pass at the last weight the canary is promoted.
 */
export function flaggerRule(intervalS: number, threshold: number, isDefault: boolean): Rule {
  const interval = intervalS * 1000;
  const run = (r: Run, multiple: number): Outcome => {
    let step = 0;
    let failures = 0;
    for (let t = interval; t <= HORIZON_MS; t += interval) {
      const s = r.sample(t - interval, t, WEIGHTS[step]!);
      if (checkFails(r, s.canary, multiple)) {
        failures++;
        if (failures >= threshold) return r.end('rollback', t);
        continue;
      }
      step++;
      if (step === WEIGHTS.length) return r.end('complete', t);
    }
    return r.end('running', HORIZON_MS);
  };
  const label = `Flagger ${intervalS}s × ${threshold}`;
  return {
    id: `flagger-${intervalS}s-${threshold}`,
    family: 'flagger',
    label,
    isDefault,
    knobs: THRESHOLD_MULTIPLES,
    run,
  };
}

/**
 * Argo Rollouts with a background analysis: steps advance on a timer (each
 * held for two measurement intervals), a measurement runs every `interval`,
 * and the analysis fails, rolling back, once failed measurements exceed
 * `failureLimit`.
 */
export function argoRule(intervalS: number, failureLimit: number, isDefault: boolean): Rule {
  const interval = intervalS * 1000;
  const stepLength = 2 * interval;
  const end = stepLength * WEIGHTS.length;
  const run = (r: Run, multiple: number): Outcome => {
    let failures = 0;
    for (let t = interval; t <= end; t += interval) {
      const weight = WEIGHTS[Math.floor((t - interval) / stepLength)]!;
      const s = r.sample(t - interval, t, weight);
      if (checkFails(r, s.canary, multiple)) {
        failures++;
        if (failures > failureLimit) return r.end('rollback', t);
      }
    }
    return r.end('complete', end);
  };
  const label = `Argo ${intervalS}s, failureLimit ${failureLimit}`;
  return {
    id: `argo-${intervalS}s-${failureLimit}`,
    family: 'argo',
    label,
    isDefault,
    knobs: THRESHOLD_MULTIPLES,
    run,
  };
}
