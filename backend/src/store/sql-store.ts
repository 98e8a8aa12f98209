import type { Policy } from '../domain/policy.ts';
import type { Decision, Rollout, RoutingState } from '../domain/rollout.ts';
import type { DecisionKind } from '../domain/vocabulary.ts';
import { encodeJson } from './json.ts';
import type { Row, SqlValue } from './rows.ts';
import {
  auditFromRow,
  decisionColumns,
  decisionFromRow,
  eventFromRow,
  outboxFromRow,
  policyFromRow,
  rolloutColumns,
  rolloutFromRow,
  stepFromRow,
} from './rows.ts';
import type {
  AuditEntry,
  CommitExtras,
  EventInput,
  OutboxItem,
  PolicyRecord,
  RolloutFilter,
  StepRecord,
  Store,
  StoredEvent,
} from './types.ts';
import { StoreError } from './types.ts';

/** Statements on one connection, inside or outside a transaction. Placeholders are `?`. */
export interface SqlSession {
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number; insertId: number }>;
}

/** What differs between the databases; everything else is `SqlStore`. */
export interface SqlDriver {
  readonly kind: 'mysql' | 'sqlite';
  /** For reads outside a transaction. */
  readonly session: SqlSession;
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T>;
  migrate(): Promise<void>;
  /** Which unique key a failed write broke (text naming it), or null if it failed for another reason. */
  uniqueViolation(error: unknown): string | null;
  /** Called before a transaction appends events, so that event ids become visible in id order. */
  lockEvents(tx: SqlSession): Promise<void>;
  close(): Promise<void>;
}

/** Thrown inside a transaction to roll it back when the fencing check fails. */
class StaleRevision extends Error {}

/** Thrown inside a transaction when a rollout write broke a unique key (`key` names it). */
class RolloutKeyTaken extends Error {
  readonly key: string;

  constructor(key: string) {
    super(`unique key taken: ${key}`);
    this.key = key;
  }
}

/** The decisions that end the step they were taken on. */
const CLOSES_STEP: readonly DecisionKind[] = ['advance', 'complete', 'rollback', 'abort'];

const LIVE = `phase IN ('progressing', 'paused')`;

/** The Store contract on any SQL database a driver speaks to. */
export class SqlStore implements Store {
  readonly kind: 'mysql' | 'sqlite';
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.kind = driver.kind;
    this.#db = driver;
  }

  migrate(): Promise<void> {
    return this.#db.migrate();
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  async createPolicy(policy: Policy, audit: AuditEntry): Promise<PolicyRecord> {
    await this.#db.transaction(async (tx) => {
      const values = [policy.name, 1, encodeJson(policy), audit.at, audit.at];
      await tx
        .run('INSERT INTO policies (name, version, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', values)
        .catch((error) => {
          if (this.#db.uniqueViolation(error) === null) throw error;
          throw new StoreError('conflict', `a policy named "${policy.name}" already exists`);
        });
      await insertAudit(tx, audit);
    });
    return { name: policy.name, version: 1, policy, createdAt: audit.at, updatedAt: audit.at };
  }

  /** The version check is in the UPDATE itself, so two editors racing cannot both win. */
  async updatePolicy(name: string, expectedVersion: number, policy: Policy, audit: AuditEntry): Promise<PolicyRecord> {
    if (policy.name !== name) {
      throw new StoreError(
        'conflict',
        `the policy body is named "${policy.name}", not "${name}": a policy cannot be renamed`
      );
    }
    return this.#db.transaction(async (tx) => {
      const { changes } = await tx.run(
        'UPDATE policies SET version = version + 1, body = ?, updated_at = ? WHERE name = ? AND version = ?',
        [encodeJson(policy), audit.at, name, expectedVersion]
      );
      const [row] = await tx.all('SELECT * FROM policies WHERE name = ?', [name]);
      if (!row) throw new StoreError('not-found', `no policy named "${name}"`);
      const current = policyFromRow(row);
      if (changes === 0) {
        const why = `policy "${name}" is at version ${current.version}, not ${expectedVersion}`;
        throw new StoreError('conflict', `${why}: it was changed meanwhile`);
      }
      await insertAudit(tx, audit);
      return { ...current, policy };
    });
  }

  async deletePolicy(name: string, audit: AuditEntry): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const { changes } = await tx.run('DELETE FROM policies WHERE name = ?', [name]);
      if (changes === 0) throw new StoreError('not-found', `no policy named "${name}"`);
      await insertAudit(tx, audit);
    });
  }

  async getPolicy(name: string): Promise<PolicyRecord | null> {
    const [row] = await this.#db.session.all('SELECT * FROM policies WHERE name = ?', [name]);
    return row ? policyFromRow(row) : null;
  }

  async listPolicies(): Promise<PolicyRecord[]> {
    const rows = await this.#db.session.all('SELECT * FROM policies ORDER BY name');
    return rows.map(policyFromRow);
  }

  async insertRollout(rollout: Rollout, extras: CommitExtras): Promise<Rollout> {
    const stored = { ...rollout, revision: 1 };
    try {
      await this.#db.transaction(async (tx) => {
        const columns = rolloutColumns(stored, 1);
        const names = Object.keys(columns);
        const sql = `INSERT INTO rollouts (${names.join(', ')}) VALUES (${placeholders(names.length)})`;
        await tx.run(sql, Object.values(columns)).catch((error) => this.#keyTaken(error));
        await openStep(tx, stored);
        await this.#writeExtras(tx, extras);
      });
    } catch (error) {
      throw await this.#rolloutConflict(error, rollout);
    }
    return stored;
  }

  async getRollout(id: string): Promise<Rollout | null> {
    const [row] = await this.#db.session.all('SELECT * FROM rollouts WHERE id = ?', [id]);
    return row ? rolloutFromRow(row) : null;
  }

  async listRollouts(filter: RolloutFilter): Promise<Rollout[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.service !== undefined) {
      where.push('service = ?');
      params.push(filter.service);
    }
    if (filter.phase !== undefined) {
      where.push('phase = ?');
      params.push(filter.phase);
    }
    if (filter.live) where.push(LIVE);
    const sql = `SELECT * FROM rollouts ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY started_at DESC, id DESC ${limitClause(filter.limit, params)}`;
    const rows = await this.#db.session.all(sql, params);
    return rows.map(rolloutFromRow);
  }

  async commit(
    next: Rollout,
    expectedRevision: number,
    decision: Decision,
    extras: CommitExtras
  ): Promise<Rollout | 'stale'> {
    if (decision.rolloutId !== next.id) {
      throw new Error(`decision for rollout ${decision.rolloutId} committed with rollout ${next.id}`);
    }
    let stored: Rollout;
    try {
      stored = await this.#db.transaction(async (tx) => {
        const written = await fencedUpdate(tx, next, expectedRevision).catch((error) => this.#keyTaken(error));
        const columns = decisionColumns(decision);
        const names = Object.keys(columns);
        await tx.run(
          `INSERT INTO decisions (${names.join(', ')}) VALUES (${placeholders(names.length)})`,
          Object.values(columns)
        );
        await followSteps(tx, decision, written);
        await this.#writeExtras(tx, extras);
        return written;
      });
    } catch (error) {
      if (error instanceof StaleRevision) return 'stale';
      throw await this.#rolloutConflict(error, next);
    }
    return stored;
  }

  async recordApplied(rolloutId: string, applied: RoutingState): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const { changes } = await tx.run('UPDATE rollouts SET applied = ? WHERE id = ?', [
        encodeJson(applied),
        rolloutId,
      ]);
      if (changes === 0) throw new StoreError('not-found', `no rollout ${rolloutId}`);
    });
  }

  async listDecisions(rolloutId: string, options: { afterSeq?: number; limit?: number } = {}): Promise<Decision[]> {
    const params: SqlValue[] = [rolloutId, options.afterSeq ?? 0];
    const limit = limitClause(options.limit, params);
    const sql = `SELECT * FROM decisions WHERE rollout_id = ? AND seq > ? ORDER BY seq ${limit}`;
    const rows = await this.#db.session.all(sql, params);
    return rows.map(decisionFromRow);
  }

  async listSteps(rolloutId: string): Promise<StepRecord[]> {
    const rows = await this.#db.session.all('SELECT * FROM steps WHERE rollout_id = ? ORDER BY step_index', [
      rolloutId,
    ]);
    return rows.map(stepFromRow);
  }

  async listAudit(options: { target?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const params: SqlValue[] = [];
    let where = '';
    if (options.target !== undefined) {
      where = 'WHERE target = ?';
      params.push(options.target);
    }
    const sql = `SELECT * FROM audit ${where} ORDER BY at DESC, id DESC ${limitClause(options.limit, params)}`;
    const rows = await this.#db.session.all(sql, params);
    return rows.map(auditFromRow);
  }

  async appendEvents(events: EventInput[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    return this.#db.transaction(async (tx) => {
      await this.#db.lockEvents(tx);
      return insertEvents(tx, events);
    });
  }

  async listEvents(afterId: number, limit: number): Promise<StoredEvent[]> {
    const params: SqlValue[] = [afterId];
    const sql = `SELECT * FROM events WHERE id > ? ORDER BY id ${limitClause(limit, params)}`;
    const rows = await this.#db.session.all(sql, params);
    return rows.map(eventFromRow);
  }

  async lastEventId(): Promise<number> {
    const [row] = await this.#db.session.all('SELECT COALESCE(MAX(id), 0) AS last FROM events');
    return Number(row?.['last'] ?? 0);
  }

  async pendingOutbox(topic: string, limit: number): Promise<OutboxItem[]> {
    const params: SqlValue[] = [topic];
    const limited = limitClause(limit, params);
    const sql = `SELECT * FROM outbox WHERE topic = ? AND delivered_at IS NULL ORDER BY id ${limited}`;
    const rows = await this.#db.session.all(sql, params);
    return rows.map(outboxFromRow);
  }

  async markDelivered(id: number, at: number): Promise<void> {
    await this.#updateOutbox(id, 'UPDATE outbox SET delivered_at = ? WHERE id = ?', [at, id]);
  }

  async markAttempt(id: number, error: string): Promise<void> {
    await this.#updateOutbox(id, 'UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?', [error, id]);
  }

  async #updateOutbox(id: number, sql: string, params: SqlValue[]): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const { changes } = await tx.run(sql, params);
      if (changes === 0) throw new StoreError('not-found', `no outbox item ${id}`);
    });
  }

  async #writeExtras(tx: SqlSession, extras: CommitExtras): Promise<void> {
    if (extras.audit) await insertAudit(tx, extras.audit);
    if (extras.events && extras.events.length > 0) {
      await this.#db.lockEvents(tx);
      await insertEvents(tx, extras.events);
    }
    for (const item of extras.outbox ?? []) {
      await tx.run('INSERT INTO outbox (created_at, topic, payload, attempts) VALUES (?, ?, ?, 0)', [
        item.createdAt,
        item.topic,
        encodeJson(item.payload),
      ]);
    }
  }

  /** Marks a broken unique key on the rollouts table, to be told apart once the transaction has rolled back. */
  #keyTaken(error: unknown): never {
    const key = this.#db.uniqueViolation(error);
    throw key === null ? error : new RolloutKeyTaken(key);
  }

  /**
   * Turns a broken unique key on the rollouts table into a conflict naming
   * what it collided with; any other failure is passed on as it is. Runs after
   * the transaction has rolled back, so the live rollout it names is committed.
   */
  async #rolloutConflict(error: unknown, rollout: Rollout): Promise<unknown> {
    if (!(error instanceof RolloutKeyTaken)) return error;
    if (!error.key.includes('live_service')) {
      return new StoreError('conflict', `a rollout with id ${rollout.id} already exists`);
    }
    const [row] = await this.#db.session.all('SELECT id, phase FROM rollouts WHERE live_service = ?', [
      rollout.service,
    ]);
    const live = row ? `rollout ${String(row['id'])} (${String(row['phase'])})` : 'another rollout';
    return new StoreError('conflict', `service "${rollout.service}" already has a live rollout: ${live}`);
  }
}

/**
 * The fencing check and the write in one statement. `applied` is left as it
 * is: it belongs to `recordApplied`, and the copy in `next` may be older than
 * the controller's last report. The rollout returned carries the stored one.
 */
async function fencedUpdate(tx: SqlSession, next: Rollout, expectedRevision: number): Promise<Rollout> {
  const { id: _id, applied: _applied, ...columns } = rolloutColumns(next, expectedRevision + 1);
  const sets = Object.keys(columns).map((name) => `${name} = ?`);
  const { changes } = await tx.run(`UPDATE rollouts SET ${sets.join(', ')} WHERE id = ? AND revision = ?`, [
    ...Object.values(columns),
    next.id,
    expectedRevision,
  ]);
  const [row] = await tx.all('SELECT * FROM rollouts WHERE id = ?', [next.id]);
  if (!row) throw new StoreError('not-found', `no rollout ${next.id}`);
  if (changes === 0) throw new StaleRevision();
  return { ...next, revision: expectedRevision + 1, applied: rolloutFromRow(row).applied };
}

/**
 * Step rows follow the decision: the step it was taken on is closed when the
 * decision ends that step or moves the rollout to another one (a resume past
 * a `pause: true` step), and a row opens for the step the rollout moved to.
 */
async function followSteps(tx: SqlSession, decision: Decision, next: Rollout): Promise<void> {
  const moved = next.stepIndex !== decision.stepIndex;
  if (moved || CLOSES_STEP.includes(decision.kind)) {
    await tx.run(
      'UPDATE steps SET ended_at = ?, outcome = ? WHERE rollout_id = ? AND step_index = ? AND ended_at IS NULL',
      [decision.at, decision.kind, decision.rolloutId, decision.stepIndex]
    );
  }
  if (moved) await openStep(tx, next);
}

async function openStep(tx: SqlSession, rollout: Rollout): Promise<void> {
  await tx.run('INSERT INTO steps (rollout_id, step_index, weight, started_at) VALUES (?, ?, ?, ?)', [
    rollout.id,
    rollout.stepIndex,
    rollout.desired.weight,
    rollout.stepStartedAt,
  ]);
}

async function insertAudit(tx: SqlSession, audit: AuditEntry): Promise<void> {
  await tx.run('INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)', [
    audit.at,
    audit.actor,
    audit.action,
    audit.target,
    encodeJson(audit.detail),
  ]);
}

/** One row at a time, so that each event learns its own id whatever the database's id allocation. */
async function insertEvents(tx: SqlSession, events: EventInput[]): Promise<StoredEvent[]> {
  const stored: StoredEvent[] = [];
  for (const event of events) {
    const { insertId } = await tx.run(
      'INSERT INTO events (at, type, rollout_id, service, payload) VALUES (?, ?, ?, ?, ?)',
      [event.at, event.type, event.rolloutId, event.service, encodeJson(event.payload)]
    );
    stored.push({ id: insertId, ...event });
  }
  return stored;
}

function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/** A LIMIT clause for an optional limit, which must be a positive whole number. */
function limitClause(limit: number | undefined, params: SqlValue[]): string {
  if (limit === undefined) return '';
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive whole number, got ${limit}`);
  params.push(limit);
  return 'LIMIT ?';
}
