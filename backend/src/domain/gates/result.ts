import type { InconclusiveReason, Verdict } from '../vocabulary.ts';
import type { GateKind, ProviderName } from './schemas.ts';
import type { Counts, Window } from './observation.ts';
import type { SequentialState } from '../stats/sequential.ts';

/** How strong the evidence is, for gates judged with a sequential test. */
export interface Evidence {
  /** Log of the likelihood ratio for "the canary is worse than tolerated" against "it is not". */
  logLikelihoodRatio: number;
  /** Always-valid p-value: the chance of evidence this strong if the canary were healthy. */
  pValue: number;
  /** The test has accepted that the canary is healthy (a step may advance early). */
  accepted: boolean;
  /** Roughly how many more canary samples the test expects to need to decide either way. */
  expectedMoreSamples: number | null;
}

/** One gate's verdict on one tick, with its reason in numbers. */
export interface GateResult {
  gate: string;
  kind: GateKind;
  provider: ProviderName;
  verdict: Verdict;
  /** Set when the verdict is `inconclusive`. */
  inconclusive?: InconclusiveReason;
  /** One sentence with the numbers behind the verdict. */
  reason: string;
  /** The canary's value: a rate, a fraction, a latency in seconds or a query's value. */
  observed: number | null;
  /** The baseline's value, for gates that compare. */
  baselineObserved: number | null;
  threshold: number | null;
  samples: { canary: number; baseline: number | null };
  window: Window;
  evidence: Evidence | null;
}

/**
 * What a gate remembers between ticks. Stored with the rollout in the same
 * write as the decision, so a restart neither loses nor double-counts samples.
 */
export interface GateState {
  /** Last cumulative reading per version; null until that version's series has been seen. */
  cursor: { canary: Counts | null; baseline: Counts | null; canarySeenAbsent: boolean } | null;
  /**
   * End of the last window judged: where the next increment starts, and for
   * sliding windows, the time after which requests count as new.
   */
  windowEnd: number | null;
  /** Events accumulated since the current step started. */
  totals: { canary: Counts; baseline: Counts };
  /** Consecutive failing ticks, for threshold gates (one noisy tick never rolls back). */
  failStreak: number;
  /** The gate's latest result, shown in lists and kept across steps. */
  last: GateResult | null;
  /**
   * Evidence of a sequential gate: the step's likelihood ratios and what is
   * carried over from earlier steps. Absent until the gate first judges.
   */
  sequential?: SequentialState | null;
}

export function freshGateState(): GateState {
  return {
    cursor: null,
    windowEnd: null,
    totals: { canary: { requests: 0, errors: 0 }, baseline: { requests: 0, errors: 0 } },
    failStreak: 0,
    last: null,
  };
}
