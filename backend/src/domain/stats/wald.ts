import { normalQuantile } from './normal.ts';

/**
 * The reference bounds any test of one error rate against another is measured
 * by: Wald's sequential probability ratio test, which needs the fewest samples
 * on average of all tests with the same error rates, and the classic
 * fixed-horizon test. Both know the healthy rate p0 and the faulty rate p1
 * exactly, which no real gate does; they are what "as fast as the evidence
 * allows" means in numbers.
 */

export interface WaldBounds {
  /** Log-likelihood ratio at which the test rejects (the fault is declared). */
  upper: number;
  /** Log-likelihood ratio at which the test accepts (healthy). */
  lower: number;
}

export function waldBounds(alpha: number, beta: number): WaldBounds {
  return { upper: Math.log((1 - beta) / alpha), lower: Math.log(beta / (1 - alpha)) };
}

/** Kullback-Leibler divergence of Bernoulli(p) from Bernoulli(q), in nats. */
export function bernoulliKL(p: number, q: number): number {
  const hit = p === 0 ? 0 : p * Math.log(p / q);
  const miss = p === 1 ? 0 : (1 - p) * Math.log((1 - p) / (1 - q));
  return hit + miss;
}

/**
 * Wald's approximation of the expected number of samples his test needs when
 * the real rate is p1 (a fault is caught) and when it is p0 (health is accepted).
 * With p0 = 1%, p1 = 5%, alpha = 0.005 and beta = 0.05: about 117 under p1.
 */
export function waldExpectedSamples(
  p0: number,
  p1: number,
  alpha: number,
  beta: number
): { fault: number; healthy: number } {
  const { upper, lower } = waldBounds(alpha, beta);
  const fault = ((1 - beta) * upper + beta * lower) / bernoulliKL(p1, p0);
  const healthy = ((1 - alpha) * -lower - alpha * upper) / bernoulliKL(p0, p1);
  return { fault, healthy };
}

/**
 * Samples a one-sided fixed-horizon test of p0 against p1 needs for size
 * alpha and power 1 - beta (normal approximation to the binomial).
 */
export function fixedHorizonSamples(p0: number, p1: number, alpha: number, beta: number): number {
  const za = normalQuantile(1 - alpha);
  const zb = normalQuantile(1 - beta);
  const spread = za * Math.sqrt(p0 * (1 - p0)) + zb * Math.sqrt(p1 * (1 - p1));
  return Math.ceil((spread / (p1 - p0)) ** 2);
}

/** The number of events above which the fixed-horizon test of `n` samples rejects p0. */
export function fixedHorizonCritical(n: number, p0: number, alpha: number): number {
  return n * p0 + normalQuantile(1 - alpha) * Math.sqrt(n * p0 * (1 - p0));
}
