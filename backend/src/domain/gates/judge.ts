import type { Policy } from '../policy.ts';
import { resolveLimits } from '../policy.ts';
import { testAgainstLimit } from '../stats/limit.ts';
import { DEFAULT_SEQUENTIAL } from '../stats/sequential.ts';
import type { Accumulated } from './accumulate.ts';
import { accumulate, markCanaryAbsent, slowCounts } from './accumulate.ts';
import { judgeBurn } from './burn.ts';
import type { Judged } from './compare.ts';
import { compareCounts, compareQuantiles, isComparing } from './compare.ts';
import { judgeNewErrors } from './new-errors.ts';
import { blank, fmt, inconclusive, mismatch, pNote, problemResult, rate, sampleNote } from './format.ts';
import type {
  Counts,
  CountsObservation,
  HistogramObservation,
  Observation,
  Reading,
  ValueObservation,
} from './observation.ts';
import type { GateResult, GateState } from './result.ts';
import type { Comparison, ErrorRatioGate, Gate, LatencyGate, QueryGate } from './schemas.ts';
import type { JudgeContext } from './threshold.ts';
import { confirmThreshold } from './threshold.ts';

export type { JudgeContext } from './threshold.ts';
export type { Judged } from './compare.ts';

/**
 * Fewest canary requests in a step before a counts gate may pass. It never
 * delays a failure of a comparing gate: the sequential test is valid at any
 * sample size. For threshold gates it keeps a ratio of a handful of requests
 * from crossing the limit by chance; 50 requests put one error at 2%.
 */
export const DEFAULT_MIN_SAMPLES = 50;

type CountsGate = Exclude<Gate, QueryGate | Extract<Gate, { kind: 'burn-rate' | 'new-errors' }>>;

/** What judging needs from the policy: its `failTicks` and how many gates share the false-rollback budget. */
export function judgeContext(policy: Policy): JudgeContext {
  return { failTicks: resolveLimits(policy.limits).failTicks, comparingGates: policy.gates.filter(isComparing).length };
}

/**
 * Judges one gate on one tick: pure, from the observation and what the gate
 * remembered. Only a finite number (or an infinity, which compares) can pass or
 * fail; missing data is `inconclusive`, a failed query is `error`.
 */
export function judgeGate(gate: Gate, obs: Observation, state: GateState, ctx: JudgeContext): Judged {
  const judged = judgeObservation(gate, obs, state, ctx);
  return { result: judged.result, state: { ...judged.state, last: judged.result } };
}

function judgeObservation(gate: Gate, obs: Observation, state: GateState, ctx: JudgeContext): Judged {
  // A query that failed is an error for any gate kind, whatever shape its answer would have had.
  if (obs.kind === 'value' && !obs.value.ok)
    return { result: problemResult(blank(gate, obs.window), obs.value), state };
  if (gate.kind === 'burn-rate')
    return obs.kind === 'burn' ? judgeBurn(gate, obs, state, ctx) : mismatch(gate, obs, state);
  if (gate.kind === 'new-errors' || obs.kind === 'templates') {
    if (gate.kind !== 'new-errors' || obs.kind !== 'templates') return mismatch(gate, obs, state);
    return judgeNewErrors(gate, obs, state);
  }
  if (gate.kind === 'query' || (gate.kind === 'latency' && obs.kind === 'value')) {
    if (obs.kind !== 'value') return mismatch(gate, obs, state);
    if (gate.kind === 'latency' && gate.compare) return compareQuantiles(gate, obs, state, ctx);
    return judgeValue(gate, obs, state, ctx);
  }
  const counts = obs.kind === 'histogram' && gate.kind === 'latency' ? histogramToCounts(obs, gate.threshold) : obs;
  if (counts.kind !== 'counts') return mismatch(gate, obs, state);
  return judgeCounts(gate, counts, state, ctx);
}

function judgeCounts(gate: CountsGate, obs: CountsObservation, state: GateState, ctx: JudgeContext): Judged {
  const base = blank(gate, obs.window);
  const folded = accumulate(state, obs);
  if (folded.problem) {
    const absent = folded.problem.kind === 'no-data' && obs.mode === 'cumulative' && !obs.canary.ok;
    const next = absent ? markCanaryAbsent(state, obs.baseline) : state;
    return { result: problemResult(base, folded.problem), state: next };
  }
  const { canary, baseline } = folded.state.totals;
  const samples = { canary: canary.requests, baseline: baseline.requests };
  const filled = { ...base, samples, observed: rate(canary), baselineObserved: rate(baseline) };

  if (folded.newCanary === 0) {
    const reason = `no new canary requests since the last tick (${canary.requests} in this step so far)`;
    return { result: inconclusive(filled, 'no-data', reason), state: folded.state };
  }
  const minSamples = gate.minSamples ?? DEFAULT_MIN_SAMPLES;
  if (isComparing(gate)) return compareCounts(gate, filled, folded.state, minSamples, ctx);
  if (canary.requests < minSamples) {
    const reason = `${canary.requests} of ${minSamples} canary requests needed`;
    return { result: inconclusive(filled, 'too-few-samples', reason), state: folded.state };
  }
  return judgeCrossing(gate, folded, filled, ctx);
}

/**
 * A threshold gate on counts. A tick counts toward `failTicks` only when both
 * the step's total and the requests this tick added are above the limit: the
 * step's total keeps one noisy tick's errors for the rest of the step, so on
 * its own it would repeat the same crossing tick after tick. With a sliding
 * window (`window` readings) the tick's own requests are the window, and
 * consecutive windows overlap: `failTicks` then counts ticks, not
 * independent windows.
 */
function judgeCrossing(
  gate: ErrorRatioGate | LatencyGate,
  folded: Accumulated,
  result: GateResult,
  ctx: JudgeContext
): Judged {
  const limit = gate.kind === 'error-ratio' ? gate.max : (gate.maxFraction ?? 0);
  const total = folded.state.totals.canary;
  const tickRate = rate(folded.added) ?? 0;
  const ok = (result.observed ?? 0) <= limit || tickRate <= limit;
  const test = testAgainstLimit(total, limit, DEFAULT_SEQUENTIAL.alpha, DEFAULT_SEQUENTIAL.beta);
  const evidence = {
    logLikelihoodRatio: test.logLikelihoodRatio,
    pValue: test.pValue,
    accepted: test.accepted,
    expectedMoreSamples: test.expectedMoreSamples,
  };
  const judged = { ...result, threshold: limit, evidence };
  const sign = (result.observed ?? 0) <= limit ? '<=' : '>';
  const sameAsTotal = folded.added.requests === total.requests && folded.added.errors === total.errors;
  const tick = sameAsTotal ? '' : `, this tick ${fmt(tickRate)}`;
  const shown = `${fmt(result.observed)} ${sign} ${fmt(limit)}${sampleNote(result)}${tick}, ${pNote(test.pValue)}`;
  // The step's total is over the limit but this tick's own requests are not: not a failing tick,
  // and not a pass either, since a canary over its limit is never promoted.
  if (ok && (result.observed ?? 0) > limit) {
    const reason = `${shown}; over the limit on the step's total, not on this tick`;
    return { result: inconclusive(judged, 'unconfirmed', reason), state: folded.state };
  }
  return confirmThreshold(folded.state, judged, ok, ctx, shown);
}

function judgeValue(gate: QueryGate | LatencyGate, obs: ValueObservation, state: GateState, ctx: JudgeContext): Judged {
  const base = blank(gate, obs.window);
  if (!obs.value.ok) return { result: problemResult(base, obs.value), state };
  const value = obs.value.value;
  const op: Comparison = gate.kind === 'query' ? gate.op : '<=';
  const samples = obs.samples?.ok ? obs.samples.value : null;
  const filled = { ...base, observed: Number.isNaN(value) ? null : value, threshold: gate.threshold };
  const withSamples = { ...filled, samples: { canary: samples ?? 0, baseline: null } };

  if (Number.isNaN(value))
    return { result: inconclusive(withSamples, 'no-data', 'the query returned NaN (no traffic?)'), state };
  if (obs.samples && !obs.samples.ok) return { result: problemResult(withSamples, obs.samples), state };
  const minSamples = gate.minSamples;
  if (minSamples !== undefined && (samples ?? 0) < minSamples) {
    const reason = `${samples ?? 0} of ${minSamples} samples needed`;
    return { result: inconclusive(withSamples, 'too-few-samples', reason), state };
  }
  const ok = compare(value, op, gate.threshold);
  const shown = `${fmt(value)} ${ok ? op : negate(op)} ${fmt(gate.threshold)}${sampleNote(withSamples)}`;
  return confirmThreshold(state, withSamples, ok, ctx, shown);
}

function histogramToCounts(obs: HistogramObservation, threshold: number): CountsObservation {
  const convert = (r: Reading<{ buckets: { le: number; count: number }[]; count: number }>): Reading<Counts> =>
    r.ok ? { ok: true, value: slowCounts(r.value, threshold).counts } : r;
  return {
    kind: 'counts',
    mode: obs.mode,
    window: obs.window,
    canary: convert(obs.canary),
    baseline: convert(obs.baseline),
  };
}

/** Infinities compare like any number; NaN never reaches here. */
export function compare(value: number, op: Comparison, threshold: number): boolean {
  if (op === '<') return value < threshold;
  if (op === '<=') return value <= threshold;
  if (op === '>') return value > threshold;
  return value >= threshold;
}

function negate(op: Comparison): string {
  return { '<': '>=', '<=': '>', '>': '<=', '>=': '<' }[op];
}
