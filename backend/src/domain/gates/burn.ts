import { testAgainstLimit } from '../stats/limit.ts';
import { DEFAULT_SEQUENTIAL } from '../stats/sequential.ts';
import { blank, fmt, inconclusive, pNote, problemResult } from './format.ts';
import type { BurnObservation, Counts } from './observation.ts';
import type { Evidence, GateResult, GateState } from './result.ts';
import { DEFAULT_BURN_WINDOWS } from './schemas.ts';
import type { BurnRateGate } from './schemas.ts';
import type { JudgeContext } from './threshold.ts';
import { confirmThreshold } from './threshold.ts';

/** Fewest canary requests in the short window for a burn rate to mean anything. */
export const DEFAULT_BURN_MIN_SAMPLES = 50;

/**
 * Judges a burn-rate gate: error ratio over the budget (1 − objective), over
 * the long and the short window. It fails when both burn faster than
 * `factor`, confirmed over the policy's `failTicks` ticks in a row.
 */
export function judgeBurn(
  gate: BurnRateGate,
  obs: BurnObservation,
  state: GateState,
  ctx: JudgeContext
): { result: GateResult; state: GateState } {
  const base = { ...blank(gate, obs.window), threshold: gate.factor };
  const problem =
    [obs.long, obs.short].find((r) => !r.ok && r.kind === 'error') ?? [obs.long, obs.short].find((r) => !r.ok);
  if (problem && !problem.ok) return { result: problemResult(base, problem), state };
  const long = (obs.long as { value: Counts }).value;
  const short = (obs.short as { value: Counts }).value;
  const windows = {
    longWindow: gate.longWindow ?? DEFAULT_BURN_WINDOWS.longWindow,
    shortWindow: gate.shortWindow ?? DEFAULT_BURN_WINDOWS.shortWindow,
  };
  const filled: GateResult = { ...base, samples: { canary: short.requests, baseline: null } };

  if (short.requests === 0 || long.requests === 0) {
    const reason = `no canary requests in the last ${short.requests === 0 ? windows.shortWindow : windows.longWindow}`;
    return { result: inconclusive(filled, 'no-data', reason), state };
  }
  const minSamples = gate.minSamples ?? DEFAULT_BURN_MIN_SAMPLES;
  if (short.requests < minSamples) {
    const reason = `${short.requests} of ${minSamples} canary requests needed in the last ${windows.shortWindow}`;
    return { result: inconclusive(filled, 'too-few-samples', reason), state };
  }

  const budget = 1 - gate.objective;
  const burnLong = long.errors / long.requests / budget;
  const burnShort = short.errors / short.requests / budget;
  const evidence = burnEvidence(long, short, Math.min(1, gate.factor * budget));
  const ok = burnLong <= gate.factor || burnShort <= gate.factor;
  const above = ok ? 'not both above' : 'both above';
  const shown = `burn ${fmt(burnLong)}× over ${windows.longWindow} and ${fmt(burnShort)}× over ${windows.shortWindow}, ${above} ${fmt(
    gate.factor
  )}× (${short.requests} requests in the short window, ${pNote(evidence.pValue)})`;
  const judged = { ...filled, observed: Math.min(burnLong, burnShort), evidence };
  return confirmThreshold(state, judged, ok, ctx, shown);
}

/**
 * How sure the windows make us that both burn above the factor: the weaker of
 * the two windows' evidence against the limit rate. Valid for these windows,
 * not across ticks (sliding windows share their requests).
 */
function burnEvidence(long: Counts, short: Counts, limitRate: number): Evidence {
  const { alpha, beta } = DEFAULT_SEQUENTIAL;
  const a = testAgainstLimit(long, limitRate, alpha, beta);
  const b = testAgainstLimit(short, limitRate, alpha, beta);
  const weaker = a.logLikelihoodRatio <= b.logLikelihoodRatio ? a : b;
  return {
    logLikelihoodRatio: weaker.logLikelihoodRatio,
    pValue: weaker.pValue,
    accepted: a.accepted || b.accepted,
    expectedMoreSamples: weaker.expectedMoreSamples,
  };
}
