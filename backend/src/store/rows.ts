import type { Policy } from '../domain/policy.ts';
import type { Decision, Rollout, RoutingState } from '../domain/rollout.ts';
import type { DecisionKind, Phase } from '../domain/vocabulary.ts';
import { decodeJson, encodeJson } from './json.ts';
import type { AuditEntry, OutboxItem, PolicyRecord, StepRecord, StoredEvent } from './types.ts';

/**
 * Table rows to and from the domain's objects, the same for both databases.
 * What is read back equals what was written: numbers stay numbers, JSON
 * columns go through `encodeJson`, and a null column is null, never missing.
 */

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

/** A rollout's columns in table order, for inserts and updates alike. */
export function rolloutColumns(rollout: Rollout, revision: number): Record<string, SqlValue> {
  return {
    id: rollout.id,
    service: rollout.service,
    baseline: rollout.baseline,
    canary: rollout.canary,
    policy_name: rollout.policyName,
    policy_version: rollout.policyVersion,
    policy: encodeJson(rollout.policy),
    traffic: encodeJson(rollout.traffic),
    phase: rollout.phase,
    step_index: rollout.stepIndex,
    step_started_at: rollout.stepStartedAt,
    started_at: rollout.startedAt,
    ended_at: rollout.endedAt,
    revision,
    tick_seq: rollout.tickSeq,
    no_data_streak: rollout.noDataStreak,
    error_streak: rollout.errorStreak,
    pause_reason: rollout.pauseReason,
    awaiting_resume: rollout.awaitingResume ? 1 : 0,
    gate_state: encodeJson(rollout.gateState),
    desired: encodeJson(rollout.desired),
    applied: rollout.applied === null ? null : encodeJson(rollout.applied),
    created_by: rollout.createdBy,
  };
}

export function rolloutFromRow(row: Row): Rollout {
  return {
    id: text(row, 'id'),
    service: text(row, 'service'),
    baseline: text(row, 'baseline'),
    canary: text(row, 'canary'),
    policyName: text(row, 'policy_name'),
    policyVersion: num(row, 'policy_version'),
    policy: json(row, 'policy'),
    traffic: json(row, 'traffic'),
    phase: text(row, 'phase') as Phase,
    stepIndex: num(row, 'step_index'),
    stepStartedAt: num(row, 'step_started_at'),
    startedAt: num(row, 'started_at'),
    endedAt: maybe(row, 'ended_at', num),
    revision: num(row, 'revision'),
    tickSeq: num(row, 'tick_seq'),
    noDataStreak: num(row, 'no_data_streak'),
    errorStreak: num(row, 'error_streak'),
    pauseReason: maybe(row, 'pause_reason', text),
    awaitingResume: num(row, 'awaiting_resume') !== 0,
    gateState: json(row, 'gate_state'),
    desired: json(row, 'desired'),
    applied: maybe(row, 'applied', json<RoutingState>),
    createdBy: text(row, 'created_by'),
  };
}

export function decisionColumns(decision: Decision): Record<string, SqlValue> {
  return {
    rollout_id: decision.rolloutId,
    seq: decision.seq,
    at: decision.at,
    kind: decision.kind,
    actor: decision.actor,
    step_index: decision.stepIndex,
    from_weight: decision.fromWeight,
    to_weight: decision.toWeight,
    reason: decision.reason,
    verdicts: encodeJson(decision.verdicts),
  };
}

export function decisionFromRow(row: Row): Decision {
  return {
    rolloutId: text(row, 'rollout_id'),
    seq: num(row, 'seq'),
    at: num(row, 'at'),
    kind: text(row, 'kind') as DecisionKind,
    actor: text(row, 'actor'),
    stepIndex: num(row, 'step_index'),
    fromWeight: num(row, 'from_weight'),
    toWeight: num(row, 'to_weight'),
    reason: text(row, 'reason'),
    verdicts: json(row, 'verdicts'),
  };
}

export function policyFromRow(row: Row): PolicyRecord {
  return {
    name: text(row, 'name'),
    version: num(row, 'version'),
    policy: json<Policy>(row, 'body'),
    createdAt: num(row, 'created_at'),
    updatedAt: num(row, 'updated_at'),
  };
}

export function stepFromRow(row: Row): StepRecord {
  return {
    rolloutId: text(row, 'rollout_id'),
    index: num(row, 'step_index'),
    weight: num(row, 'weight'),
    startedAt: num(row, 'started_at'),
    endedAt: maybe(row, 'ended_at', num),
    outcome: maybe(row, 'outcome', text) as DecisionKind | null,
  };
}

export function auditFromRow(row: Row): AuditEntry {
  return {
    id: num(row, 'id'),
    at: num(row, 'at'),
    actor: text(row, 'actor'),
    action: text(row, 'action'),
    target: text(row, 'target'),
    detail: json(row, 'detail'),
  };
}

export function eventFromRow(row: Row): StoredEvent {
  return {
    id: num(row, 'id'),
    at: num(row, 'at'),
    type: text(row, 'type'),
    rolloutId: maybe(row, 'rollout_id', text),
    service: maybe(row, 'service', text),
    payload: json(row, 'payload'),
  };
}

export function outboxFromRow(row: Row): OutboxItem {
  return {
    id: num(row, 'id'),
    createdAt: num(row, 'created_at'),
    topic: text(row, 'topic'),
    payload: json(row, 'payload'),
    attempts: num(row, 'attempts'),
    lastError: maybe(row, 'last_error', text),
    deliveredAt: maybe(row, 'delivered_at', num),
  };
}

function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new TypeError(`column ${column}: expected text, read ${typeof value}`);
  return value;
}

function num(row: Row, column: string): number {
  const value = row[column];
  if (typeof value !== 'number') throw new TypeError(`column ${column}: expected a number, read ${typeof value}`);
  return value;
}

function json<T>(row: Row, column: string): T {
  return decodeJson<T>(text(row, column));
}

function maybe<T>(row: Row, column: string, read: (row: Row, column: string) => T): T | null {
  return row[column] === null || row[column] === undefined ? null : read(row, column);
}
