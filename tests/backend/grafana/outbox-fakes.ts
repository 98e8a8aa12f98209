import type { OutboxItem } from '../../../backend/src/store/types.ts';
import type { AnnotationPayload, OutboxStore } from '../../../backend/src/grafana/annotations.ts';
import { ANNOTATION_TOPIC } from '../../../backend/src/grafana/annotations.ts';
import type { AnnotatedDecision, AnnotatedRollout } from '../../../backend/src/grafana/content.ts';
import type { DecisionKind, Phase } from '../../../backend/src/domain/vocabulary.ts';

/**
 * Builders and an in-memory outbox for the annotation writer's tests. The
 * outbox keeps to the store contract: undelivered items of a topic, oldest
 * first; attempts and delivery recorded per item.
 */

export interface MemoryOutbox extends OutboxStore {
  items: OutboxItem[];
  add(payload: Record<string, unknown>, topic?: string): OutboxItem;
}

export function memoryOutbox(): MemoryOutbox {
  const items: OutboxItem[] = [];
  const byId = (id: number) => {
    const item = items.find((i) => i.id === id);
    if (!item) throw new Error(`no outbox item ${id}`);
    return item;
  };
  return {
    items,
    add(payload, topic = ANNOTATION_TOPIC) {
      const item = {
        id: items.length + 1,
        createdAt: 0,
        topic,
        payload,
        attempts: 0,
        lastError: null,
        deliveredAt: null,
      };
      items.push(item);
      return item;
    },
    async pendingOutbox(topic, limit) {
      return items
        .filter((i) => i.topic === topic && i.deliveredAt === null)
        .slice(0, limit)
        .map((i) => ({ ...i }));
    },
    async markAttempt(id, error) {
      const item = byId(id);
      item.attempts += 1;
      item.lastError = error;
    },
    async markDelivered(id, at) {
      byId(id).deliveredAt = at;
    },
  };
}

export const T0 = 1_767_225_600_000;

export function aRollout(overrides: Partial<AnnotatedRollout> = {}): AnnotatedRollout {
  return {
    id: 'r-1',
    service: 'demo',
    baseline: 'v1',
    canary: 'v2',
    policyName: 'standard',
    phase: 'progressing',
    stepIndex: 0,
    stepCount: 3,
    weight: 5,
    startedAt: T0,
    endedAt: null,
    ...overrides,
  };
}

export function aDecision(overrides: Partial<AnnotatedDecision> = {}): AnnotatedDecision {
  return {
    seq: 1,
    at: T0 + 10_000,
    kind: 'advance',
    actor: 'sentra',
    stepIndex: 0,
    fromWeight: 5,
    toWeight: 15,
    reason: 'step 1 at 5% for 10.0s: all gates pass',
    verdicts: [
      {
        gate: 'error-rate',
        verdict: 'pass',
        observed: 0.0012,
        baselineObserved: 0.001,
        threshold: 0.01,
        samples: { canary: 1200, baseline: 11000 },
      },
    ],
    ...overrides,
  };
}

interface Step {
  kind: DecisionKind;
  from: number;
  to: number;
  phase: Phase;
  stepIndex: number;
}

/** A rollout of `id` from start to completion, with a hold, a pause and a resume on the way. */
export const WHOLE_ROLLOUT: Step[] = [
  { kind: 'advance', from: 5, to: 15, phase: 'progressing', stepIndex: 0 },
  { kind: 'hold', from: 15, to: 15, phase: 'progressing', stepIndex: 1 },
  { kind: 'pause', from: 15, to: 15, phase: 'paused', stepIndex: 1 },
  { kind: 'resume', from: 15, to: 15, phase: 'progressing', stepIndex: 1 },
  { kind: 'advance', from: 15, to: 50, phase: 'progressing', stepIndex: 1 },
  { kind: 'complete', from: 50, to: 100, phase: 'completed', stepIndex: 2 },
];

/**
 * Writes a whole rollout's items as the decision path does: its summary after
 * each event, the decision itself, holds left out.
 * Answers the decisions that were written, in order.
 */
export function enqueueRollout(
  outbox: MemoryOutbox,
  id = 'r-1'
): { rollout: AnnotatedRollout; decisions: AnnotatedDecision[] } {
  const started = aRollout({ id });
  add(outbox, { event: 'started', rollout: started });
  const decisions: AnnotatedDecision[] = [];
  let rollout = started;
  WHOLE_ROLLOUT.forEach((step, i) => {
    const at = T0 + (i + 1) * 10_000;
    const decision = aDecision({
      seq: i + 1,
      at,
      kind: step.kind,
      stepIndex: step.stepIndex,
      fromWeight: step.from,
      toWeight: step.to,
    });
    const ended = step.phase === 'completed' ? at : null;
    rollout = {
      ...rollout,
      phase: step.phase,
      stepIndex: Math.min(step.stepIndex + 1, 2),
      weight: step.to,
      endedAt: ended,
    };
    if (add(outbox, { event: 'decision', rollout, decision })) decisions.push(decision);
  });
  return { rollout, decisions };
}

function add(outbox: MemoryOutbox, payload: AnnotationPayload): boolean {
  if (payload.event === 'decision' && payload.decision.kind === 'hold') return false;
  outbox.add({ ...payload });
  return true;
}
