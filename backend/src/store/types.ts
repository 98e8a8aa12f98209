import type { Policy } from '../domain/policy.ts';
import type { Decision, Rollout, RoutingState } from '../domain/rollout.ts';
import type { DecisionKind, Phase } from '../domain/vocabulary.ts';

export interface PolicyRecord {
  name: string;
  version: number;
  policy: Policy;
  createdAt: number;
  updatedAt: number;
}

export interface RolloutFilter {
  service?: string;
  phase?: Phase;
  /** Only progressing and paused rollouts. */
  live?: boolean;
  limit?: number;
}

/** One step as it happened: when it started, when it ended, and how. */
export interface StepRecord {
  rolloutId: string;
  index: number;
  weight: number;
  startedAt: number;
  endedAt: number | null;
  outcome: DecisionKind | null;
}

/** Who did what, for operator actions and policy changes. */
export interface AuditEntry {
  id?: number;
  at: number;
  actor: string;
  action: string;
  /** What was acted on: `rollout:<id>` or `policy:<name>`. */
  target: string;
  detail: Record<string, unknown>;
}

/** A rollout event, kept in order; `id` is the cursor for long-polling clients. */
export interface StoredEvent {
  id: number;
  at: number;
  type: string;
  rolloutId: string | null;
  service: string | null;
  payload: Record<string, unknown>;
}

export type EventInput = Omit<StoredEvent, 'id'>;

/** A message waiting to be delivered elsewhere (Grafana annotations), in order, once each. */
export interface OutboxItem {
  id: number;
  createdAt: number;
  topic: string;
  payload: Record<string, unknown>;
  attempts: number;
  lastError: string | null;
  deliveredAt: number | null;
}

export type OutboxInput = Pick<OutboxItem, 'createdAt' | 'topic' | 'payload'>;

/** Everything written together with a decision, in one transaction. */
export interface CommitExtras {
  audit?: AuditEntry;
  events?: EventInput[];
  outbox?: OutboxInput[];
}

/**
 * Where Sentra keeps its state. Every method either does all of its writes or
 * none of them.
 *
 * Errors: a `StoreError` with code `conflict` (a name already taken, a stale
 * version, a live rollout of the same service) or `not-found`; anything else
 * is a bug or an outage and propagates as is.
 */
export interface Store {
  readonly kind: 'mysql' | 'sqlite';
  migrate(): Promise<void>;
  close(): Promise<void>;

  createPolicy(policy: Policy, audit: AuditEntry): Promise<PolicyRecord>;
  /** Replaces a policy if its stored version is still `expectedVersion`; the version goes up by one. */
  updatePolicy(name: string, expectedVersion: number, policy: Policy, audit: AuditEntry): Promise<PolicyRecord>;
  deletePolicy(name: string, audit: AuditEntry): Promise<void>;
  getPolicy(name: string): Promise<PolicyRecord | null>;
  listPolicies(): Promise<PolicyRecord[]>;

  /**
   * Stores a new rollout (its revision becomes 1) with its first step row.
   * Refused with `conflict` while another rollout of the same service is live.
   */
  insertRollout(rollout: Rollout, extras: CommitExtras): Promise<Rollout>;
  getRollout(id: string): Promise<Rollout | null>;
  /** Newest first. */
  listRollouts(filter: RolloutFilter): Promise<Rollout[]>;

  /**
   * Writes a rollout's next state and the decision that led to it, if the
   * stored revision is still `expectedRevision`; otherwise writes nothing and
   * answers 'stale' (another writer got there first: a fencing check).
   * Step rows follow the decision: the decided step is closed on advance,
   * complete, rollback and abort, and a new one opened when the step index moves on.
   */
  commit(next: Rollout, expectedRevision: number, decision: Decision, extras: CommitExtras): Promise<Rollout | 'stale'>;
  /** Records what the traffic controller reported in force; does not change the revision. */
  recordApplied(rolloutId: string, applied: RoutingState): Promise<void>;

  /** Oldest first. */
  listDecisions(rolloutId: string, options?: { afterSeq?: number; limit?: number }): Promise<Decision[]>;
  listSteps(rolloutId: string): Promise<StepRecord[]>;
  /** Newest first. */
  listAudit(options?: { target?: string; limit?: number }): Promise<AuditEntry[]>;

  appendEvents(events: EventInput[]): Promise<StoredEvent[]>;
  /** Oldest first, ids greater than `afterId`. */
  listEvents(afterId: number, limit: number): Promise<StoredEvent[]>;
  lastEventId(): Promise<number>;

  /** Undelivered items of a topic, oldest first. */
  pendingOutbox(topic: string, limit: number): Promise<OutboxItem[]>;
  markDelivered(id: number, at: number): Promise<void>;
  markAttempt(id: number, error: string): Promise<void>;
}

export type StoreErrorCode = 'conflict' | 'not-found';

export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}
