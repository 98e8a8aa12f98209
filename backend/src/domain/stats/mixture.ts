/**
 * Mixture likelihood ratios for Bernoulli trials, the building block of every
 * sequential test in Sentra.
 *
 * A likelihood ratio of "success probability θ1" against "θ0", evaluated on
 * trials whose real probability is at most θ0 (θ1 > θ0), is a nonnegative
 * supermartingale with mean at most 1. So is any weighted average of such
 * ratios with weights summing to 1. By Ville's inequality such a process ever
 * reaches 1/alpha with probability at most alpha, however often it is looked
 * at: this is what lets Sentra judge on every tick without inflating false
 * rollbacks, and report min(1, 1/ratio) as an always-valid p-value.
 */

/** One alternative of a mixture: a multiple of the null and its prior weight. */
export interface Alternative {
  multiplier: number;
  weight: number;
}

/** Bernoulli counts: `trials` trials of which `hits` succeeded. */
export interface Trials {
  trials: number;
  hits: number;
}

/** Log-likelihood ratio of counts under probability p1 against p0 (both in (0, 1)). */
export function bernoulliLogLR(counts: Trials, p0: number, p1: number): number {
  const misses = counts.trials - counts.hits;
  const hitTerm = counts.hits === 0 ? 0 : counts.hits * Math.log(p1 / p0);
  const missTerm = misses === 0 ? 0 : misses * Math.log((1 - p1) / (1 - p0));
  return hitTerm + missTerm;
}

/** Expected log-likelihood step per trial when the real probability is p. */
export function bernoulliDrift(p: number, p0: number, p1: number): number {
  return p * Math.log(p1 / p0) + (1 - p) * Math.log((1 - p1) / (1 - p0));
}

/** log(Σ wᵢ·exp(xᵢ)) without overflow. */
export function logSumExp(logs: number[], weights?: number[]): number {
  const max = Math.max(...logs);
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  logs.forEach((x, i) => {
    sum += (weights ? weights[i]! : 1) * Math.exp(x - max);
  });
  return max + Math.log(sum);
}

/** log(exp(a) + exp(b)). */
export function logAddExp(a: number, b: number): number {
  const max = Math.max(a, b);
  if (max === Number.NEGATIVE_INFINITY) return max;
  return max + Math.log(Math.exp(a - max) + Math.exp(b - max));
}

/**
 * Log-likelihood ratios past this size are decided beyond doubt; clamping
 * keeps evidence finite, so it survives JSON (which has no infinities).
 */
export const MAX_LOG_EVIDENCE = 700;

export function clampLog(value: number): number {
  if (Number.isNaN(value)) return 0;
  return Math.max(-MAX_LOG_EVIDENCE, Math.min(MAX_LOG_EVIDENCE, value));
}

/** The always-valid p-value of a log mixture likelihood ratio. */
export function pValueOf(logEvidence: number): number {
  return Math.min(1, Math.exp(-clampLog(logEvidence)));
}

/**
 * Wald's approximation of the trials still needed to reach `distance` more
 * log-likelihood at `drift` per trial; null when the drift points the other way.
 */
export function trialsToGo(distance: number, drift: number): number | null {
  if (distance <= 0) return 0;
  if (!(drift > 0) || !Number.isFinite(distance / drift)) return null;
  return Math.ceil(distance / drift);
}
