/**
 * Sentra's closed vocabulary. Every layer (domain, store, API, UI, logs) uses
 * these words and only these words.
 */

/** What one gate concluded on one tick. Only a real, finite value can pass or fail. */
export const VERDICTS = ['pass', 'fail', 'inconclusive', 'error'] as const;
export type Verdict = (typeof VERDICTS)[number];

/**
 * What the controller (or an operator) decided on one tick.
 * `resume` and `abort` are only ever taken by an operator.
 */
export const DECISIONS = ['advance', 'hold', 'pause', 'rollback', 'complete', 'resume', 'abort'] as const;
export type DecisionKind = (typeof DECISIONS)[number];

/** Where a rollout is in its life. The last three are terminal. */
export const PHASES = ['progressing', 'paused', 'completed', 'rolled_back', 'aborted'] as const;
export type Phase = (typeof PHASES)[number];

export const TERMINAL_PHASES: readonly Phase[] = ['completed', 'rolled_back', 'aborted'];

export function isTerminal(phase: Phase): boolean {
  return TERMINAL_PHASES.includes(phase);
}

/** Operator actions on a rollout, as exposed by the API. */
export const ACTIONS = ['pause', 'resume', 'promote', 'rollback', 'abort'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * Why a gate is inconclusive. `no-data` (empty result, NaN, no new samples)
 * spends the policy's no-data budget; `too-few-samples` means data is arriving
 * but the gate's minimum sample size is not reached yet; `unconfirmed` means a
 * threshold is crossed but not yet for the policy's number of ticks in a row.
 */
export const INCONCLUSIVE_REASONS = ['no-data', 'too-few-samples', 'unconfirmed'] as const;
export type InconclusiveReason = (typeof INCONCLUSIVE_REASONS)[number];

/** Verdicts ordered from worst to best, for "worst gate verdict" summaries. */
export const VERDICT_SEVERITY: Record<Verdict, number> = { fail: 3, error: 2, inconclusive: 1, pass: 0 };

export function worstVerdict(verdicts: readonly Verdict[]): Verdict | null {
  let worst: Verdict | null = null;
  for (const verdict of verdicts) {
    if (worst === null || VERDICT_SEVERITY[verdict] > VERDICT_SEVERITY[worst]) worst = verdict;
  }
  return worst;
}
