import { createHash } from 'node:crypto';

import type { TemplateCount } from '../logs/templates.ts';
import { blank, inconclusive, problemResult } from './format.ts';
import type { Reading, TemplatesObservation } from './observation.ts';
import type { GateResult, GateState, TemplateMemory } from './result.ts';
import type { NewErrorsGate } from './schemas.ts';

export const DEFAULT_MIN_OCCURRENCES = 3;
export const DEFAULT_BASELINE_LOOKBACK = '1h';

/** Bounds on the stored memory, so a noisy service cannot grow a rollout's state without end. */
export const MAX_BASELINE_TEMPLATES = 5000;
export const MAX_CANDIDATES = 200;

/**
 * Judges a `new-errors` gate on one tick. Pure: folds the tick's templates
 * into the gate's memory, then looks for a canary template the baseline has
 * never written that has occurred often enough.
 *
 * A canary that wrote no log line in the window is `inconclusive` (no data),
 * so a silent canary never passes on old evidence. A new template seen fewer
 * than `minOccurrences` times holds the rollout (`unconfirmed`) rather than
 * letting it take more traffic.
 */
export function judgeNewErrors(
  gate: NewErrorsGate,
  obs: TemplatesObservation,
  state: GateState
): { result: GateResult; state: GateState } {
  const base = blank(gate, obs.window);
  const problem = firstProblem(obs.canary, obs.baseline);
  if (problem) return { result: problemResult(base, problem), state };

  const canary = (obs.canary as { value: TemplateCount[] }).value;
  const baseline = (obs.baseline as { value: TemplateCount[] }).value;
  const memory = remember(state.templates ?? emptyMemory(), canary, baseline, obs.window.to);
  const next: GateState = { ...state, templates: memory, windowEnd: obs.window.to };
  return { result: verdictFor(gate, base, memory, canary), state: next };
}

function verdictFor(
  gate: NewErrorsGate,
  base: GateResult,
  memory: TemplateMemory,
  canary: TemplateCount[]
): GateResult {
  const min = gate.minOccurrences ?? DEFAULT_MIN_OCCURRENCES;
  const lines = canary.reduce((sum, t) => sum + t.count, 0);
  const ranked = [...memory.candidates].sort((a, b) => b.count - a.count);
  const confirmed = ranked.filter((c) => c.count >= min);
  const filled: GateResult = {
    ...base,
    observed: confirmed.length,
    threshold: min,
    samples: { canary: lines, baseline: memory.baseline.length },
  };

  if (confirmed.length > 0 && memory.baselineOverflow) {
    const reason = `the baseline wrote more than ${MAX_BASELINE_TEMPLATES} error templates; cannot tell whether "${
      confirmed[0]!.template
    }" is new`;
    return inconclusive(filled, 'unconfirmed', reason);
  }
  if (confirmed.length > 0) {
    const top = confirmed[0]!;
    const more = confirmed.length > 1 ? ` (and ${confirmed.length - 1} more new templates)` : '';
    const said = `"${top.template}" ${top.count} times${more}`;
    const reason = `new error on the canary, never written by the baseline: ${said}; example: ${top.example}`;
    return { ...filled, verdict: 'fail', reason };
  }
  if (ranked.length > 0) {
    const top = ranked[0]!;
    const said = `"${top.template}" seen ${top.count} of ${min} times needed to fail`;
    const reason = `canary-only error ${said}; example: ${top.example}`;
    return inconclusive(filled, 'unconfirmed', reason);
  }
  const known = `${lines} canary error lines this tick, ${memory.baseline.length} baseline templates known`;
  const reason = `every canary error template is also written by the baseline (${known})`;
  return { ...filled, verdict: 'pass', reason };
}

/** Folds one tick's templates into the memory. The baseline goes first: a template both wrote is not new. */
export function remember(
  memory: TemplateMemory,
  canary: TemplateCount[],
  baseline: TemplateCount[],
  at: number
): TemplateMemory {
  const known = new Set(memory.baseline);
  let overflow = memory.baselineOverflow;
  for (const t of baseline) {
    const hash = templateHash(t.template);
    if (known.has(hash)) continue;
    if (known.size >= MAX_BASELINE_TEMPLATES) overflow = true;
    else known.add(hash);
  }

  const candidates = memory.candidates.filter((c) => !known.has(templateHash(c.template))).map((c) => ({ ...c }));
  for (const t of canary) {
    if (known.has(templateHash(t.template))) continue;
    const seen = candidates.find((c) => c.template === t.template);
    if (seen) seen.count += t.count;
    else if (candidates.length < MAX_CANDIDATES) candidates.push({ ...t, firstSeen: at });
  }
  return { baseline: [...known], baselineOverflow: overflow, candidates };
}

/** A short, stable name for a template (72 bits: collisions are not a practical concern at these sizes). */
export function templateHash(template: string): string {
  return createHash('sha256').update(template).digest('base64url').slice(0, 12);
}

export function emptyMemory(): TemplateMemory {
  return { baseline: [], baselineOverflow: false, candidates: [] };
}

function firstProblem(...readings: Reading<unknown>[]): { kind: 'no-data' | 'error'; reason: string } | null {
  for (const r of readings) if (!r.ok && r.kind === 'error') return { kind: 'error', reason: r.reason };
  for (const r of readings) if (!r.ok) return { kind: r.kind, reason: r.reason };
  return null;
}
