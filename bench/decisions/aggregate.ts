import { bernoulliKL, waldBounds, waldExpectedSamples } from '../../backend/src/domain/stats/wald.ts';
import type { Rule } from './outcome.ts';
import { RECORD, RESULT_CODES } from './runner.ts';
import type { Cell, Scenario } from './world.ts';
import { SLICE_MS, TRAFFIC_LEVELS, WEIGHTS, meanRates } from './world.ts';

/**
 * Turns raw outcomes into the benchmark's numbers: false rollbacks of healthy
 * rollouts, calibration of each rule's knob, times to rollback per cell, and
 * the Wald bound beside each cell.
 */

export const FALSE_ROLLBACK_GOAL = 5 / 1000;
const ALPHA = 0.005;
const BETA = 0.05;

export interface Outcomes {
  /** [scenario][rule][knob] → record offset, or -1. */
  at: (s: number, r: number, k: number) => { result: string; at: number; onset: number | null } | null;
}

export function indexOutcomes(data: Float64Array, scenarios: number, rules: Rule[]): Outcomes {
  const maxKnobs = Math.max(...rules.map((r) => r.knobs.length));
  const offsets = new Int32Array(scenarios * rules.length * maxKnobs).fill(-1);
  for (let o = 0; o < data.length; o += RECORD) {
    offsets[(data[o]! * rules.length + data[o + 1]!) * maxKnobs + data[o + 2]!] = o;
  }
  return {
    at: (s, r, k) => {
      const o = offsets[(s * rules.length + r) * maxKnobs + k]!;
      if (o < 0) return null;
      const onset = data[o + 5]!;
      return { result: RESULT_CODES[data[o + 3]!]!, at: data[o + 4]!, onset: onset < 0 ? null : onset };
    },
  };
}

export interface Calibration {
  /** Per rule and traffic level: the chosen knob index and its false-rollback rate. */
  knob: number[][];
  falseRate: number[][];
  /** Whether any knob value met the goal. */
  met: boolean[][];
}

/** Per rule and traffic level, the most sensitive knob whose false rollbacks on healthy rollouts meet the goal. */
export function calibrate(out: Outcomes, scenarios: Scenario[], rules: Rule[]): Calibration {
  const cal: Calibration = { knob: [], falseRate: [], met: [] };
  rules.forEach((rule, r) => {
    cal.knob.push([]);
    cal.falseRate.push([]);
    cal.met.push([]);
    TRAFFIC_LEVELS.forEach((level) => {
      const healthy = scenarios.filter((s) => s.kind === 'healthy' && s.traffic === level);
      const rates = rule.knobs.map(
        (_, k) => healthy.filter((s) => out.at(s.index, r, k)?.result === 'rollback').length / healthy.length
      );
      const first = rates.findIndex((x) => x <= FALSE_ROLLBACK_GOAL);
      const k = first >= 0 ? first : rates.length - 1;
      cal.knob[r]!.push(k);
      cal.falseRate[r]!.push(rates[k]!);
      cal.met[r]!.push(first >= 0);
    });
  });
  return cal;
}

export interface Timing {
  runs: number;
  caught: number;
  /** Median and 95th percentile of time to rollback in seconds, misses counting as never (Infinity). */
  median: number;
  p95: number;
  /** Rolled back before the fault showed (under-weight faults). */
  early: number;
}

export function timing(out: Outcomes, members: number[], r: number, k: number): Timing {
  const times: number[] = [];
  let early = 0;
  for (const s of members) {
    const o = out.at(s, r, k);
    if (o === null) continue;
    if (o.result !== 'rollback') times.push(Number.POSITIVE_INFINITY);
    else if (o.onset === null) {
      early++;
      times.push(0);
    } else times.push((o.at - o.onset) / 1000);
  }
  times.sort((a, b) => a - b);
  const caught = times.filter(Number.isFinite).length;
  return { runs: times.length, caught, median: quantile(times, 0.5), p95: quantile(times, 0.95), early };
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Shares of outcomes over a set of scenarios. */
export function outcomeShares(
  out: Outcomes,
  members: number[],
  r: number,
  k: number
): Record<string, number> & { completeMedian: number } {
  const counts: Record<string, number> = { rollback: 0, complete: 0, paused: 0, running: 0 };
  const completes: number[] = [];
  for (const s of members) {
    const o = out.at(s, r, k);
    if (o === null) continue;
    counts[o.result]!++;
    if (o.result === 'complete') completes.push(o.at / 1000);
  }
  completes.sort((a, b) => a - b);
  const n = members.length;
  return {
    ...Object.fromEntries(Object.entries(counts).map(([key, v]) => [key, v / n])),
    completeMedian: quantile(completes, 0.5),
  };
}

/**
 * Wald's bound for a cell, in seconds: the expected samples of his test with
 * the real p0 and p1 (alpha 0.005, beta 0.05) over the canary's request rate
 * at the weight where the fault shows. For a slow burn, the time at which the
 * expected log-likelihood ratio of the real rates reaches the same level.
 */
export function boundSeconds(cell: Cell, sample: Scenario): number {
  const weight = cell.kind === 'under-weight' ? sample.faultFromWeight : WEIGHTS[0];
  const perSecond = (cell.traffic * weight) / WEIGHTS[0];
  if (cell.kind === 'slow-burn') {
    const { upper, lower } = waldBounds(ALPHA, BETA);
    const target = (1 - BETA) * upper + BETA * lower;
    let evidence = 0;
    for (let t = 0; t < 24 * 3_600_000; t += SLICE_MS) {
      const m = meanRates(sample, t + SLICE_MS / 2);
      evidence += bernoulliKL(m.error1, m.error0) * perSecond * (SLICE_MS / 1000);
      if (evidence >= target) return (t + SLICE_MS) / 1000;
    }
    return Number.POSITIVE_INFINITY;
  }
  const m = meanRates(sample);
  const [p0, p1] = cell.kind === 'latency' ? [m.slow0, m.slow1] : [m.error0, m.error1];
  return waldExpectedSamples(p0, p1, ALPHA, BETA).fault / perSecond;
}
