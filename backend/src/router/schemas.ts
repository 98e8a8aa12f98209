import Type from 'typebox';

import { DURATION_PATTERN } from '../domain/duration.ts';
import { HeaderRoute } from '../domain/policy.ts';

/**
 * The router's admin API, as schemas: each request body and each answer. The
 * traffic controller and the telemetry provider read the router's answers
 * through these same schemas.
 */

/** A service is chosen by the first label of the `Host` header, so its name is a DNS label. */
export const SERVICE_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
export const VERSION_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$';

export const ServiceName = Type.String({ pattern: SERVICE_PATTERN });
export const VersionName = Type.String({ pattern: VERSION_PATTERN });

export const ServiceParams = Type.Object({ service: ServiceName }, { additionalProperties: false });

export const UpstreamUrl = Type.String({
  pattern: '^https?://[^\\s/?#]+[^\\s?#]*$',
  maxLength: 2000,
  description: 'http(s) origin of one version, with an optional base path',
});

export const UpstreamsBody = Type.Object(
  {
    versions: Type.Record(VersionName, UpstreamUrl, {
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 32,
    }),
  },
  { additionalProperties: false }
);
export type UpstreamsBody = Type.Static<typeof UpstreamsBody>;

export const UpstreamsAnswer = Type.Object({
  service: Type.String(),
  versions: Type.Record(Type.String(), Type.String()),
});
export type UpstreamsAnswer = Type.Static<typeof UpstreamsAnswer>;

export const RoutingBody = Type.Object(
  {
    baseline: VersionName,
    canary: VersionName,
    weight: Type.Integer({ minimum: 0, maximum: 100 }),
    headerRoute: Type.Union([HeaderRoute, Type.Null()]),
  },
  { additionalProperties: false }
);
export type RoutingBody = Type.Static<typeof RoutingBody>;

/** The routing in force; `revision` goes up only when the routing really changes. */
export const RoutingAnswer = Type.Object({
  service: Type.String(),
  baseline: Type.String(),
  canary: Type.String(),
  weight: Type.Integer({ minimum: 0, maximum: 100 }),
  headerRoute: Type.Union([HeaderRoute, Type.Null()]),
  revision: Type.Integer({ minimum: 1 }),
  updatedAt: Type.Number(),
});
export type RoutingAnswer = Type.Static<typeof RoutingAnswer>;

export const StatsQuery = Type.Object(
  {
    /** Counts over this sliding window ending now instead of since the router started. */
    window: Type.Optional(Type.String({ pattern: DURATION_PATTERN })),
  },
  { additionalProperties: false }
);

/** JSON has no infinity: the last bucket's bound is written as the string "+Inf". */
export const BucketBound = Type.Union([Type.Number(), Type.Literal('+Inf')]);

export const VersionStats = Type.Object({
  requests: Type.Integer({ minimum: 0 }),
  /** 5xx answers and requests the router could not deliver. */
  errors: Type.Integer({ minimum: 0 }),
  /** Cumulative latency buckets in seconds, `le` ascending, the last one "+Inf". */
  buckets: Type.Array(Type.Object({ le: BucketBound, count: Type.Integer({ minimum: 0 }) }), { minItems: 1 }),
  count: Type.Integer({ minimum: 0 }),
});
export type VersionStats = Type.Static<typeof VersionStats>;

/**
 * Per-version counts over `window` (milliseconds since the epoch). Without a
 * window query the counts are cumulative since the router started, and
 * `window.from` is that moment. A version appears once it has had a request.
 */
export const StatsAnswer = Type.Object({
  service: Type.String(),
  window: Type.Object({ from: Type.Number(), to: Type.Number() }),
  versions: Type.Record(Type.String(), VersionStats),
});
export type StatsAnswer = Type.Static<typeof StatsAnswer>;

export const FieldErrorSchema = Type.Object({ field: Type.String(), message: Type.String() });

export const ErrorAnswer = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
  fields: Type.Optional(Type.Array(FieldErrorSchema)),
});
export type ErrorAnswer = Type.Static<typeof ErrorAnswer>;
