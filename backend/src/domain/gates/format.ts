import type { InconclusiveReason } from '../vocabulary.ts';
import type { Counts, Observation } from './observation.ts';
import type { GateResult, GateState } from './result.ts';
import type { Gate } from './schemas.ts';

/** A gate's result with nothing judged yet: the shape every judging path fills in. */
export function blank(gate: Gate, window: GateResult['window']): GateResult {
  return {
    gate: gate.name,
    kind: gate.kind,
    provider: gate.provider,
    verdict: 'inconclusive',
    reason: '',
    observed: null,
    baselineObserved: null,
    threshold: null,
    samples: { canary: 0, baseline: null },
    window,
    evidence: null,
  };
}

export function problemResult(result: GateResult, problem: { kind: 'no-data' | 'error'; reason: string }): GateResult {
  if (problem.kind === 'error') return { ...result, verdict: 'error', reason: problem.reason };
  return inconclusive(result, 'no-data', problem.reason);
}

export function inconclusive(result: GateResult, why: InconclusiveReason, reason: string): GateResult {
  return { ...result, verdict: 'inconclusive', inconclusive: why, reason };
}

export function mismatch(gate: Gate, obs: Observation, state: GateState): { result: GateResult; state: GateState } {
  const reason = `provider ${gate.provider} answered ${obs.kind} readings, which a ${gate.kind} gate cannot judge`;
  return { result: { ...blank(gate, obs.window), verdict: 'error', reason }, state };
}

export function rate(counts: Counts): number | null {
  return counts.requests > 0 ? counts.errors / counts.requests : null;
}

export function pct(value: number | null): string {
  return value === null ? 'n/a' : `${(value * 100).toFixed(2)}%`;
}

export function fmt(value: number | null): string {
  if (value === null) return 'n/a';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return Number(value.toPrecision(4)).toString();
}

export function sampleNote(result: GateResult): string {
  return result.samples.canary > 0 ? ` (${result.samples.canary} samples)` : '';
}

/** "p=0.0031" with two significant digits. */
export function pNote(pValue: number): string {
  return `p=${pValue.toPrecision(2)}`;
}
