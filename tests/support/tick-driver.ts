import { judgeGate } from '../../backend/src/domain/gates/judge.ts';
import type { GateResult, GateState } from '../../backend/src/domain/gates/result.ts';
import { freshGateState } from '../../backend/src/domain/gates/result.ts';
import { planTick } from '../../backend/src/domain/plan.ts';
import { resolveLimits, validatePolicy } from '../../backend/src/domain/policy.ts';
import type { Policy } from '../../backend/src/domain/policy.ts';
import type { Decision, Rollout } from '../../backend/src/domain/rollout.ts';
import type { ObserveContext, TelemetryProvider } from '../../backend/src/telemetry/types.ts';
import { aDomainRollout } from './domain.ts';

/**
 * Drives one rollout tick by tick with a fake clock, the way the loop does:
 * each gate is observed through a real provider, judged, and the tick planned.
 * Nothing here stores or moves traffic. The rollout is service `checkout`,
 * baseline `v1`, canary `v2`.
 */

/** A fixed start time, so queries and reasons read the same on every run. */
export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

/** A validated policy for the Prometheus cases: two steps of 20 s, ticks every 5 s, unless overridden. */
export function aCasePolicy(overrides: Partial<Policy> & Pick<Policy, 'gates'>): Policy {
  const policy: Policy = {
    name: 'canary',
    steps: [
      { weight: 10, minDuration: '20s' },
      { weight: 50, minDuration: '20s' },
    ],
    limits: { tickInterval: '5s' },
    ...overrides,
  };
  const checked = validatePolicy(policy);
  if (!checked.ok) throw new Error(`test policy is invalid: ${JSON.stringify(checked.errors)}`);
  return policy;
}

export interface Tick {
  /** 1 for the first tick. */
  n: number;
  at: number;
  results: GateResult[];
  decision: Decision;
  rollout: Rollout;
  /** The named gate's result on this tick. */
  result(gate: string): GateResult;
}

export interface DriverOptions {
  provider: TelemetryProvider;
  policy: Policy;
  start?: number;
}

export class TickDriver {
  readonly provider: TelemetryProvider;
  rollout: Rollout;
  /** The fake clock, in milliseconds. */
  now: number;
  ticks = 0;

  constructor(options: DriverOptions) {
    this.provider = options.provider;
    this.now = options.start ?? T0;
    this.rollout = aDomainRollout(options.policy, this.now);
  }

  get limits() {
    return resolveLimits(this.rollout.policy.limits);
  }

  /** When the next tick will run. */
  get nextAt(): number {
    return this.now + this.limits.tickIntervalMs;
  }

  /** Moves the clock one tick interval on, observes and judges every gate, and plans the tick. */
  async tick(): Promise<Tick> {
    if (this.rollout.phase !== 'progressing') throw new Error(`the rollout is ${this.rollout.phase}; no tick runs`);
    this.now = this.nextAt;
    this.ticks += 1;
    const limits = this.limits;
    const results: GateResult[] = [];
    const states: Record<string, GateState> = {};

    for (const gate of this.rollout.policy.gates) {
      const state = this.rollout.gateState[gate.name] ?? freshGateState();
      const observation = await this.provider.observe(gate, this.context(state));
      const judged = judgeGate(gate, observation, state, { failTicks: limits.failTicks });
      results.push(judged.result);
      states[gate.name] = judged.state;
    }
    const planned = planTick(this.rollout, results, states, this.now);
    this.rollout = planned.next;
    return {
      n: this.ticks,
      at: this.now,
      results,
      decision: planned.decision,
      rollout: planned.next,
      result: (name) => {
        const found = results.find((r) => r.gate === name);
        if (!found) throw new Error(`no gate named ${name}`);
        return found;
      },
    };
  }

  context(state: GateState): ObserveContext {
    const limits = this.limits;
    return {
      service: this.rollout.service,
      baseline: this.rollout.baseline,
      canary: this.rollout.canary,
      now: this.now,
      lagMs: limits.telemetryLagMs,
      timeoutMs: limits.queryTimeoutMs,
      windowEnd: state.windowEnd,
      since: this.rollout.startedAt,
    };
  }
}
