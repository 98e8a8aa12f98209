import type { Counts } from '../gates/observation.ts';
import type { Alternative } from './mixture.ts';
import { bernoulliDrift, bernoulliLogLR, clampLog, logSumExp, pValueOf, trialsToGo } from './mixture.ts';
import { waldBounds } from './wald.ts';

/**
 * Evidence for threshold gates: how sure the counts make us that the canary's
 * own rate is above a fixed limit. Threshold gates decide by crossing (for
 * `failTicks` ticks in a row); this test only tells how much that crossing is
 * worth, with the same mixture as the comparison with the baseline, the limit
 * as the null rate and p0·m as the alternatives.
 *
 * Over the totals of a step, it is always valid like the comparison; over a
 * sliding window it is valid for that window only, since consecutive windows
 * share their requests.
 */

export interface LimitEvidence {
  logLikelihoodRatio: number;
  pValue: number;
  /** The rate is below the limit beyond reasonable doubt: Wald's test of limit/2 against limit says so. */
  accepted: boolean;
  expectedMoreSamples: number | null;
}

const LIMIT_ALTERNATIVES: readonly Alternative[] = [
  { multiplier: 1.5, weight: 0.3 },
  { multiplier: 2, weight: 0.25 },
  { multiplier: 3, weight: 0.2 },
  { multiplier: 6, weight: 0.15 },
  { multiplier: 20, weight: 0.1 },
];

/** Rates are capped just under 1, where a Bernoulli likelihood stops being informative. */
const MAX_RATE = 0.999;

export function testAgainstLimit(counts: Counts, limit: number, alpha: number, beta: number): LimitEvidence {
  const trials = { trials: counts.requests, hits: Math.min(counts.errors, counts.requests) };
  if (limit <= 0) return zeroLimit(trials);
  if (limit >= MAX_RATE)
    return { logLikelihoodRatio: -clampLog(Infinity), pValue: 1, accepted: true, expectedMoreSamples: 0 };

  const rates = LIMIT_ALTERNATIVES.map((a) => Math.min(MAX_RATE, limit * a.multiplier));
  const logs = rates.map((p1) => bernoulliLogLR(trials, limit, p1));
  const logE = clampLog(
    logSumExp(
      logs,
      LIMIT_ALTERNATIVES.map((a) => a.weight)
    )
  );
  const acceptLogLR = bernoulliLogLR(trials, limit / 2, limit);
  const bounds = waldBounds(alpha, beta);
  const accepted = logE < Math.log(1 / alpha) && acceptLogLR <= bounds.lower;

  let more: number | null = 0;
  if (!accepted && logE < Math.log(1 / alpha) && trials.trials > 0) {
    const observed = trials.hits / trials.trials;
    more =
      observed > limit
        ? trialsToGo(Math.log(1 / alpha) - logE, Math.max(...rates.map((p1) => bernoulliDrift(observed, limit, p1))))
        : trialsToGo(acceptLogLR - bounds.lower, -bernoulliDrift(observed, limit / 2, limit));
  } else if (!accepted && trials.trials === 0) {
    more = null;
  }
  return { logLikelihoodRatio: logE, pValue: pValueOf(logE), accepted, expectedMoreSamples: more };
}

/** A limit of zero tolerates nothing: one event is conclusive, and no number of good ones is. */
function zeroLimit(trials: { trials: number; hits: number }): LimitEvidence {
  if (trials.hits > 0)
    return { logLikelihoodRatio: clampLog(Infinity), pValue: 0, accepted: false, expectedMoreSamples: 0 };
  return { logLikelihoodRatio: 0, pValue: 1, accepted: false, expectedMoreSamples: null };
}
