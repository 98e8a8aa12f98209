import type { Counts } from '../gates/observation.ts';

/**
 * Sequential comparison of the canary's event rate (errors, or slow requests)
 * with the baseline's, on counts.
 *
 * Which test, and why:
 * - The canary's events are Bernoulli trials. "Healthy" means its rate is at
 *   most the tolerated rate p0 = max(baseline × (1 + relative), baseline + absolute),
 *   where the baseline's rate is estimated from its own (usually much larger) counts.
 * - Wald's sequential probability ratio test needs the fewest samples on average
 *   of any test with the same error rates, but only for the one alternative it
 *   was tuned to. A bad canary may be 1.5× or 50× worse, so Sentra mixes the
 *   likelihood ratios of a grid of alternatives p1 = m × p0 with equal weights
 *   (a mixture SPRT). The mixture is a nonnegative martingale under p0, so by
 *   Ville's inequality the chance that it ever reaches 1/alpha, however often it
 *   is looked at, is at most alpha. Looking every tick does not inflate false
 *   rollbacks, and a large fault is caught after a handful of samples.
 * - The healthy side is Wald's test of p0 against 2 × p0: once its likelihood
 *   ratio falls under beta / (1 - alpha), the canary is accepted as healthy and
 *   a step may advance early.
 * The likelihood ratio of Bernoulli trials depends only on the totals, so the
 * state to keep between ticks is the accumulated counts and nothing else.
 */

export interface SequentialSettings {
  /** Highest acceptable rate of wrongly failing a healthy canary. */
  alpha: number;
  /** Highest acceptable rate of accepting a canary at twice the tolerated rate. */
  beta: number;
  /** Tolerated relative increase over the baseline (0.5 = 50% worse is still healthy). */
  relative: number;
  /** Tolerated absolute increase over the baseline (0.001 = 0.1 percentage points). */
  absolute: number;
}

export type SequentialDecision = 'reject' | 'accept' | 'continue';

export interface SequentialResult {
  decision: SequentialDecision;
  /** Log of the mixture likelihood ratio (fault against healthy). */
  logLikelihoodRatio: number;
  pValue: number;
  canaryRate: number | null;
  baselineRate: number | null;
  toleratedRate: number;
  expectedMoreSamples: number | null;
}

export const DEFAULT_SEQUENTIAL: SequentialSettings = { alpha: 0.005, beta: 0.05, relative: 0.5, absolute: 0.001 };

const MULTIPLIERS = [1.5, 2, 3, 5, 10, 20, 50];
const MAX_RATE = 0.999;

export function compareRates(canary: Counts, baseline: Counts, settings: SequentialSettings): SequentialResult {
  const p0 = toleratedRate(baseline, settings);
  const logLRs = MULTIPLIERS.map((m) => logLikelihoodRatio(canary, p0, Math.min(MAX_RATE, p0 * m)));
  const logMixture = logMeanExp(logLRs);
  const acceptLogLR = logLikelihoodRatio(canary, p0, Math.min(MAX_RATE, 2 * p0));

  let decision: SequentialDecision = 'continue';
  if (logMixture >= Math.log(1 / settings.alpha)) decision = 'reject';
  else if (acceptLogLR <= Math.log(settings.beta / (1 - settings.alpha))) decision = 'accept';

  return {
    decision,
    logLikelihoodRatio: logMixture,
    pValue: Math.min(1, Math.exp(-logMixture)),
    canaryRate: canary.requests > 0 ? canary.errors / canary.requests : null,
    baselineRate: baseline.requests > 0 ? baseline.errors / baseline.requests : null,
    toleratedRate: p0,
    expectedMoreSamples: decision === 'continue' ? expectedMore(canary, p0, logMixture, acceptLogLR, settings) : 0,
  };
}

/**
 * The rate a healthy canary may have. The baseline's rate is shrunk a little
 * toward zero errors (half an error of prior weight) so that a baseline with no
 * errors yet still gives a rate above zero.
 */
export function toleratedRate(baseline: Counts, settings: SequentialSettings): number {
  const rate = (baseline.errors + 0.5) / (baseline.requests + 1);
  const tolerated = Math.max(rate * (1 + settings.relative), rate + settings.absolute);
  return Math.min(0.5, Math.max(1e-6, tolerated));
}

/** Log-likelihood ratio of `counts` under rate p1 against rate p0. */
export function logLikelihoodRatio(counts: Counts, p0: number, p1: number): number {
  const ok = counts.requests - counts.errors;
  return counts.errors * Math.log(p1 / p0) + ok * Math.log((1 - p1) / (1 - p0));
}

function logMeanExp(values: number[]): number {
  const max = Math.max(...values);
  const sum = values.reduce((acc, v) => acc + Math.exp(v - max), 0);
  return max + Math.log(sum / values.length);
}

/**
 * Wald's approximation of the samples still needed: the distance to the
 * nearer boundary divided by the expected log-likelihood step per sample at
 * the rate observed so far.
 */
function expectedMore(
  canary: Counts,
  p0: number,
  logMixture: number,
  acceptLogLR: number,
  settings: SequentialSettings,
): number | null {
  const observed = canary.requests > 0 ? canary.errors / canary.requests : p0 / 2;
  if (observed > p0) {
    const p1 = Math.min(MAX_RATE, Math.max(observed, p0 * MULTIPLIERS[0]!));
    const drift = observed * Math.log(p1 / p0) + (1 - observed) * Math.log((1 - p1) / (1 - p0));
    const distance = Math.log(1 / settings.alpha) - logMixture;
    return drift > 0 ? Math.ceil(distance / drift) : null;
  }
  const p1 = Math.min(MAX_RATE, 2 * p0);
  const drift = observed * Math.log(p1 / p0) + (1 - observed) * Math.log((1 - p1) / (1 - p0));
  const distance = Math.log(settings.beta / (1 - settings.alpha)) - acceptLogLR;
  return drift < 0 ? Math.ceil(distance / drift) : null;
}
