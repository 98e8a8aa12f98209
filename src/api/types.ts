/**
 * The shapes of Sentra's REST API as the browser sees them. Domain words and
 * records come from the backend's own definitions, so a change there shows up
 * here as a type error.
 */
import type { GateResult } from '../../backend/src/domain/gates/result.ts';
import type { FieldError, HeaderRoute, Policy } from '../../backend/src/domain/policy.ts';
import type { Decision, RoutingState } from '../../backend/src/domain/rollout.ts';
import type { TrafficConfig } from '../../backend/src/domain/traffic-config.ts';
import type { Action, Phase, Verdict } from '../../backend/src/domain/vocabulary.ts';
import type { PolicyRecord, StepRecord } from '../../backend/src/store/types.ts';

export type { Action, Decision, FieldError, GateResult, Phase, Policy, PolicyRecord, StepRecord, Verdict };
export type { Gate, GateKind, ProviderName } from '../../backend/src/domain/gates/schemas.ts';
export type { Step, Limits } from '../../backend/src/domain/policy.ts';

export interface RolloutSummary {
  id: string;
  service: string;
  baseline: string;
  canary: string;
  policyName: string;
  policyVersion: number;
  phase: Phase;
  stepIndex: number;
  stepCount: number;
  /** The canary's desired share of traffic in percent. */
  weight: number;
  /** What the traffic controller confirmed; null until it has. */
  appliedWeight: number | null;
  headerRoute: HeaderRoute | null;
  worstVerdict: Verdict | null;
  pauseReason: string | null;
  startedAt: number;
  endedAt: number | null;
  createdBy: string;
}

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

export type EventType = 'rollout.created' | 'rollout.decision' | 'rollout.applied';

export interface SentraEvent {
  id: number;
  at: number;
  type: EventType;
  rolloutId: string;
  service: string;
  payload: { rollout: RolloutSummary; decision?: Decision };
}

export interface EventsPage {
  events: SentraEvent[];
  lastId: number;
}

export type ErrorCode = 'invalid_input' | 'unauthorized' | 'not_found' | 'conflict' | 'not_allowed';

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

/** The app's settings as Grafana stores them; the API token lives in secureJsonData and never comes back. */
export interface AppSettings {
  backendUrl?: string;
}
