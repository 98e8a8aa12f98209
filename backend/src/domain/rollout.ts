import type { GateResult, GateState } from './gates/result.ts';
import { freshGateState } from './gates/result.ts';
import type { HeaderRoute, Policy } from './policy.ts';
import type { TrafficConfig } from './traffic-config.ts';
import type { DecisionKind, Phase } from './vocabulary.ts';

/** The whole routing state of a service, as a traffic controller applies it. */
export interface RoutingState {
  /** The canary's share of traffic, 0 to 100. */
  weight: number;
  /** Requests carrying this header go to the canary whatever the weight. */
  headerRoute: HeaderRoute | null;
}

/**
 * A rollout as stored. `revision` goes up by one on every write; a write that
 * names an older revision is refused, which fences off a replica whose lease
 * ran out while its tick was in flight.
 */
export interface Rollout {
  id: string;
  service: string;
  baseline: string;
  canary: string;
  policyName: string;
  policyVersion: number;
  /** The policy as it was when the rollout started; later edits do not change a running rollout. */
  policy: Policy;
  traffic: TrafficConfig;
  phase: Phase;
  stepIndex: number;
  stepStartedAt: number;
  startedAt: number;
  endedAt: number | null;
  revision: number;
  /** Number of ticks judged so far; the next decision gets `tickSeq + 1`. */
  tickSeq: number;
  noDataStreak: number;
  errorStreak: number;
  pauseReason: string | null;
  /** Paused by a `pause: true` step, waiting for an operator's resume to go on. */
  awaitingResume: boolean;
  gateState: Record<string, GateState>;
  /** The routing state Sentra wants in force, derived from phase and step. */
  desired: RoutingState;
  /** What the traffic controller last reported as really in force. */
  applied: RoutingState | null;
  createdBy: string;
}

/** One decision: what was decided, by whom, and why in numbers. */
export interface Decision {
  rolloutId: string;
  seq: number;
  at: number;
  kind: DecisionKind;
  actor: string;
  stepIndex: number;
  fromWeight: number;
  toWeight: number;
  reason: string;
  verdicts: GateResult[];
}

export interface StartRollout {
  id: string;
  service: string;
  baseline: string;
  canary: string;
  policy: Policy;
  policyVersion: number;
  traffic: TrafficConfig;
  createdBy: string;
  now: number;
}

export function startRollout(input: StartRollout): Rollout {
  const draft: Rollout = {
    id: input.id,
    service: input.service,
    baseline: input.baseline,
    canary: input.canary,
    policyName: input.policy.name,
    policyVersion: input.policyVersion,
    policy: input.policy,
    traffic: input.traffic,
    phase: 'progressing',
    stepIndex: 0,
    stepStartedAt: input.now,
    startedAt: input.now,
    endedAt: null,
    revision: 0,
    tickSeq: 0,
    noDataStreak: 0,
    errorStreak: 0,
    pauseReason: null,
    awaitingResume: false,
    gateState: freshGateStates(input.policy),
    desired: { weight: 0, headerRoute: null },
    applied: null,
    createdBy: input.createdBy,
  };
  return { ...draft, desired: routingFor(draft) };
}

export function freshGateStates(policy: Policy): Record<string, GateState> {
  return Object.fromEntries(policy.gates.map((gate) => [gate.name, freshGateState()]));
}

/**
 * The routing state a rollout wants: all traffic on the baseline once it is
 * rolled back or aborted, all on the canary once complete, otherwise the
 * weight and header route set by the steps so far (each carries over until a
 * later step changes it).
 */
export function routingFor(rollout: Pick<Rollout, 'phase' | 'stepIndex' | 'policy'>): RoutingState {
  if (rollout.phase === 'rolled_back' || rollout.phase === 'aborted') return { weight: 0, headerRoute: null };
  if (rollout.phase === 'completed') return { weight: 100, headerRoute: null };
  let weight = 0;
  let headerRoute: HeaderRoute | null = null;
  for (const step of rollout.policy.steps.slice(0, rollout.stepIndex + 1)) {
    if (step.weight !== undefined) weight = step.weight;
    if (step.headerRoute !== undefined) headerRoute = step.headerRoute;
  }
  return { weight, headerRoute };
}

export function sameRouting(a: RoutingState | null, b: RoutingState | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.weight === b.weight &&
    a.headerRoute?.header.toLowerCase() === b.headerRoute?.header.toLowerCase() &&
    a.headerRoute?.value === b.headerRoute?.value
  );
}
