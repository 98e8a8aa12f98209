import { randomUUID } from 'node:crypto';

import type { ProviderName } from '../domain/gates/schemas.ts';
import { applyAction, planPause, planTick } from '../domain/plan.ts';
import type { Planned } from '../domain/plan.ts';
import { resolveLimits } from '../domain/policy.ts';
import { kindErrors } from '../domain/policy.ts';
import type { FieldError } from '../domain/policy.ts';
import type { Rollout } from '../domain/rollout.ts';
import { sameRouting, startRollout } from '../domain/rollout.ts';
import { CONTROLLER_KINDS, DEFAULT_TRAFFIC, TRAFFIC_SCHEMAS } from '../domain/traffic-config.ts';
import type { TrafficConfig } from '../domain/traffic-config.ts';
import { StoreError } from '../store/types.ts';
import type { Action } from '../domain/vocabulary.ts';
import { isTerminal } from '../domain/vocabulary.ts';
import { F } from '../log-fields.ts';
import type { LoopDeps } from './deps.ts';
import { observeAndJudge } from './observe.ts';
import { annotation, decisionEvent, notify, recordDecision } from './record.ts';
import { applyRouting } from './routing.ts';

export interface BeginInput {
  service: string;
  baseline: string;
  canary: string;
  policy: string;
  traffic?: unknown;
  actor: string;
}

export type BeginOutcome =
  | { ok: true; rollout: Rollout }
  | { ok: false; code: 'invalid_input' | 'not_found' | 'conflict'; message: string; fields?: FieldError[] };

export type ActOutcome =
  | { ok: true; rollout: Rollout; planned: Planned }
  | { ok: false; code: 'not_found' | 'not_allowed' | 'conflict'; message: string };

/** The setting that configures each provider, for errors that say how to fix them. */
const PROVIDER_SETTING: Record<ProviderName, string> = {
  prometheus: 'set SENTRA_PROMETHEUS_URL',
  router: 'set SENTRA_ROUTER_URL',
  loki: 'set SENTRA_LOKI_URL',
  tempo: 'set SENTRA_TEMPO_URL',
  grafana: 'set SENTRA_GRAFANA_URL and SENTRA_GRAFANA_TOKEN',
};

/** How often the scheduler looks for rollouts whose next tick is due. */
const SCAN_MS = 250;
/** A rollout's lease outlives a few missed ticks, so a busy replica does not lose it to a pause in the event loop. */
const MIN_LEASE_MS = 15_000;
/** Ended rollouts whose final routing is not confirmed yet, and live ones left by a dead replica, are looked for this often. */
const RECONCILE_MS = 5_000;
/** Ended rollouts are reconciled this long after they ended; a service that no longer exists is not retried forever. */
const RECONCILE_ENDED_WITHIN_MS = 24 * 3_600_000;
/** The longest pause between two attempts to confirm an ended rollout's routing. */
const RETRY_MAX_MS = 5 * 60_000;
/** An operator action retried this often when a tick commits between the action's read and its write. */
const ACTION_ATTEMPTS = 5;

/**
 * Schedules ticks, owns leases, and runs operator actions, for every live
 * rollout in the store. Each rollout's tick has its own error boundary: one
 * broken rollout never stalls the others.
 */
export class RolloutLoop {
  private readonly deps: LoopDeps;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly lastTick = new Map<string, number>();
  /** Rollouts whose lease this replica holds; a newly taken one gets its stored routing applied before its first tick. */
  private readonly owned = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private reconciler: NodeJS.Timeout | null = null;
  private stopping = false;

  constructor(deps: LoopDeps) {
    this.deps = deps;
  }

  /**
   * Re-applies the stored routing state of every rollout that needs it, then
   * starts ticking. Nothing is decided before the stored state is back in force.
   */
  async start(): Promise<void> {
    await this.reconcile(true);
    this.stopping = false;
    this.timer = setInterval(() => void this.scan(), SCAN_MS);
    this.reconciler = setInterval(
      () => void this.reconcile().catch((err: unknown) => this.deps.logger.error({ err }, 'reconcile failed')),
      RECONCILE_MS
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    if (this.reconciler) clearInterval(this.reconciler);
    this.timer = null;
    this.reconciler = null;
    await Promise.allSettled([...this.inflight.values()]);
    await Promise.allSettled(
      [...this.lastTick.keys()].map((id) => this.deps.bus.releaseLease(leaseKey(id), this.deps.owner))
    );
  }

  /**
   * Puts the stored routing back in force. At boot, for every live rollout and
   * every recently ended one whose final routing was never confirmed (a crash
   * between decision and traffic), without waiting for leases: the process that
   * held them may be the one that just died, and the stored routing is what any
   * replica would apply. Afterwards, every few seconds, for ended rollouts still
   * unconfirmed (a proxy that was down) and live ones no replica ticks.
   */
  async reconcile(boot = false): Promise<void> {
    const recent = await this.deps.store.listRollouts({ limit: 200 });
    const since = this.deps.clock() - RECONCILE_ENDED_WITHIN_MS;
    const unconfirmed = (r: Rollout) =>
      isTerminal(r.phase) && (r.endedAt ?? 0) >= since && !sameRouting(r.desired, r.applied);
    for (const rollout of recent) {
      if (this.inflight.has(rollout.id)) continue;
      const live = !isTerminal(rollout.phase);
      if (boot && (live || unconfirmed(rollout))) {
        await this.guard(rollout.id, () => applyRouting(this.deps, rollout, 'boot').then(() => undefined));
      } else if (unconfirmed(rollout) && this.dueForRetry(rollout.id)) {
        await this.guard(rollout.id, async () =>
          this.noteRetry(rollout.id, (await applyRouting(this.deps, rollout)).ok)
        );
      } else if (live && !this.owned.has(rollout.id) && (await this.lease(rollout))) {
        await this.guard(rollout.id, () => this.takeOver(rollout));
      }
    }
  }

  /** When an ended rollout's routing may next be retried: a proxy that stays down is asked less and less often. */
  private readonly retryAt = new Map<string, { at: number; delayMs: number }>();

  private dueForRetry(id: string): boolean {
    return this.deps.clock() >= (this.retryAt.get(id)?.at ?? 0);
  }

  private noteRetry(id: string, ok: boolean): void {
    if (ok) {
      this.retryAt.delete(id);
      return;
    }
    const delayMs = Math.min(RETRY_MAX_MS, (this.retryAt.get(id)?.delayMs ?? RECONCILE_MS / 2) * 2);
    this.retryAt.set(id, { at: this.deps.clock() + delayMs, delayMs });
  }

  /** Re-applies the stored routing of a rollout this replica has just taken the lease of (at boot, or from a dead replica). */
  private async takeOver(rollout: Rollout): Promise<void> {
    await applyRouting(this.deps, rollout, 'boot');
    if (!isTerminal(rollout.phase)) this.owned.add(rollout.id);
  }

  /**
   * Starts a rollout of `service` from `baseline` to `canary` under a stored
   * policy: stored first (refused while the service has a live rollout), then
   * its first step's routing applied at once.
   */
  async begin(input: BeginInput): Promise<BeginOutcome> {
    if (input.baseline === input.canary) {
      const fields = [{ field: '/canary', message: 'must differ from baseline' }];
      return { ok: false, code: 'invalid_input', message: 'canary must differ from baseline', fields };
    }
    const record = await this.deps.store.getPolicy(input.policy);
    if (!record) return { ok: false, code: 'not_found', message: `no policy named "${input.policy}"` };
    const missing = record.policy.gates.filter((gate) => !this.deps.providers[gate.provider]);
    if (missing.length > 0) {
      const fields = missing.map((gate) => ({
        field: '/policy',
        message: `gate "${gate.name}" reads ${gate.provider}, which is not configured on this backend (${PROVIDER_SETTING[gate.provider]})`,
      }));
      return { ok: false, code: 'invalid_input', message: fields.map((f) => f.message).join('; '), fields };
    }
    const traffic = input.traffic ?? record.policy.traffic ?? DEFAULT_TRAFFIC;
    const fields = kindErrors(traffic, '/traffic', 'controller', CONTROLLER_KINDS, TRAFFIC_SCHEMAS);
    if (fields.length > 0) return { ok: false, code: 'invalid_input', message: 'invalid traffic settings', fields };

    const now = this.deps.clock();
    const rollout = startRollout({
      ...input,
      id: randomUUID(),
      policy: record.policy,
      policyVersion: record.version,
      traffic: traffic as TrafficConfig,
      createdBy: input.actor,
      now,
    });
    const created = decisionEvent(rollout, undefined);
    const audit = {
      at: now,
      actor: input.actor,
      action: 'start',
      target: `rollout:${rollout.id}`,
      detail: { policy: record.name, policyVersion: record.version },
    };
    let stored: Rollout;
    try {
      stored = await this.deps.store.insertRollout(rollout, {
        events: [created],
        outbox: this.deps.annotations ? [annotation('started', rollout)] : [],
        audit,
      });
    } catch (error) {
      if (error instanceof StoreError && error.code === 'conflict')
        return { ok: false, code: 'conflict', message: error.message };
      throw error;
    }
    await notify(this.deps);
    await this.enforce(stored);
    return { ok: true, rollout: (await this.deps.store.getRollout(stored.id)) ?? stored };
  }

  /** One tick of one rollout, now; the scheduler calls this, and tests drive it directly. */
  async tick(id: string): Promise<void> {
    const rollout = await this.deps.store.getRollout(id);
    if (!rollout) return;
    if (rollout.phase !== 'progressing') {
      // Paused and ended rollouts are not judged, but their routing is still held in place.
      if (!sameRouting(rollout.desired, rollout.applied) || rollout.phase === 'paused')
        await applyRouting(this.deps, rollout);
      return;
    }
    const started = process.hrtime.bigint();
    const now = this.deps.clock();
    const { results, gateState } = await observeAndJudge(rollout, this.deps.providers, now);
    const stored = await recordDecision(this.deps, rollout, planTick(rollout, results, gateState, now));
    if (stored !== 'stale') await this.enforce(stored);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.deps.metrics.tickSeconds.observe({ outcome: stored === 'stale' ? 'stale' : 'stored' }, seconds);
  }

  /**
   * An operator's action: recorded with its actor and audit entry, then traffic
   * moves at once (rollback and abort do not wait for the next tick).
   */
  async act(id: string, action: Action, actor: string, note?: string): Promise<ActOutcome> {
    for (let attempt = 0; attempt < ACTION_ATTEMPTS; attempt++) {
      const rollout = await this.deps.store.getRollout(id);
      if (!rollout) return { ok: false, code: 'not_found', message: `no rollout with id ${id}` };
      const now = this.deps.clock();
      const outcome = applyAction(rollout, action, actor, now, note);
      if (!outcome.ok) return { ok: false, code: 'not_allowed', message: outcome.reason };
      const audit = {
        at: now,
        actor,
        action,
        target: `rollout:${id}`,
        detail: { note: note ?? null, phase: rollout.phase },
      };
      const stored = await recordDecision(this.deps, rollout, outcome.planned, audit);
      if (stored === 'stale') continue;
      await this.enforce(stored);
      return { ok: true, rollout: (await this.deps.store.getRollout(id)) ?? stored, planned: outcome.planned };
    }
    return {
      ok: false,
      code: 'conflict',
      message: 'the rollout kept changing while the action was applied; try again',
    };
  }

  /** Applies the stored routing state; a progressing rollout whose traffic cannot be set or confirmed pauses. */
  private async enforce(rollout: Rollout): Promise<void> {
    const outcome = await applyRouting(this.deps, rollout);
    if (outcome.ok || rollout.phase !== 'progressing') return;
    const fresh = await this.deps.store.getRollout(rollout.id);
    if (!fresh || fresh.phase !== 'progressing') return;
    await recordDecision(this.deps, fresh, planPause(fresh, outcome.reason, this.deps.clock()));
  }

  private async scan(): Promise<void> {
    if (this.stopping) return;
    let live: Rollout[];
    try {
      live = await this.deps.store.listRollouts({ live: true });
    } catch (error) {
      this.deps.logger.error({ err: error }, 'live rollouts not listed');
      return;
    }
    const now = this.deps.clock();
    for (const rollout of live) {
      if (this.inflight.has(rollout.id)) continue;
      const interval = resolveLimits(rollout.policy.limits).tickIntervalMs;
      if (now < (this.lastTick.get(rollout.id) ?? 0) + interval) continue;
      this.lastTick.set(rollout.id, now);
      void this.run(rollout);
    }
  }

  private async run(rollout: Rollout): Promise<void> {
    if (!(await this.lease(rollout))) {
      this.owned.delete(rollout.id);
      return;
    }
    await this.guard(rollout.id, async () => {
      // Nothing is decided for a rollout before its stored routing is back in force on this replica's watch.
      if (!this.owned.has(rollout.id)) await this.takeOver(rollout);
      await this.tick(rollout.id);
    });
  }

  private async lease(rollout: Rollout): Promise<boolean> {
    const ttl = Math.max(MIN_LEASE_MS, 3 * resolveLimits(rollout.policy.limits).tickIntervalMs);
    try {
      return await this.deps.bus.acquireLease(leaseKey(rollout.id), this.deps.owner, ttl);
    } catch (error) {
      this.deps.logger.error({ [F.rollout]: rollout.id, err: error }, 'lease not acquired');
      return false;
    }
  }

  /** The per-rollout error boundary: one in flight per rollout, failures logged, never thrown to the scheduler. */
  private async guard(id: string, work: () => Promise<void>): Promise<void> {
    const running = work().catch((error: unknown) => {
      this.deps.logger.error({ [F.rollout]: id, err: error }, 'tick failed');
    });
    this.inflight.set(id, running);
    try {
      await running;
    } finally {
      this.inflight.delete(id);
    }
  }
}

function leaseKey(id: string): string {
  return `lease:rollout:${id}`;
}
