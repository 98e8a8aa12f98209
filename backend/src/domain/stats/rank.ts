import type { Alternative } from './mixture.ts';
import { bernoulliDrift, bernoulliLogLR, clampLog, pValueOf, trialsToGo } from './mixture.ts';
import type { SequentialState } from './sequential.ts';
import { logMixture, usableState } from './sequential.ts';
import { normalCdf } from './normal.ts';
import { waldBounds } from './wald.ts';

/**
 * Distribution comparisons for data that comes as one number per version and
 * window (a p99 latency, say) instead of counts.
 *
 * Mann-Whitney's U test compares two samples of such numbers at one fixed
 * horizon; judged again on every tick, its false alarms add up. Sentra's gates
 * use a sequential sign test on time-paired windows instead: in each window
 * that no earlier pair used, "was the canary worse than the baseline (beyond
 * the tolerance)?" is a coin flip with probability at most 1/2 when both
 * versions share one distribution, whatever the time of day does to both. The
 * flips feed the same kind of mixture as the rate comparison (alternatives
 * 0.6 to 0.97, the same carry-over between steps), so the gate is valid on
 * every tick.
 */

export interface MannWhitney {
  u: number;
  z: number;
  /** One-sided p-value for "the first sample tends to be larger". */
  pValue: number;
}

/** Mann-Whitney U of `a` against `b`, with mid-ranks for ties and the normal approximation. */
export function mannWhitney(a: readonly number[], b: readonly number[]): MannWhitney {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: 0, z: 0, pValue: 1 };
  const pooled = [...a.map((v) => ({ v, first: true })), ...b.map((v) => ({ v, first: false }))].sort(
    (x, y) => x.v - y.v
  );

  let rankSum = 0;
  let tieTerm = 0;
  for (let i = 0; i < pooled.length;) {
    let j = i;
    while (j + 1 < pooled.length && pooled[j + 1]!.v === pooled[i]!.v) j++;
    const midRank = (i + j + 2) / 2;
    const size = j - i + 1;
    tieTerm += size ** 3 - size;
    for (let k = i; k <= j; k++) if (pooled[k]!.first) rankSum += midRank;
    i = j + 1;
  }
  const n = n1 + n2;
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, z: 0, pValue: 1 };

  // Continuity correction toward the mean.
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, z, pValue: 1 - normalCdf(z) };
}

export const SIGN_ALTERNATIVES: readonly Alternative[] = [
  { multiplier: 0.6, weight: 0.3 },
  { multiplier: 0.7, weight: 0.25 },
  { multiplier: 0.8, weight: 0.2 },
  { multiplier: 0.9, weight: 0.15 },
  { multiplier: 0.97, weight: 0.1 },
];

const NULL_WORSE = 0.5;
const ACCEPT_WORSE = 0.75;

export interface SignTest {
  decision: 'reject' | 'accept' | 'continue';
  logLikelihoodRatio: number;
  pValue: number;
  expectedMoreSamples: number | null;
  state: SequentialState;
}

/**
 * Judges a step's paired windows: `pairs` compared so far in this step, of
 * which `worse` had the canary worse. Alternatives' multipliers are the
 * probabilities themselves.
 */
export function signTest(
  pairs: number,
  worse: number,
  alpha: number,
  beta: number,
  state: SequentialState | null | undefined
): SignTest {
  const prior = usableState(state, SIGN_ALTERNATIVES);
  const trials = { trials: pairs, hits: worse };
  const step = SIGN_ALTERNATIVES.map((a) => bernoulliLogLR(trials, NULL_WORSE, a.multiplier));
  const next = { ...prior, step };
  const logE = clampLog(logMixture(next, SIGN_ALTERNATIVES));
  const acceptLogLR = bernoulliLogLR(trials, NULL_WORSE, ACCEPT_WORSE);
  const bounds = waldBounds(alpha, beta);

  let decision: SignTest['decision'] = 'continue';
  if (logE >= Math.log(1 / alpha)) decision = 'reject';
  else if (acceptLogLR <= bounds.lower) decision = 'accept';

  let more: number | null = decision === 'continue' ? null : 0;
  if (decision === 'continue' && pairs > 0) {
    const observed = worse / pairs;
    more =
      observed > NULL_WORSE
        ? trialsToGo(
            Math.log(1 / alpha) - logE,
            Math.max(...SIGN_ALTERNATIVES.map((a) => bernoulliDrift(observed, NULL_WORSE, a.multiplier)))
          )
        : trialsToGo(acceptLogLR - bounds.lower, -bernoulliDrift(observed, NULL_WORSE, ACCEPT_WORSE));
  }
  return { decision, logLikelihoodRatio: logE, pValue: pValueOf(logE), expectedMoreSamples: more, state: next };
}
