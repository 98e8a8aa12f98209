import { signTest } from '../stats/rank.ts';
import type { SequentialSettings } from '../stats/sequential.ts';
import { DEFAULT_SEQUENTIAL, compareRates } from '../stats/sequential.ts';
import { blank, fmt, inconclusive, pNote, pct, problemResult } from './format.ts';
import type { ValueObservation } from './observation.ts';
import type { Evidence, GateResult, GateState } from './result.ts';
import type { ErrorRateGate, Gate, LatencyGate } from './schemas.ts';
import type { JudgeContext } from './threshold.ts';

/**
 * Gates that compare the canary with the baseline. They fail on evidence
 * alone: once the sequential test rejects, whatever the sample count; below
 * `minSamples` they only hold back a pass.
 */

/** Whether a gate is judged by comparing canary with baseline on evidence. */
export function isComparing(gate: Gate): gate is ComparingGate {
  return gate.kind === 'error-rate' || (gate.kind === 'latency' && gate.compare === true);
}

export type ComparingGate = ErrorRateGate | LatencyGate;

export interface Judged {
  result: GateResult;
  state: GateState;
}

export function settingsOf(gate: ComparingGate, ctx: JudgeContext): SequentialSettings {
  const share = Math.max(1, ctx.comparingGates ?? 1);
  return {
    alpha: gate.alpha ?? DEFAULT_SEQUENTIAL.alpha / share,
    beta: gate.beta ?? DEFAULT_SEQUENTIAL.beta,
    relative: gate.tolerance?.relative ?? DEFAULT_SEQUENTIAL.relative,
    absolute: gate.tolerance?.absolute ?? DEFAULT_SEQUENTIAL.absolute,
  };
}

/** Error rates, or shares of slow requests, over the step's totals in `state`. */
export function compareCounts(
  gate: ComparingGate,
  result: GateResult,
  state: GateState,
  minSamples: number,
  ctx: JudgeContext
): Judged {
  const { canary, baseline } = state.totals;
  if (baseline.requests === 0) {
    return {
      result: inconclusive(result, 'too-few-samples', 'no baseline requests in this step yet: nothing to compare with'),
      state,
    };
  }
  const test = compareRates(canary, baseline, settingsOf(gate, ctx), state.sequential);
  const next = { ...state, sequential: test.state };
  const evidence: Evidence = {
    logLikelihoodRatio: test.logLikelihoodRatio,
    pValue: test.pValue,
    accepted: test.decision === 'accept',
    expectedMoreSamples: test.expectedMoreSamples,
  };
  const judged = { ...result, threshold: test.toleratedRate, evidence };
  const what = gate.kind === 'error-rate' ? 'error rate' : `share of requests slower than ${gate.threshold}s`;
  const counts = `canary ${canary.errors}/${canary.requests} (${pct(test.canaryRate)}), baseline ${baseline.errors}/${
    baseline.requests
  } (${pct(test.baselineRate)})`;
  const tolerated = `tolerated ${fmt(test.toleratedRatio)}× baseline`;

  if (test.decision === 'reject') {
    const reason = `canary ${what} above ${tolerated}: ${counts}, ${pNote(test.pValue)}`;
    return { result: { ...judged, verdict: 'fail', reason }, state: next };
  }
  if (canary.requests < minSamples) {
    const reason = `${canary.requests} of ${minSamples} canary requests needed; ${counts}`;
    return { result: inconclusive(judged, 'too-few-samples', reason), state: next };
  }
  if (doubtful(evidence)) {
    const reason = `canary ${what} leans above ${tolerated}: ${counts}, ${pNote(test.pValue)}; holding for evidence either way`;
    return { result: inconclusive(judged, 'unconfirmed', reason), state: next };
  }
  const status = evidence.accepted ? 'accepted as healthy' : `${toGo(test.expectedMoreSamples)}, ${pNote(test.pValue)}`;
  const reason = `canary ${what} within ${tolerated}: ${counts}; ${status}`;
  return { result: { ...judged, verdict: 'pass', reason }, state: next };
}

/**
 * Below this always-valid p-value the evidence leans toward a fault without
 * proving it: the gate neither fails nor passes, so the step holds until the
 * test decides (a healthy canary's likelihood ratio drifts back down; a
 * faulty one's goes on up to the rejection boundary). Without it a step could
 * advance on its minimum duration with a canary at 6% errors against 0.2%,
 * just because the test had not finished.
 */
export const DOUBT_P_VALUE = 0.1;

function doubtful(evidence: Evidence): boolean {
  return !evidence.accepted && evidence.pValue < DOUBT_P_VALUE;
}

function toGo(more: number | null): string {
  return more === null ? 'not yet decided' : `about ${more} more canary requests to decide`;
}

/**
 * Quantile values of both versions, paired window by window. A tick whose
 * window overlaps one already paired adds nothing; the gate's `windowEnd`
 * remembers where the last paired window ended, and the step's totals count
 * pairs (`requests`) and pairs where the canary was worse (`errors`).
 */
export function compareQuantiles(
  gate: LatencyGate,
  obs: ValueObservation,
  state: GateState,
  ctx: JudgeContext
): Judged {
  const base = blank(gate, obs.window);
  if (!obs.value.ok) return { result: problemResult(base, obs.value), state };
  if (!obs.baseline) {
    const reason = `provider ${gate.provider} sent no baseline value; a comparing latency gate needs both versions`;
    return { result: { ...base, verdict: 'error', reason }, state };
  }
  if (!obs.baseline.ok) return { result: problemResult(base, obs.baseline), state };
  const canaryValue = obs.value.value;
  const baselineValue = obs.baseline.value;
  if (Number.isNaN(canaryValue) || Number.isNaN(baselineValue)) {
    const which = Number.isNaN(canaryValue) ? 'canary' : 'baseline';
    return {
      result: problemResult(base, { kind: 'no-data', reason: `the ${which} quantile is NaN (no traffic?)` }),
      state,
    };
  }

  const settings = settingsOf(gate, ctx);
  const limit = baselineValue * (1 + settings.relative);
  const samples = obs.samples?.ok ? obs.samples.value : null;
  const enough = gate.minSamples === undefined || (samples !== null && samples >= gate.minSamples);
  const fresh = enough && (state.windowEnd === null || obs.window.from >= state.windowEnd);
  const pairs = state.totals.canary;
  const counted = fresh
    ? { requests: pairs.requests + 1, errors: pairs.errors + (canaryValue > limit ? 1 : 0) }
    : pairs;
  const totals = { canary: counted, baseline: counted };
  const windowEnd = fresh ? obs.window.to : state.windowEnd;

  const test = signTest(counted.requests, counted.errors, settings.alpha, settings.beta, state.sequential);
  const next: GateState = { ...state, totals, windowEnd, sequential: test.state };
  const evidence: Evidence = {
    logLikelihoodRatio: test.logLikelihoodRatio,
    pValue: test.pValue,
    accepted: test.decision === 'accept',
    expectedMoreSamples: test.expectedMoreSamples,
  };
  const result: GateResult = {
    ...base,
    observed: canaryValue,
    baselineObserved: baselineValue,
    threshold: limit,
    samples: { canary: counted.requests, baseline: counted.requests },
    evidence,
  };
  const tally = `canary slower in ${counted.errors} of ${counted.requests} windows (now ${fmt(canaryValue)}s against ${fmt(limit)}s)`;
  if (test.decision === 'reject')
    return { result: { ...result, verdict: 'fail', reason: `${tally}, ${pNote(test.pValue)}` }, state: next };
  if (counted.requests === 0) {
    return {
      result: inconclusive(result, 'too-few-samples', `no window with enough requests paired yet; ${tally}`),
      state: next,
    };
  }
  if (doubtful(evidence)) {
    return {
      result: inconclusive(result, 'unconfirmed', `${tally}, ${pNote(test.pValue)}; holding for evidence either way`),
      state: next,
    };
  }
  const status = evidence.accepted ? 'accepted as healthy' : `${pNote(test.pValue)}`;
  return { result: { ...result, verdict: 'pass', reason: `${tally}; ${status}` }, state: next };
}
