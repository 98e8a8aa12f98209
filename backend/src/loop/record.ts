import type { Planned } from '../domain/plan.ts';
import { CONTROLLER_ACTOR } from '../domain/plan.ts';
import type { Decision, Rollout } from '../domain/rollout.ts';
import { toSummary } from '../domain/summary.ts';
import { F } from '../log-fields.ts';
import type { AuditEntry, CommitExtras, EventInput, OutboxInput } from '../store/types.ts';
import type { LoopDeps } from './deps.ts';

import { ANNOTATION_TOPIC } from '../grafana/annotations.ts';

/**
 * The one path every decision takes: the store row (with its event, its
 * annotation in the outbox and, for operators, its audit entry, all in one
 * transaction), then the log line, the metrics and the bus notice. Traffic
 * moves only after this has returned a stored rollout.
 *
 * Answers 'stale' when another writer changed the rollout since it was read
 * (another replica, or an operator): nothing is written and the caller drops
 * its decision.
 */
export async function recordDecision(
  deps: LoopDeps,
  before: Rollout,
  planned: Planned,
  audit?: AuditEntry
): Promise<Rollout | 'stale'> {
  const { decision, next } = planned;
  const extras: CommitExtras = {
    events: [decisionEvent(next, decision)],
    outbox: deps.annotations && decision.kind !== 'hold' ? [annotation('decision', next, decision)] : [],
    ...(audit ? { audit } : {}),
  };
  const stored = await deps.store.commit(next, before.revision, decision, extras);
  const log = deps.logger.child({ [F.rollout]: before.id, [F.service]: before.service });
  if (stored === 'stale') {
    log.warn({ [F.decision]: decision.kind, revision: before.revision }, 'decision refused: rollout changed meanwhile');
    return 'stale';
  }

  logDecision(log, decision);
  countDecision(deps, stored, decision);
  await notify(deps);
  return stored;
}

export function decisionEvent(rollout: Rollout, decision: Decision | undefined): EventInput {
  return {
    at: decision?.at ?? rollout.startedAt,
    type: decision ? 'rollout.decision' : 'rollout.created',
    rolloutId: rollout.id,
    service: rollout.service,
    payload: { rollout: toSummary(rollout), ...(decision ? { decision } : {}) },
  };
}

export function annotation(event: 'started' | 'decision', rollout: Rollout, decision?: Decision): OutboxInput {
  return {
    createdAt: decision?.at ?? rollout.startedAt,
    topic: ANNOTATION_TOPIC,
    payload: { event, rollout: toSummary(rollout), ...(decision ? { decision } : {}) },
  };
}

/** Tells every replica's WebSocket and long-poll clients that new events are in the store. */
export async function notify(deps: LoopDeps): Promise<void> {
  try {
    const id = await deps.store.lastEventId();
    await deps.bus.publish({
      id,
      at: deps.clock(),
      type: 'events.appended',
      rolloutId: null,
      service: null,
      payload: {},
    });
  } catch (error) {
    // Clients also poll the store on their own timeout, so a lost notice only delays them.
    deps.logger.warn({ err: error }, 'event notice not published');
  }
}

function logDecision(log: LoopDeps['logger'], decision: Decision): void {
  const fields = {
    [F.step]: decision.stepIndex + 1,
    [F.decision]: decision.kind,
    [F.weight]: decision.toWeight,
    fromWeight: decision.fromWeight,
    [F.actor]: decision.actor,
    [F.reason]: decision.reason,
  };
  if (decision.kind === 'hold') log.debug(fields, 'rollout held');
  else log.info(fields, 'rollout decided');
  for (const v of decision.verdicts) {
    log.debug(
      {
        [F.gate]: v.gate,
        [F.verdict]: v.verdict,
        [F.observed]: v.observed,
        [F.threshold]: v.threshold,
        [F.samples]: v.samples,
      },
      'gate judged'
    );
  }
}

function countDecision(deps: LoopDeps, rollout: Rollout, decision: Decision): void {
  const actor = decision.actor === CONTROLLER_ACTOR ? 'controller' : 'operator';
  deps.metrics.decisions.inc({ service: rollout.service, decision: decision.kind, actor });
  for (const v of decision.verdicts)
    deps.metrics.verdicts.inc({ service: rollout.service, gate: v.gate, verdict: v.verdict });
}
