import Type from 'typebox';

import { DECISIONS, PHASES, VERDICTS, isTerminal } from '../domain/vocabulary.ts';

/**
 * What Sentra writes into Grafana annotations: their tags and their text.
 *
 * Grafana's tag rules shape the tags. A tag with a colon is stored as a
 * key:value pair split at the first colon, and whatever follows a second colon
 * is dropped; surrounding spaces are trimmed. So every tag here has at most one
 * colon, and names that go into a tag value are checked to have none (see
 * `TagSafeName`). A query by a tag that has no value matches every tag of
 * that key: `sentra` also matches `sentra:anything`.
 */

/** One word of Sentra's vocabulary, typed as its union of literals. */
function oneOf<T extends string>(words: readonly T[]) {
  return Type.Unsafe<T>(Type.Enum([...words]));
}

/**
 * A name that can stand in a tag's value: no colon, no whitespace, at most
 * 100 characters (the width older Grafana databases give a tag value).
 */
const TagSafeName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^:\\s]+$' });

/** The fields of a RolloutSummary that annotations use; a summary carries more, which is ignored. */
export const AnnotatedRollout = Type.Object({
  id: TagSafeName,
  service: TagSafeName,
  baseline: Type.String(),
  canary: Type.String(),
  policyName: Type.String(),
  phase: oneOf(PHASES),
  stepIndex: Type.Integer({ minimum: 0 }),
  stepCount: Type.Integer({ minimum: 1 }),
  weight: Type.Number(),
  startedAt: Type.Integer({ minimum: 0 }),
  endedAt: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
});
export type AnnotatedRollout = Type.Static<typeof AnnotatedRollout>;

const Measure = Type.Union([Type.Number(), Type.Null()]);

/** The fields of a Decision that annotations use. */
export const AnnotatedDecision = Type.Object({
  seq: Type.Integer({ minimum: 0 }),
  at: Type.Integer({ minimum: 0 }),
  kind: oneOf(DECISIONS),
  actor: Type.String(),
  stepIndex: Type.Integer({ minimum: 0 }),
  fromWeight: Type.Number(),
  toWeight: Type.Number(),
  reason: Type.String(),
  verdicts: Type.Array(
    Type.Object({
      gate: Type.String(),
      verdict: oneOf(VERDICTS),
      observed: Measure,
      baselineObserved: Measure,
      threshold: Measure,
      samples: Type.Object({ canary: Type.Number(), baseline: Measure }),
    })
  ),
});
export type AnnotatedDecision = Type.Static<typeof AnnotatedDecision>;

export const SENTRA_TAG = 'sentra';

/** Carried only by a rollout's region annotation, which is found again by it. */
export function rolloutTag(rolloutId: string): string {
  return `sentra-rollout:${rolloutId}`;
}

/** Carried only by one decision's annotation, which is found again by it before any re-send. */
export function decisionTag(rolloutId: string, seq: number): string {
  return `sentra-decision:${rolloutId}/${seq}`;
}

export function regionTags(rollout: AnnotatedRollout): string[] {
  return [SENTRA_TAG, `service:${rollout.service}`, rolloutTag(rollout.id)];
}

export function decisionTags(rollout: AnnotatedRollout, decision: AnnotatedDecision): string[] {
  return [SENTRA_TAG, `service:${rollout.service}`, `decision:${decision.kind}`, decisionTag(rollout.id, decision.seq)];
}

/** The region's text, rewritten as the rollout goes on: where it is now, or how it ended. */
export function regionText(rollout: AnnotatedRollout): string {
  const versions = `${rollout.baseline} → ${rollout.canary}`;
  const head = `Sentra rollout of ${rollout.service}: ${versions} (policy ${rollout.policyName})`;
  const phase = rollout.phase.replace('_', ' ');
  if (isTerminal(rollout.phase)) {
    const took = rollout.endedAt === null ? '' : ` after ${duration(rollout.endedAt - rollout.startedAt)}`;
    return html([`${head}, ${phase}${took}`]);
  }
  const where = `step ${rollout.stepIndex + 1} of ${rollout.stepCount} at ${rollout.weight}%`;
  return html([`${head}, ${phase}, ${where}`]);
}

/** A decision's text: what was decided, then its reason, then each gate's numbers. */
export function decisionText(rollout: AnnotatedRollout, decision: AnnotatedDecision): string {
  const weights = `${decision.fromWeight}% → ${decision.toWeight}%`;
  const where = `${rollout.service} ${rollout.canary} at step ${decision.stepIndex + 1}`;
  const head = `Sentra ${decision.kind}: ${where}, ${weights} (by ${decision.actor})`;
  return html([head, decision.reason, ...decision.verdicts.map(gateLine)]);
}

function gateLine(result: AnnotatedDecision['verdicts'][number]): string {
  const baseline = result.baselineObserved === null ? '' : ` vs baseline ${num(result.baselineObserved)}`;
  const samples = `${num(result.samples.canary)} canary / ${num(result.samples.baseline)} baseline samples`;
  const observed = `observed ${num(result.observed)}${baseline}, threshold ${num(result.threshold)}`;
  return `${result.gate} ${result.verdict}: ${observed}, ${samples}`;
}

/**
 * Grafana renders annotation text as sanitized HTML: a bare `<` in a reason
 * ("p99 <0.5s") would start a tag and line breaks would collapse. Each line is
 * escaped, and lines are joined with `<br>`.
 */
function html(lines: string[]): string {
  return lines
    .filter((line) => line !== '')
    .map(escapeHtml)
    .join('<br>');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function num(value: number | null): string {
  if (value === null) return 'n/a';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(Number(value.toPrecision(4)));
}

function duration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(total / 60);
  return minutes > 0 ? `${minutes}m ${total % 60}s` : `${total}s`;
}
