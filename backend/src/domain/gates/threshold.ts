import { inconclusive } from './format.ts';
import type { GateResult, GateState } from './result.ts';

export interface JudgeContext {
  /** Consecutive failing ticks a threshold gate needs before its verdict is `fail`. */
  failTicks: number;
  /**
   * Gates of the policy that compare canary with baseline on evidence. They
   * share the policy's false-rollback budget: each one without its own
   * `alpha` gets an equal part of the default. Taken as 1 when absent.
   */
  comparingGates?: number;
}

/**
 * A threshold crossed on one tick is not yet a failure: it must hold for the
 * policy's number of ticks in a row, so one noisy tick never rolls back.
 * `shown` states the comparison in numbers, for the reason.
 */
export function confirmThreshold(
  state: GateState,
  result: GateResult,
  ok: boolean,
  ctx: JudgeContext,
  shown: string
): { result: GateResult; state: GateState } {
  if (ok) return { result: { ...result, verdict: 'pass', reason: shown }, state: { ...state, failStreak: 0 } };
  const failStreak = state.failStreak + 1;
  const next = { ...state, failStreak };
  if (failStreak >= ctx.failTicks) {
    const reason = failStreak === 1 ? shown : `${shown} for ${failStreak} ticks in a row`;
    return { result: { ...result, verdict: 'fail', reason }, state: next };
  }
  const reason = `${shown}, ${failStreak} of ${ctx.failTicks} ticks in a row needed to fail`;
  return { result: inconclusive(result, 'unconfirmed', reason), state: next };
}
