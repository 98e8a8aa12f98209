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
  { additionalProperties: false }
);

/** How much worse than the baseline a canary may be and still count as healthy. */
const Tolerance = Type.Object(
  { relative: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })), absolute: Type.Optional(Ratio) },
  { additionalProperties: false }
);

/** Settings of the sequential test shared by every gate that compares canary with baseline. */
const sequential = {
  tolerance: Type.Optional(Tolerance),
  /** Highest acceptable chance of wrongly rolling back a healthy canary, over the whole rollout. */
  alpha: Type.Optional(Probability),
  /** Highest acceptable chance of a step accepting a canary twice as bad as tolerated. */
  beta: Type.Optional(Probability),
};

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
    ...sequential,
  },
  { additionalProperties: false }
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
  { additionalProperties: false }
);

/**
 * Latency of the canary, judged one of three ways:
 * - `maxFraction`: the fraction of requests slower than `threshold` seconds
 *   (from histogram buckets) stays under `maxFraction`;
 * - `quantile` alone: that quantile stays under `threshold`;
 * - `compare: true`: the canary is no slower than the baseline, with the same
 *   sequential test and tolerance as the error-rate gate. From histograms it
 *   compares the fractions of requests slower than `threshold` (a request
 *   beyond the highest finite bucket counts as slow); from `quantile` values
 *   it compares the two versions window by window with a sign test, where
 *   only `tolerance.relative` applies.
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
        { additionalProperties: false }
      )
    ),
    threshold: Type.Number({ exclusiveMinimum: 0, description: 'seconds' }),
    maxFraction: Type.Optional(Ratio),
    quantile: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
    compare: Type.Optional(Type.Boolean()),
    ...sequential,
    window: Type.Optional(Duration),
  },
  { additionalProperties: false }
);

/**
 * Error-budget burn of the canary against an SLO: the burn rate is the error
 * ratio divided by the budget (1 - objective). The gate fails when the burn
 * over both the long and the short window is above `factor`, for the policy's
 * `failTicks` ticks in a row: the long window shows the burn is real, the
 * short one that it is still going on.
 */
export const BurnRateGate = Type.Object(
  {
    ...common,
    kind: Type.Literal('burn-rate'),
    query: Type.Optional(CountQueries),
    /** The SLO, as the share of good requests: 0.999 leaves a budget of 0.1% errors. */
    objective: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    /** Burn rate above which the budget is spent too fast (14.4 spends a 30-day budget in 2 days). */
    factor: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
    longWindow: Type.Optional(Duration),
    shortWindow: Type.Optional(Duration),
  },
  { additionalProperties: false }
);

export const DEFAULT_BURN_WINDOWS = { longWindow: '1h', shortWindow: '5m' } as const;

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
  { additionalProperties: false }
);

/**
 * New kinds of error on the canary: its error log lines are reduced to
 * templates; a template the canary writes and the baseline never writes over
 * the rollout fails the gate once it has occurred `minOccurrences` times.
 * The baseline's templates are also read over `baselineLookback` before the
 * rollout started, so an error the stable version writes now and then is not
 * taken for a new one.
 */
export const NewErrorsGate = Type.Object(
  {
    ...common,
    kind: Type.Literal('new-errors'),
    query: Type.Optional(
      Type.Object(
        {
          /** A log query (not a metric query) selecting `$version`'s error lines. */
          errors: Type.String({ minLength: 1, maxLength: 4000 }),
        },
        { additionalProperties: false }
      )
    ),
    minOccurrences: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    baselineLookback: Type.Optional(Duration),
  },
  { additionalProperties: false }
);

export const GATE_SCHEMAS = {
  'error-rate': ErrorRateGate,
  'error-ratio': ErrorRatioGate,
  latency: LatencyGate,
  'burn-rate': BurnRateGate,
  query: QueryGate,
  'new-errors': NewErrorsGate,
} as const;

export type GateKind = keyof typeof GATE_SCHEMAS;
export const GATE_KINDS = Object.keys(GATE_SCHEMAS) as GateKind[];

export type ErrorRateGate = Type.Static<typeof ErrorRateGate>;
export type ErrorRatioGate = Type.Static<typeof ErrorRatioGate>;
export type LatencyGate = Type.Static<typeof LatencyGate>;
export type BurnRateGate = Type.Static<typeof BurnRateGate>;
export type QueryGate = Type.Static<typeof QueryGate>;
export type NewErrorsGate = Type.Static<typeof NewErrorsGate>;

export const Gate = Type.Union([ErrorRateGate, ErrorRatioGate, LatencyGate, BurnRateGate, QueryGate, NewErrorsGate]);
export type Gate = Type.Static<typeof Gate>;
