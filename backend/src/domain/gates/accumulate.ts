import type { Counts, CountsObservation, Histogram, Reading } from './observation.ts';
import type { GateState } from './result.ts';

const ZERO: Counts = { requests: 0, errors: 0 };

/** What one tick added, per version, or why nothing could be added. */
export interface Accumulated {
  state: GateState;
  /** New canary requests seen on this tick. */
  newCanary: number;
  /** The canary's counts that this tick added (for a sliding window: the window itself). */
  added: Counts;
  problem: { kind: 'no-data' | 'error'; reason: string } | null;
}

/**
 * Folds one counts observation into the gate's state. Cumulative counters are
 * turned into increments against the last reading (a counter that went down
 * was reset, and counts from zero again: never a negative count); increments
 * are added; a sliding window replaces the totals.
 */
export function accumulate(state: GateState, obs: CountsObservation): Accumulated {
  const problem = firstProblem(obs.canary, obs.baseline);
  if (problem) return { state, newCanary: 0, added: ZERO, problem };
  const canary = (obs.canary as { value: Counts }).value;
  const baseline = (obs.baseline as { value: Counts }).value;

  if (obs.mode === 'window') {
    // The window's end is kept so the next tick can ask whether anything new arrived since.
    const totals = { canary, baseline };
    return {
      state: { ...state, totals, windowEnd: obs.window.to },
      newCanary: canary.requests,
      added: canary,
      problem: null,
    };
  }
  if (obs.mode === 'increment') {
    const totals = { canary: add(state.totals.canary, canary), baseline: add(state.totals.baseline, baseline) };
    return {
      state: { ...state, totals, windowEnd: obs.window.to },
      newCanary: canary.requests,
      added: canary,
      problem: null,
    };
  }
  return accumulateCumulative(state, canary, baseline);
}

function accumulateCumulative(state: GateState, canary: Counts, baseline: Counts): Accumulated {
  const cursor = state.cursor ?? { canary: null, baseline: null, canarySeenAbsent: false };

  // A canary series first seen after the rollout started counts from zero:
  // every request in it was served during this rollout.
  const canaryFrom = cursor.canary ?? (cursor.canarySeenAbsent ? ZERO : canary);
  const canaryDelta = increment(canaryFrom, canary);
  const baselineDelta = cursor.baseline ? increment(cursor.baseline, baseline) : ZERO;

  const next: GateState = {
    ...state,
    cursor: { canary, baseline, canarySeenAbsent: cursor.canarySeenAbsent },
    totals: { canary: add(state.totals.canary, canaryDelta), baseline: add(state.totals.baseline, baselineDelta) },
  };
  return { state: next, newCanary: canaryDelta.requests, added: canaryDelta, problem: null };
}

/**
 * Remembers that the canary had no series yet, so that its first reading
 * counts in full, and takes the baseline's first reading as its starting
 * point, so that both versions are counted over the same period.
 */
export function markCanaryAbsent(state: GateState, baseline: Reading<Counts>): GateState {
  if (state.cursor?.canary) return state;
  const cursor = state.cursor ?? { canary: null, baseline: null, canarySeenAbsent: false };
  const baselineFrom = cursor.baseline ?? (baseline.ok ? baseline.value : null);
  return { ...state, cursor: { ...cursor, baseline: baselineFrom, canarySeenAbsent: true } };
}

/** The increase between two readings of a counter; a counter that went down was reset. */
export function increment(before: Counts, after: Counts): Counts {
  const requests = after.requests >= before.requests ? after.requests - before.requests : after.requests;
  const errors = after.errors >= before.errors ? after.errors - before.errors : after.errors;
  return { requests, errors: Math.min(errors, requests) };
}

function add(a: Counts, b: Counts): Counts {
  return { requests: a.requests + b.requests, errors: a.errors + b.errors };
}

function firstProblem(...readings: Reading<unknown>[]): Accumulated['problem'] {
  const error = readings.find((r) => !r.ok && r.kind === 'error');
  if (error && !error.ok) return { kind: 'error', reason: error.reason };
  const missing = readings.find((r) => !r.ok);
  if (missing && !missing.ok) return { kind: 'no-data', reason: missing.reason };
  return null;
}

/**
 * Requests slower than `threshold` seconds, as counts: `errors` are the slow
 * ones. The boundary used is the largest bucket at or under the threshold, so
 * a request beyond the highest finite bucket (only in +Inf) is always slow.
 */
export function slowCounts(histogram: Histogram, threshold: number): { counts: Counts; boundary: number } {
  let fast = 0;
  let boundary = 0;
  for (const bucket of histogram.buckets) {
    if (bucket.le <= threshold && Number.isFinite(bucket.le)) {
      fast = bucket.count;
      boundary = bucket.le;
    }
  }
  const total = histogram.count;
  return { counts: { requests: total, errors: Math.max(0, total - fast) }, boundary };
}
