/**
 * The shapes of Sentra's REST API as the browser sees them. Domain words and
 * records come from the backend's own definitions, so a change there shows up
 * here as a type error.
 */
import type { Evidence, GateResult as DomainGateResult } from '../../backend/src/domain/gates/result.ts';
import type { FieldError, Policy } from '../../backend/src/domain/policy.ts';
import type { Decision as DomainDecision, RoutingState } from '../../backend/src/domain/rollout.ts';
import type { TrafficConfig } from '../../backend/src/domain/traffic-config.ts';
import type { RolloutSummary } from '../../backend/src/domain/summary.ts';
import type { Action, Phase, Verdict } from '../../backend/src/domain/vocabulary.ts';
import type { ReplayTick as DomainReplayTick } from '../../backend/src/replay/engine.ts';
import type { PolicyRecord, StepRecord } from '../../backend/src/store/types.ts';

export type { Action, FieldError, Phase, Policy, PolicyRecord, RoutingState, StepRecord, Verdict };
export type { Gate, GateKind, ProviderName } from '../../backend/src/domain/gates/schemas.ts';
export type { Step, Limits } from '../../backend/src/domain/policy.ts';

/**
 * JSON has no infinities or NaN: the API spells them as Prometheus does. A
 * gate's numbers arrive as one of these.
 */
export type WireNumber = number | '+Inf' | '-Inf' | 'NaN';

type Wire<T, K extends keyof T> = Omit<T, K> & { [P in K]: WireNumber | null };

export type GateResult = Omit<Wire<DomainGateResult, 'observed' | 'baselineObserved' | 'threshold'>, 'evidence'> & {
  evidence: Wire<Evidence, 'logLikelihoodRatio' | 'pValue'> | null;
};

export type Decision = Omit<DomainDecision, 'verdicts'> & { verdicts: GateResult[] };

export type { RolloutSummary };

export interface RolloutDetail {
  rollout: RolloutSummary & {
    policy: Policy;
    traffic: TrafficConfig;
    desired: RoutingState;
    applied: RoutingState | null;
  };
  steps: StepRecord[];
  /** Oldest first. */
  decisions: Decision[];
  /** The latest result of each gate. */
  gates: GateResult[];
}

interface EventBase {
  id: number;
  at: number;
  rolloutId: string;
  service: string;
}

/** A rollout was started, or decided something: the payload carries its whole new summary. */
export interface RolloutStateEvent extends EventBase {
  type: 'rollout.created' | 'rollout.decision';
  payload: { rollout: RolloutSummary; decision?: Decision };
}

/** The traffic controller confirmed what is in force. */
export interface RolloutAppliedEvent extends EventBase {
  type: 'rollout.applied';
  payload: { applied: RoutingState; cause: 'boot' | 'tick' };
}

export type SentraEvent = RolloutStateEvent | RolloutAppliedEvent;

export interface EventsPage {
  /** Events of types this version of the app does not know may be among them. */
  events: SentraEvent[];
  lastId: number;
}

export type ErrorCode =
  'invalid_input' | 'unauthorized' | 'not_found' | 'conflict' | 'not_allowed' | 'unavailable' | 'internal';

/** The body of every error answer from the backend. */
export interface ApiErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  fields?: FieldError[];
}

export interface StartRolloutRequest {
  service: string;
  baseline: string;
  canary: string;
  policy: string;
}

export interface ActionResult {
  rollout: RolloutSummary;
  decision: Decision;
}

export interface ValidationResult {
  ok: boolean;
  errors: FieldError[];
}

/**
 * `POST /replay` with the policy inline. `from` and `to` are epoch
 * milliseconds or text the backend reads: an ISO 8601 time with a zone,
 * "now", or a time before now such as "-30m".
 */
export interface ReplayRequest {
  policy: unknown;
  service: string;
  baseline: string;
  canary: string;
  from: number | string;
  to: number | string;
}

/** One replayed tick: the weight in force during it, the one it would have moved to, and why. */
export type ReplayTick = Omit<DomainReplayTick, 'verdicts'> & { verdicts: GateResult[] };

export interface ReplayResult {
  /** The replayed policy's name. */
  policy: string;
  from: number;
  to: number;
  tickInterval: string;
  /** Oldest first; the last one is the ending decision unless the range ended first. */
  ticks: ReplayTick[];
  /** `progressing` when the range ended before any ending decision. */
  outcome: Phase;
  /** When the ending decision was taken; null when the range ended first. */
  decidedAt: number | null;
  /** What a replay cannot do, in the backend's words. */
  note: string;
}

/** The app's settings as Grafana stores them; the API token lives in secureJsonData and never comes back. */
export interface AppSettings {
  backendUrl?: string;
}
