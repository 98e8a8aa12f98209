import type { Counts } from '../gates/observation.ts';
import type { Alternative } from './mixture.ts';
import { bernoulliDrift, bernoulliLogLR, clampLog, logAddExp, logSumExp, pValueOf, trialsToGo } from './mixture.ts';
import { waldBounds } from './wald.ts';

/**
 * Sequential comparison of the canary's event rate (errors, or slow requests)
 * with the baseline's, on counts.
 *
 * Which test, and why:
 * - Requests are routed at random, a share w to the canary. Given that a
 *   request failed, it was the canary's with probability
 *   π = w·ρ / (w·ρ + 1 − w), where ρ is the ratio of the canary's error rate to
 *   the baseline's. So each error is a Bernoulli trial ("whose was it?") whose
 *   probability depends on ρ alone: anything that moves both versions' rates
 *   together (a slow dependency, the time of day, a burst of bad requests)
 *   cancels out, and the baseline's rate never has to be estimated. This
 *   conditional test is exact however few the baseline's requests are.
 * - Healthy means ρ ≤ ρ0, the tolerated ratio: 1 + relative, or more where the
 *   absolute tolerance allows more (ρ0 = 1 + absolute / baseline rate).
 * - A bad canary may be 1.5× or 50× worse, so the likelihood ratios of a grid
 *   of alternatives ρ0·m are mixed with prior weights (a mixture SPRT). A
 *   mixture of likelihood ratios is a supermartingale under the null, so it
 *   reaches 1/alpha with probability at most alpha however often it is looked
 *   at (Ville's inequality): judging every tick does not inflate false rollbacks.
 * - A rollout has several steps, with a different share w in each. The
 *   evidence of each step is one more factor of the same martingale, so it is
 *   carried from step to step and alpha holds for the whole rollout, not per
 *   step. A fault that only appears at a higher weight would have to overcome
 *   the healthy evidence of earlier steps; so each step also starts a fresh
 *   copy of the test; the copies' prior weights sum to 1, so the mixture
 *   stays a martingale.
 * - The healthy side is Wald's test of ρ0 against 2·ρ0 on the current step:
 *   once its likelihood ratio falls under beta / (1 − alpha), the canary is
 *   accepted as healthy and a step may advance before its maximum duration.
 * Within a step the share w is constant, so the step's likelihood ratio
 * depends only on its totals: the state kept between ticks is the step's
 * counts and one number per alternative carried from earlier steps.
 */

export interface SequentialSettings {
  /** Highest acceptable chance of rolling back a healthy canary, over the whole rollout. */
  alpha: number;
  /** Highest acceptable chance, per step, of accepting a canary at twice the tolerated ratio. */
  beta: number;
  /** Tolerated relative increase over the baseline (0.2 = 20% worse is still healthy). */
  relative: number;
  /** Tolerated absolute increase over the baseline (0.001 = 0.1 percentage points). */
  absolute: number;
}

/**
 * Defaults, each chosen with the decision benchmark (`npm run bench:decisions`,
 * 20,000 simulated healthy rollouts and 400 per fault and traffic level):
 * - alpha 0.005: the rollout's false-rollback budget, shared by the policy's
 *   comparing gates (see `JudgeContext.comparingGates`). With an error-rate
 *   and a latency gate the benchmark counts 1.4 false rollbacks per 1,000
 *   healthy rollouts. With 0.005 for each gate on its own, runs of the
 *   benchmark counted 2.5 to 4 per 1,000, too close to the goal of 5, and
 *   every further gate would have added to it.
 * - beta 0.05: a canary at twice the tolerated rate is accepted by a step at
 *   most 5% of the time; acceptance only lets a step end early, and the
 *   evidence against the canary keeps counting in the next step.
 * - relative 0 and absolute 0: a canary no worse than the baseline is
 *   healthy; alpha alone keeps healthy canaries from being rolled back. A
 *   relative tolerance of 0.1 made a 1.5× fault over a 1% baseline at 100
 *   canary requests/s take 95 s instead of 70 s to catch, and cut the fault
 *   cells caught within the time goal from 31 to 21 of 47; 0.5 never catches
 *   a 1.5× fault at all. A policy that accepts small regressions sets its own.
 */
export const DEFAULT_SEQUENTIAL: SequentialSettings = { alpha: 0.005, beta: 0.05, relative: 0, absolute: 0 };

/**
 * Alternatives, as multiples of the tolerated ratio, and their prior weights.
 * A prior weight w costs log(1/w) nats of extra evidence before that
 * alternative alone can reject, and a grid point that misses the real ratio
 * costs drift (little: with points about 1.6× apart, a ratio between two
 * keeps over 95% of its drift). Faults of 1.5× to 6× get most of the weight:
 * larger ones are caught within a tick or two whatever their weight. In the
 * benchmark the exact grid mattered little (within one cell of the time goal
 * between this grid and one weighted toward 1.5×).
 */
export const RATIO_ALTERNATIVES: readonly Alternative[] = [
  { multiplier: 1.5, weight: 0.2 },
  { multiplier: 2.2, weight: 0.2 },
  { multiplier: 3.5, weight: 0.2 },
  { multiplier: 6, weight: 0.2 },
  { multiplier: 12, weight: 0.12 },
  { multiplier: 40, weight: 0.08 },
];

/**
 * What the healthy side tests against: a canary twice as bad as tolerated.
 * Closer would take longer to accept at low traffic; farther would let a
 * step end early on canaries that are 1.5× as bad (the evidence against them
 * still carries into the next step).
 */
const ACCEPT_MULTIPLIER = 2;

/** Evidence a sequential gate carries from tick to tick and from step to step. */
export interface SequentialState {
  /** Per alternative: log of the weighted evidence of all copies started in earlier steps. */
  carried: number[];
  /** Per alternative: log-likelihood ratio over the current step's counts, as last judged. */
  step: number[];
  /** Copies of the test started so far (one per step entered). */
  starts: number;
}

export type SequentialDecision = 'reject' | 'accept' | 'continue';

export interface SequentialResult {
  decision: SequentialDecision;
  /** Log of the mixture likelihood ratio (fault against healthy) over the rollout so far. */
  logLikelihoodRatio: number;
  /** Always-valid p-value: min(1, 1 / mixture likelihood ratio). */
  pValue: number;
  canaryRate: number | null;
  baselineRate: number | null;
  /** Tolerated ratio of canary rate to baseline rate. */
  toleratedRatio: number;
  /** The tolerated ratio applied to the baseline's rate, for reasons shown to people. */
  toleratedRate: number;
  /** Canary requests the test still expects to need to decide, by Wald's approximation. */
  expectedMoreSamples: number | null;
  state: SequentialState;
}

/**
 * The first copy's share of the prior. Most faults show from the first step,
 * so the first copy gets most; the copies started by later steps share the
 * rest as (1 − first) / (s·(s − 1)) for the s-th, which sums to the rest.
 * In the benchmark 0.8 met the time goal in 31 fault cells against 26 for
 * 0.5; faults that only show at 30% weight were still all caught, though at
 * 1 canary request/s in 75 s instead of 65 s.
 */
const FIRST_COPY_WEIGHT = 0.8;

function startWeight(s: number): number {
  return s === 1 ? FIRST_COPY_WEIGHT : (1 - FIRST_COPY_WEIGHT) / (s * (s - 1));
}

/** Prior weight of the copies not started yet, after `starts` copies. */
function unstartedWeight(starts: number): number {
  return (1 - FIRST_COPY_WEIGHT) / starts;
}

export function freshSequential(alternatives: readonly Alternative[] = RATIO_ALTERNATIVES): SequentialState {
  const carried = alternatives.map(() => Math.log(startWeight(1)));
  return { carried, step: alternatives.map(() => 0), starts: 1 };
}

/**
 * Folds the step's evidence into what is carried, when a step ends. Entering
 * a new step also starts a fresh copy of the test; restarting the same step
 * (after a pause) does not.
 */
export function carryOver(state: SequentialState, newStep: boolean): SequentialState {
  const starts = newStep ? state.starts + 1 : state.starts;
  const fresh = Math.log(startWeight(starts));
  const carried = state.carried.map((c, k) => {
    const folded = c + (state.step[k] ?? 0);
    return newStep ? logAddExp(folded, fresh) : folded;
  });
  return { carried, step: state.step.map(() => 0), starts };
}

/** Log of the whole mixture from a state: started copies plus the weight of those not started. */
export function logMixture(state: SequentialState, alternatives: readonly Alternative[]): number {
  const logs = state.carried.map((c, k) => c + (state.step[k] ?? 0));
  const started = logSumExp(
    logs,
    alternatives.map((a) => a.weight)
  );
  return logAddExp(started, Math.log(unstartedWeight(state.starts)));
}

/** A state that fits these alternatives, or a fresh one (a state from another grid is not reused). */
export function usableState(
  state: SequentialState | null | undefined,
  alternatives: readonly Alternative[]
): SequentialState {
  const fits = state && state.carried.length === alternatives.length && state.step.length === alternatives.length;
  return fits ? state : freshSequential(alternatives);
}

/** The tolerated ratio of canary rate to baseline rate. */
export function toleratedRatio(baseline: Counts, settings: SequentialSettings): number {
  const ratio = 1 + settings.relative;
  if (settings.absolute <= 0) return ratio;

  // The baseline's rate is shrunk a little toward zero errors (half an error
  // of prior weight), so a baseline without errors yet still has a rate.
  const rate = (baseline.errors + 0.5) / (baseline.requests + 1);
  return Math.max(ratio, 1 + settings.absolute / rate);
}

/** Probability that an error was the canary's, at canary share w and rate ratio ρ. */
export function canaryShareOfErrors(w: number, ratio: number): number {
  return (w * ratio) / (w * ratio + 1 - w);
}

/**
 * Judges the step's counts so far. `state` is what the gate carried from the
 * previous tick (null on the first); the returned state replaces it.
 * Needs baseline requests in the step: without them there is nothing to compare.
 */
export function compareRates(
  canary: Counts,
  baseline: Counts,
  settings: SequentialSettings,
  state: SequentialState | null | undefined
): SequentialResult {
  const alternatives = RATIO_ALTERNATIVES;
  const prior = usableState(state, alternatives);
  const ratio0 = toleratedRatio(baseline, settings);
  const w = canary.requests / (canary.requests + baseline.requests);
  const labels = { trials: canary.errors + baseline.errors, hits: canary.errors };
  const pi0 = canaryShareOfErrors(w, ratio0);
  const informative = baseline.requests > 0 && canary.requests > 0;

  const step = alternatives.map((a) =>
    informative ? bernoulliLogLR(labels, pi0, canaryShareOfErrors(w, ratio0 * a.multiplier)) : 0
  );
  const next = { ...prior, step };
  const logE = clampLog(logMixture(next, alternatives));
  const piAccept = canaryShareOfErrors(w, ratio0 * ACCEPT_MULTIPLIER);
  const acceptLogLR = informative ? bernoulliLogLR(labels, pi0, piAccept) : 0;
  const bounds = waldBounds(settings.alpha, settings.beta);

  let decision: SequentialDecision = 'continue';
  if (logE >= Math.log(1 / settings.alpha)) decision = 'reject';
  else if (acceptLogLR <= bounds.lower) decision = 'accept';

  const baselineRate = baseline.requests > 0 ? baseline.errors / baseline.requests : null;
  const toGo = { logE, acceptLogLR, pi0, piAccept, w, ratio0 };
  return {
    decision,
    logLikelihoodRatio: logE,
    pValue: pValueOf(logE),
    canaryRate: canary.requests > 0 ? canary.errors / canary.requests : null,
    baselineRate,
    toleratedRatio: ratio0,
    toleratedRate: ratio0 * (baselineRate ?? 0),
    expectedMoreSamples:
      decision === 'continue' && informative
        ? expectedMore(canary, labels, settings, toGo)
        : decision === 'continue'
          ? null
          : 0,
    state: next,
  };
}

interface ToGo {
  logE: number;
  acceptLogLR: number;
  pi0: number;
  piAccept: number;
  w: number;
  ratio0: number;
}

/**
 * Wald's approximation of the canary requests still needed: the distance to
 * the nearer boundary over the expected step per request at the canary's
 * share of errors observed so far.
 */
function expectedMore(
  canary: Counts,
  labels: { trials: number; hits: number },
  settings: SequentialSettings,
  g: ToGo
): number | null {
  if (labels.trials === 0) return null;
  const observed = labels.hits / labels.trials;
  const errorsPerCanaryRequest = labels.trials / canary.requests;
  let trials: number | null;
  if (observed > g.pi0) {
    const drifts = RATIO_ALTERNATIVES.map((a) =>
      bernoulliDrift(observed, g.pi0, canaryShareOfErrors(g.w, g.ratio0 * a.multiplier))
    );
    trials = trialsToGo(Math.log(1 / settings.alpha) - g.logE, Math.max(...drifts));
  } else {
    const distance = g.acceptLogLR - waldBounds(settings.alpha, settings.beta).lower;
    trials = trialsToGo(distance, -bernoulliDrift(observed, g.pi0, g.piAccept));
  }
  return trials === null ? null : Math.ceil(trials / errorsPerCanaryRequest);
}
