import type { GateResult } from '../domain/gates/result.ts';
import type { ProviderName } from '../domain/gates/schemas.ts';
import { planTick } from '../domain/plan.ts';
import { resolveLimits } from '../domain/policy.ts';
import type { FieldError, Policy } from '../domain/policy.ts';
import { startRollout } from '../domain/rollout.ts';
import type { Decision, Rollout } from '../domain/rollout.ts';
import { DEFAULT_TRAFFIC } from '../domain/traffic-config.ts';
import type { DecisionKind, Phase } from '../domain/vocabulary.ts';
import { observeAndJudge } from '../loop/observe.ts';
import type { Providers } from '../telemetry/types.ts';

/**
 * Replay: a policy judged against a past time range of real telemetry, as if
 * a rollout had started at `from`. A simulated clock steps by the policy's
 * tick interval; each tick asks the gates' providers for the readings as they
 * were at that instant, judges and decides them with the live loop's own code
 * (`observeAndJudge`, `planTick`), and stops at the first decision after which
 * the controller would not judge again (rollback, complete, pause) or at `to`.
 *
 * It has no store and no traffic controller to call: nothing is written and no
 * traffic moves. It cannot change past traffic either: every verdict is judged
 * on the split that really ran then, whatever weight the replayed steps would
 * have set.
 */

/** The replayed rollout is never stored, so one fixed id serves. */
export const REPLAY_ID = 'replay';

/** The most ticks one replay through the API may take. */
export const MAX_API_TICKS = 2000;

export const PAST_TRAFFIC_NOTE =
  'Replay cannot change past traffic: every verdict is judged on the traffic split that really ran at the time; ' +
  'the weights shown are the ones the replayed steps would have set. Nothing was stored and no traffic moved.';

/**
 * Providers that only know the present (the built-in router's live counters)
 * cannot say what a version's counts were at a past instant.
 */
const LIVE_ONLY: readonly ProviderName[] = ['router'];

export interface ReplayRequest {
  policy: Policy;
  service: string;
  baseline: string;
  canary: string;
  /** Epoch milliseconds: the replayed rollout starts, and first ticks, at `from`. */
  from: number;
  /** Epoch milliseconds: no tick after this. */
  to: number;
}

export interface Replay {
  /** The decision of every tick, oldest first, as `planTick` made it. */
  decisions: Decision[];
  /** The replayed rollout after its last tick. */
  rollout: Rollout;
  /** Its phase at the end: `progressing` when `to` came before any ending decision. */
  outcome: Phase;
  /** When the ending decision was taken; null when `to` came first. */
  decidedAt: number | null;
}

/** One tick as the API shows it: the weight in force during the tick and the one it would have moved to. */
export interface ReplayTick {
  at: number;
  stepIndex: number;
  weight: number;
  toWeight: number;
  decision: DecisionKind;
  reason: string;
  verdicts: GateResult[];
}

/** Ticks from `from` to `to` at the policy's interval, both ends included. */
export function tickCount(policy: Policy, from: number, to: number): number {
  if (to < from) return 0;
  return Math.floor((to - from) / resolveLimits(policy.limits).tickIntervalMs) + 1;
}

/**
 * What stands in the way of a replay, each naming its field: a range that is
 * reversed, in the future or too long, a canary equal to the baseline, and
 * gates whose provider is missing or cannot answer for the past. Policy fields
 * are under `/policy`.
 */
export function checkReplay(
  request: ReplayRequest,
  providers: Providers,
  limits: { now: number; maxTicks: number }
): FieldError[] {
  const errors: FieldError[] = [];
  const { policy, from, to } = request;
  if (to > limits.now) errors.push({ field: '/to', message: 'is in the future: a replay reads past telemetry only' });
  if (to < from) errors.push({ field: '/to', message: 'must not be before from' });
  const ticks = tickCount(policy, from, to);
  if (ticks > limits.maxTicks) {
    const interval = resolveLimits(policy.limits).tickIntervalMs / 1000;
    const message =
      `from ${new Date(from).toISOString()} to ${new Date(to).toISOString()} is ${ticks} ticks of ${interval}s; ` +
      `a replay takes at most ${limits.maxTicks}: move from and to closer`;
    errors.push({ field: '/to', message });
  }
  if (request.baseline === request.canary) errors.push({ field: '/canary', message: 'must differ from baseline' });
  policy.gates.forEach((gate, i) => {
    const field = `/policy/gates/${i}/provider`;
    if (LIVE_ONLY.includes(gate.provider)) {
      const message = `the ${gate.provider} provider knows only live counts and cannot answer for a past time`;
      errors.push({ field, message });
    } else if (!providers[gate.provider]) {
      errors.push({ field, message: `no ${gate.provider} provider is configured for this replay` });
    }
  });
  return errors;
}

/**
 * Runs the replay; the request must have passed `checkReplay`. `onTick` sees
 * each decision as it is taken, for callers that print as they go.
 */
export async function replay(
  request: ReplayRequest,
  providers: Providers,
  onTick?: (decision: Decision, rollout: Rollout) => void
): Promise<Replay> {
  const interval = resolveLimits(request.policy.limits).tickIntervalMs;
  let rollout = startRollout({
    id: REPLAY_ID,
    service: request.service,
    baseline: request.baseline,
    canary: request.canary,
    policy: request.policy,
    policyVersion: 0,
    traffic: request.policy.traffic ?? DEFAULT_TRAFFIC,
    createdBy: 'replay',
    now: request.from,
  });
  const decisions: Decision[] = [];

  // The live loop judges only progressing rollouts: after a rollback, a
  // completion or a pause nothing more is decided without an operator.
  for (let at = request.from; at <= request.to && rollout.phase === 'progressing'; at += interval) {
    const { results, gateState } = await observeAndJudge(rollout, providers, at);
    const planned = planTick(rollout, results, gateState, at);
    rollout = planned.next;
    decisions.push(planned.decision);
    onTick?.(planned.decision, rollout);
  }

  const ended = rollout.phase !== 'progressing';
  return { decisions, rollout, outcome: rollout.phase, decidedAt: ended ? (decisions.at(-1)?.at ?? null) : null };
}

export function toTicks(decisions: Decision[]): ReplayTick[] {
  return decisions.map((d) => ({
    at: d.at,
    stepIndex: d.stepIndex,
    weight: d.fromWeight,
    toWeight: d.toWeight,
    decision: d.kind,
    reason: d.reason,
    verdicts: d.verdicts,
  }));
}
