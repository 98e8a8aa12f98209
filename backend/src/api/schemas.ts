import Type from 'typebox';

import { DECISIONS, INCONCLUSIVE_REASONS, PHASES, VERDICTS, ACTIONS } from '../domain/vocabulary.ts';
import { HeaderRoute } from '../domain/policy.ts';

/**
 * Response and input schemas of the REST API. Non-finite numbers (a latency
 * of +Inf) travel as the strings "+Inf", "-Inf" and "NaN", as Prometheus
 * writes them, since JSON has no such numbers.
 */

export const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' });
export const Millis = Type.Number({ description: 'epoch milliseconds' });
const Numeric = Type.Union([Type.Number(), Type.Enum(['+Inf', '-Inf', 'NaN']), Type.Null()]);

export const PolicyRecordBody = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  policy: Type.Unknown(),
  createdAt: Millis,
  updatedAt: Millis,
});

export const RolloutSummaryBody = Type.Object({
  id: Type.String(),
  service: Type.String(),
  baseline: Type.String(),
  canary: Type.String(),
  policyName: Type.String(),
  policyVersion: Type.Integer(),
  phase: Type.Enum(PHASES),
  stepIndex: Type.Integer(),
  stepCount: Type.Integer(),
  weight: Type.Number(),
  appliedWeight: Type.Union([Type.Number(), Type.Null()]),
  headerRoute: Type.Union([HeaderRoute, Type.Null()]),
  worstVerdict: Type.Union([Type.Enum(VERDICTS), Type.Null()]),
  pauseReason: Type.Union([Type.String(), Type.Null()]),
  startedAt: Millis,
  stepStartedAt: Millis,
  endedAt: Type.Union([Millis, Type.Null()]),
  createdBy: Type.String(),
});

export const GateResultBody = Type.Object({
  gate: Type.String(),
  kind: Type.String(),
  provider: Type.String(),
  verdict: Type.Enum(VERDICTS),
  inconclusive: Type.Optional(Type.Enum(INCONCLUSIVE_REASONS)),
  reason: Type.String(),
  observed: Numeric,
  baselineObserved: Numeric,
  threshold: Numeric,
  samples: Type.Object({ canary: Type.Number(), baseline: Type.Union([Type.Number(), Type.Null()]) }),
  window: Type.Object({ from: Millis, to: Millis }),
  evidence: Type.Union([
    Type.Object({
      logLikelihoodRatio: Numeric,
      pValue: Numeric,
      accepted: Type.Boolean(),
      expectedMoreSamples: Type.Union([Type.Number(), Type.Null()]),
    }),
    Type.Null(),
  ]),
  details: Type.Optional(Type.Unknown()),
});

export const DecisionBody = Type.Object({
  rolloutId: Type.String(),
  seq: Type.Integer(),
  at: Millis,
  kind: Type.Enum(DECISIONS),
  actor: Type.String(),
  stepIndex: Type.Integer(),
  fromWeight: Type.Number(),
  toWeight: Type.Number(),
  reason: Type.String(),
  verdicts: Type.Array(GateResultBody),
});

export const StepBody = Type.Object({
  rolloutId: Type.String(),
  index: Type.Integer(),
  weight: Type.Number(),
  startedAt: Millis,
  endedAt: Type.Union([Millis, Type.Null()]),
  outcome: Type.Union([Type.Enum(DECISIONS), Type.Null()]),
});

const RoutingBody = Type.Object({ weight: Type.Number(), headerRoute: Type.Union([HeaderRoute, Type.Null()]) });

export const RolloutDetailBody = Type.Object({
  rollout: Type.Intersect([
    RolloutSummaryBody,
    Type.Object({
      policy: Type.Unknown(),
      traffic: Type.Unknown(),
      desired: RoutingBody,
      applied: Type.Union([RoutingBody, Type.Null()]),
    }),
  ]),
  steps: Type.Array(StepBody),
  decisions: Type.Array(DecisionBody),
  gates: Type.Array(GateResultBody),
});

export const EventBody = Type.Object({
  id: Type.Integer(),
  at: Millis,
  type: Type.String(),
  rolloutId: Type.Union([Type.String(), Type.Null()]),
  service: Type.Union([Type.String(), Type.Null()]),
  payload: Type.Unknown(),
});

/** A service name as proxies, meshes and Kubernetes take it: lower case letters, digits and dashes. */
const ServiceName = Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' });

export const StartRolloutBody = Type.Object(
  {
    service: ServiceName,
    baseline: Name,
    canary: Name,
    policy: Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' }),
    traffic: Type.Optional(Type.Object({ controller: Type.String() }, { additionalProperties: true })),
  },
  { additionalProperties: false }
);

export const ActionBody = Type.Object(
  { action: Type.Enum(ACTIONS), note: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false }
);

export const IdParams = Type.Object(
  { id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) },
  { additionalProperties: false }
);
export const NameParams = Type.Object({ name: Type.String({ maxLength: 63 }) }, { additionalProperties: false });

/** Replaces non-finite numbers anywhere in a value by their Prometheus spelling. */
export function finiteJson<T>(value: T): T {
  if (typeof value === 'number') return (Number.isFinite(value) ? value : spell(value)) as T;
  if (Array.isArray(value)) return value.map(finiteJson) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, finiteJson(v)])) as T;
  }
  return value;
}

function spell(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}
