import Type from 'typebox';

import { DURATION_PATTERN } from '../duration.ts';

/**
 * Gate definitions, one schema per gate kind. A gate names the provider that
 * answers its queries and the rule that judges the answer.
 *
 * Queries are templates: `$service`, `$version`, `$window` and `$threshold`
 * are replaced before a query is sent; `$version` takes the baseline's and the
 * canary's version in turn.
 */

export const PROVIDERS = ['prometheus', 'router', 'loki', 'tempo', 'grafana'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

const Duration = Type.String({ pattern: DURATION_PATTERN, description: 'e.g. 500ms, 10s, 5m, 1h' });
const Ratio = Type.Number({ minimum: 0, maximum: 1 });
const Probability = Type.Number({ exclusiveMinimum: 0, maximum: 0.5 });

const common = {
  name: Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$' }),
  provider: Type.Enum(PROVIDERS),
  /** Grafana data source uid, for the `grafana` provider and for Explore links. */
  datasourceUid: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** Below this many requests (or events) in the judged window, the verdict is inconclusive. */
  minSamples: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
};

/** Counter queries, each returning one cumulative counter for `$version`. */
const CountQueries = Type.Object(
  {
    requests: Type.String({ minLength: 1, maxLength: 4000 }),
    errors: Type.String({ minLength: 1, maxLength: 4000 }),
  },
  { additionalProperties: false },
);

/**
 * Canary versus baseline error rate, judged on counts with a sequential test.
 * The canary fails once the evidence that its error rate exceeds the tolerated
 * rate, max(baseline × (1 + relative), baseline + absolute), is strong enough
 * that a healthy canary would be rolled back at most `alpha` of the time.
 */
export const ErrorRateGate = Type.Object(
  {
    ...common,
    kind: Type.Literal('error-rate'),
    query: Type.Optional(CountQueries),
    tolerance: Type.Optional(
      Type.Object(
        { relative: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })), absolute: Type.Optional(Ratio) },
        { additionalProperties: false },
      ),
    ),
    /** Highest acceptable rate of wrongly rolling back a healthy canary. */
    alpha: Type.Optional(Probability),
    /** Highest acceptable rate of missing a canary that is twice the tolerated rate. */
    beta: Type.Optional(Probability),
  },
  { additionalProperties: false },
);

/** An absolute guardrail: the canary's own error ratio over a window stays under `max`. */
export const ErrorRatioGate = Type.Object(
  {
    ...common,
    kind: Type.Literal('error-ratio'),
    query: Type.Optional(CountQueries),
    max: Ratio,
    window: Type.Optional(Duration),
  },
  { additionalProperties: false },
);

/**
 * Latency of the canary: either the fraction of requests slower than
 * `threshold` seconds stays under `maxFraction` (from histogram buckets), or
 * the `quantile` stays under `threshold`.
 */
export const LatencyGate = Type.Object(
  {
    ...common,
    kind: Type.Literal('latency'),
    /** Histogram metric base name (without `_bucket`), and an optional label selector with `$version`. */
    query: Type.Optional(
      Type.Object(
        {
          histogram: Type.String({ minLength: 1, maxLength: 400 }),
          selector: Type.Optional(Type.String({ maxLength: 2000 })),
        },
        { additionalProperties: false },
      ),
    ),
    threshold: Type.Number({ exclusiveMinimum: 0, description: 'seconds' }),
    maxFraction: Type.Optional(Ratio),
    quantile: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
    window: Type.Optional(Duration),
  },
  { additionalProperties: false },
);

export const COMPARISONS = ['<', '<=', '>', '>='] as const;
export type Comparison = (typeof COMPARISONS)[number];

/** Any query returning one number, compared with a threshold. */
export const QueryGate = Type.Object(
  {
    ...common,
    kind: Type.Literal('query'),
    query: Type.String({ minLength: 1, maxLength: 4000 }),
    /** The value must satisfy `value <op> threshold` to pass. */
    op: Type.Enum(COMPARISONS),
    threshold: Type.Number(),
    /** Optional query counting the samples behind the value, for `minSamples`. */
    samplesQuery: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
  },
  { additionalProperties: false },
);

export const GATE_SCHEMAS = {
  'error-rate': ErrorRateGate,
  'error-ratio': ErrorRatioGate,
  latency: LatencyGate,
  query: QueryGate,
} as const;

export type GateKind = keyof typeof GATE_SCHEMAS;
export const GATE_KINDS = Object.keys(GATE_SCHEMAS) as GateKind[];

export type ErrorRateGate = Type.Static<typeof ErrorRateGate>;
export type ErrorRatioGate = Type.Static<typeof ErrorRatioGate>;
export type LatencyGate = Type.Static<typeof LatencyGate>;
export type QueryGate = Type.Static<typeof QueryGate>;

export const Gate = Type.Union([ErrorRateGate, ErrorRatioGate, LatencyGate, QueryGate]);
export type Gate = Type.Static<typeof Gate>;
