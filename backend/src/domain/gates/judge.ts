import { DEFAULT_SEQUENTIAL, compareRates } from '../stats/sequential.ts';
import type { InconclusiveReason, Verdict } from '../vocabulary.ts';
import { accumulate, markCanaryAbsent, slowCounts } from './accumulate.ts';
import type { Counts, CountsObservation, HistogramObservation, Observation, Reading } from './observation.ts';
import type { GateResult, GateState } from './result.ts';
import type { Comparison, ErrorRateGate, Gate, LatencyGate, QueryGate } from './schemas.ts';

export interface JudgeContext {
  /** Consecutive failing ticks a threshold gate needs before its verdict is `fail`. */
  failTicks: number;
}

export interface Judged {
  result: GateResult;
  state: GateState;
}

export const DEFAULT_MIN_SAMPLES = 50;

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
  if (obs.kind === 'value' && !obs.value.ok) return { result: problemResult(blank(gate, obs.window), obs.value), state };
  if (gate.kind === 'query' || (gate.kind === 'latency' && obs.kind === 'value')) {
    if (obs.kind !== 'value') return mismatch(gate, obs, state);
    return judgeValue(gate, obs, state, ctx);
  }
  const counts = obs.kind === 'histogram' && gate.kind === 'latency' ? histogramToCounts(obs, gate.threshold) : obs;
  if (counts.kind !== 'counts') return mismatch(gate, obs, state);
  return judgeCounts(gate, counts, state, ctx);
}

function judgeCounts(gate: Gate, obs: CountsObservation, state: GateState, ctx: JudgeContext): Judged {
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
  if (canary.requests < minSamples) {
    const reason = `${canary.requests} of ${minSamples} canary requests needed`;
    return { result: inconclusive(filled, 'too-few-samples', reason), state: folded.state };
  }
  if (gate.kind === 'error-rate' && baseline.requests < minSamples) {
    // Without the baseline's own evidence there is no rate to compare with: a
    // tolerated rate guessed from a handful of requests would let almost any canary pass.
    const reason = `${baseline.requests} of ${minSamples} baseline requests needed to compare with`;
    return { result: inconclusive(filled, 'too-few-samples', reason), state: folded.state };
  }
  if (gate.kind === 'error-rate') return { result: compareErrorRate(gate, filled, canary, baseline), state: folded.state };
  const limit = gate.kind === 'error-ratio' ? gate.max : (gate as LatencyGate).maxFraction ?? 0;
  return confirmThreshold(folded.state, { ...filled, threshold: limit }, (filled.observed ?? 0) <= limit, ctx);
}

function compareErrorRate(gate: ErrorRateGate, result: GateResult, canary: Counts, baseline: Counts): GateResult {
  const settings = {
    alpha: gate.alpha ?? DEFAULT_SEQUENTIAL.alpha,
    beta: gate.beta ?? DEFAULT_SEQUENTIAL.beta,
    relative: gate.tolerance?.relative ?? DEFAULT_SEQUENTIAL.relative,
    absolute: gate.tolerance?.absolute ?? DEFAULT_SEQUENTIAL.absolute,
  };
  const test = compareRates(canary, baseline, settings);
  const evidence = {
    logLikelihoodRatio: test.logLikelihoodRatio,
    pValue: test.pValue,
    accepted: test.decision === 'accept',
    expectedMoreSamples: test.expectedMoreSamples,
  };
  const verdict: Verdict = test.decision === 'reject' ? 'fail' : 'pass';
  const counts = `canary ${canary.errors}/${canary.requests} (${pct(test.canaryRate)}), baseline ${baseline.errors}/${
    baseline.requests
  } (${pct(test.baselineRate)})`;
  const reason =
    verdict === 'fail'
      ? `canary error rate above tolerated ${pct(test.toleratedRate)}: ${counts}, p=${test.pValue.toPrecision(2)}`
      : `canary error rate within tolerated ${pct(test.toleratedRate)}: ${counts}`;
  return { ...result, verdict, reason, threshold: test.toleratedRate, evidence };
}

function judgeValue(gate: QueryGate | LatencyGate, obs: Extract<Observation, { kind: 'value' }>, state: GateState, ctx: JudgeContext): Judged {
  const base = blank(gate, obs.window);
  if (!obs.value.ok) return { result: problemResult(base, obs.value), state };
  const value = obs.value.value;
  const op: Comparison = gate.kind === 'query' ? gate.op : '<=';
  const samples = obs.samples?.ok ? obs.samples.value : null;
  const filled = { ...base, observed: Number.isNaN(value) ? null : value, threshold: gate.threshold };
  const withSamples = { ...filled, samples: { canary: samples ?? 0, baseline: null } };

  if (Number.isNaN(value)) return { result: inconclusive(withSamples, 'no-data', 'the query returned NaN (no traffic?)'), state };
  if (obs.samples && !obs.samples.ok) return { result: problemResult(withSamples, obs.samples), state };
  const minSamples = gate.minSamples;
  if (minSamples !== undefined && (samples ?? 0) < minSamples) {
    const reason = `${samples ?? 0} of ${minSamples} samples needed`;
    return { result: inconclusive(withSamples, 'too-few-samples', reason), state };
  }
  return confirmThreshold(state, withSamples, compare(value, op, gate.threshold), ctx, op);
}

/**
 * A threshold crossed on one tick is not yet a failure: it must hold for the
 * policy's number of ticks in a row, so one noisy tick never rolls back.
 */
function confirmThreshold(state: GateState, result: GateResult, ok: boolean, ctx: JudgeContext, op: Comparison = '<='): Judged {
  const shown = `${fmt(result.observed)} ${ok ? op : negate(op)} ${fmt(result.threshold)}`;
  if (ok) return { result: { ...result, verdict: 'pass', reason: `${shown}${sampleNote(result)}` }, state: { ...state, failStreak: 0 } };
  const failStreak = state.failStreak + 1;
  const next = { ...state, failStreak };
  if (failStreak >= ctx.failTicks) {
    return { result: { ...result, verdict: 'fail', reason: `${shown}${sampleNote(result)} for ${failStreak} ticks in a row` }, state: next };
  }
  const reason = `${shown}${sampleNote(result)}, ${failStreak} of ${ctx.failTicks} ticks in a row needed to fail`;
  return { result: inconclusive(result, 'unconfirmed', reason), state: next };
}

function histogramToCounts(obs: HistogramObservation, threshold: number): CountsObservation {
  const convert = (r: Reading<{ buckets: { le: number; count: number }[]; count: number }>): Reading<Counts> =>
    r.ok ? { ok: true, value: slowCounts(r.value, threshold).counts } : r;
  return { kind: 'counts', mode: obs.mode, window: obs.window, canary: convert(obs.canary), baseline: convert(obs.baseline) };
}

function blank(gate: Gate, window: GateResult['window']): GateResult {
  return {
    gate: gate.name,
    kind: gate.kind,
    provider: gate.provider,
    verdict: 'inconclusive',
    reason: '',
    observed: null,
    baselineObserved: null,
    threshold: null,
    samples: { canary: 0, baseline: null },
    window,
    evidence: null,
  };
}

function problemResult(result: GateResult, problem: { kind: 'no-data' | 'error'; reason: string }): GateResult {
  if (problem.kind === 'error') return { ...result, verdict: 'error', reason: problem.reason };
  return inconclusive(result, 'no-data', problem.reason);
}

function inconclusive(result: GateResult, why: InconclusiveReason, reason: string): GateResult {
  return { ...result, verdict: 'inconclusive', inconclusive: why, reason };
}

function mismatch(gate: Gate, obs: Observation, state: GateState): Judged {
  const reason = `provider ${gate.provider} answered ${obs.kind} readings, which a ${gate.kind} gate cannot judge`;
  return { result: { ...blank(gate, obs.window), verdict: 'error', reason }, state };
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

function rate(counts: Counts): number | null {
  return counts.requests > 0 ? counts.errors / counts.requests : null;
}

function pct(value: number | null): string {
  return value === null ? 'n/a' : `${(value * 100).toFixed(2)}%`;
}

function fmt(value: number | null): string {
  if (value === null) return 'n/a';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return Number(value.toPrecision(4)).toString();
}

function sampleNote(result: GateResult): string {
  return result.samples.canary > 0 ? ` (${result.samples.canary} samples)` : '';
}

