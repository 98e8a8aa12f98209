import type { GateResult } from '../domain/gates/result.ts';
import type { Decision } from '../domain/rollout.ts';
import type { RolloutSummary } from '../domain/summary.ts';

/** One line per tick: the step, the weight, each gate's verdict with its numbers, and the decision. */
export function narrateDecision(label: string, rollout: RolloutSummary, decision: Decision): string {
  const step = `step ${decision.stepIndex + 1}/${rollout.stepCount}`;
  const weight =
    decision.fromWeight === decision.toWeight
      ? `${decision.toWeight}%`
      : `${decision.fromWeight}% → ${decision.toWeight}%`;
  const gates = decision.verdicts.map(narrateGate).join(' | ');
  const head = `[${label}] ${step} ${weight.padEnd(9)} ${decision.kind.toUpperCase().padEnd(8)}`;
  if (decision.kind === 'hold' || decision.verdicts.length > 0)
    return gates ? `${head} ${gates}` : `${head} ${decision.reason}`;
  return `${head} ${decision.reason}`;
}

export function narrateGate(result: GateResult): string {
  if (result.kind === 'new-errors') return narrateNewErrors(result);
  const observed = show(result.observed, result.kind);
  const threshold = show(result.threshold, result.kind);
  const samples =
    result.samples.baseline !== null
      ? ` n=${result.samples.canary}/${result.samples.baseline}`
      : result.samples.canary > 0
        ? ` n=${result.samples.canary}`
        : '';
  const versus = result.baselineObserved === null ? '' : ` vs ${show(result.baselineObserved, result.kind)}`;
  return `${result.gate} ${result.verdict}${why(result)} ${observed}${versus} limit ${threshold}${samples}`;
}

function show(value: number | string | null, kind: string): string {
  if (value === null) return 'n/a';
  if (typeof value === 'string') return value;
  if (kind === 'query') return Number(value.toPrecision(3)).toString();
  return `${(value * 100).toFixed(2)}%`;
}

/**
 * A `new-errors` gate counts templates, not requests: the new ones confirmed
 * so far, the occurrences that confirm one, the canary's error lines this
 * tick and the baseline's templates known.
 */
function narrateNewErrors(result: GateResult): string {
  const head = `${result.gate} ${result.verdict}${why(result)}`;
  if (result.observed === null) return head;
  const counts = `canary error lines ${result.samples.canary}, baseline templates ${result.samples.baseline ?? 'n/a'}`;
  return `${head} ${result.observed} new (${result.threshold}× confirms one), ${counts}`;
}

function why(result: GateResult): string {
  if (result.verdict === 'inconclusive') return ` (${result.inconclusive})`;
  return result.verdict === 'error' ? ` (${result.reason})` : '';
}
