import Type from 'typebox';
import { Value } from 'typebox/value';

import { DURATION_PATTERN, parseDuration } from './duration.ts';
import { DEFAULT_BURN_WINDOWS, GATE_KINDS, GATE_SCHEMAS, Gate } from './gates/schemas.ts';
import { CONTROLLER_KINDS, TRAFFIC_SCHEMAS, TrafficConfig } from './traffic-config.ts';

const Duration = Type.String({ pattern: DURATION_PATTERN, description: 'e.g. 500ms, 10s, 5m, 1h' });

export const HeaderRoute = Type.Object(
  {
    header: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }),
    value: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
  },
  { additionalProperties: false }
);
export type HeaderRoute = Type.Static<typeof HeaderRoute>;

/**
 * One step of a rollout. `weight` is the canary's share of traffic in percent;
 * `headerRoute` sends requests carrying that header to the canary. Both carry
 * over to later steps until a later step changes them. `pause: true` waits for
 * an operator's resume once the step's gates are judged healthy.
 */
export const Step = Type.Object(
  {
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    headerRoute: Type.Optional(HeaderRoute),
    minDuration: Duration,
    maxDuration: Type.Optional(Duration),
    pause: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false }
);
export type Step = Type.Static<typeof Step>;

export const Limits = Type.Object(
  {
    /** How often the rollout is judged. */
    tickInterval: Type.Optional(Duration),
    /** Consecutive ticks without data (no series, NaN, no new requests) before the rollout pauses. */
    noDataTicks: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    /** Consecutive ticks with a failed query before the rollout pauses. */
    errorTicks: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    /** Consecutive failing ticks a threshold gate needs before it rolls back (sequential gates decide on evidence). */
    failTicks: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /** Telemetry newer than this is still arriving and is not judged (about one scrape interval). */
    telemetryLag: Type.Optional(Duration),
    /** Per-query timeout. */
    queryTimeout: Type.Optional(Duration),
  },
  { additionalProperties: false }
);
export type Limits = Type.Static<typeof Limits>;

export const Policy = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    steps: Type.Array(Step, { minItems: 1, maxItems: 50 }),
    gates: Type.Array(Gate, { minItems: 1, maxItems: 50 }),
    limits: Type.Optional(Limits),
    traffic: Type.Optional(TrafficConfig),
  },
  { additionalProperties: false }
);
export type Policy = Type.Static<typeof Policy>;

export const DEFAULT_LIMITS = {
  tickInterval: '5s',
  noDataTicks: 12,
  errorTicks: 3,
  failTicks: 2,
  telemetryLag: '2s',
  queryTimeout: '5s',
} as const satisfies Required<Limits>;

/** Limits with defaults filled in and durations in milliseconds. */
export interface ResolvedLimits {
  tickIntervalMs: number;
  noDataTicks: number;
  errorTicks: number;
  failTicks: number;
  telemetryLagMs: number;
  queryTimeoutMs: number;
}

export function resolveLimits(limits: Limits | undefined): ResolvedLimits {
  const merged = { ...DEFAULT_LIMITS, ...limits };
  return {
    tickIntervalMs: parseDuration(merged.tickInterval),
    noDataTicks: merged.noDataTicks,
    errorTicks: merged.errorTicks,
    failTicks: merged.failTicks,
    telemetryLagMs: parseDuration(merged.telemetryLag),
    queryTimeoutMs: parseDuration(merged.queryTimeout),
  };
}

/** A problem with input, located by a JSON pointer such as `/steps/2/weight`. */
export interface FieldError {
  field: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/**
 * Checks a policy's shape and its meaning: known gate kinds, unique gate
 * names, weights that only go up, durations that make sense. Errors name the
 * field with a JSON pointer.
 */
export function validatePolicy(input: unknown): Validated<Policy> {
  const errors = shapeErrors(input);
  if (errors.length > 0) return { ok: false, errors };
  const policy = input as Policy;
  const meaning = [...stepErrors(policy.steps), ...gateNameErrors(policy.gates), ...limitErrors(policy.limits)];
  return meaning.length > 0 ? { ok: false, errors: meaning } : { ok: true, value: policy };
}

/**
 * Gates and traffic settings are validated against their own kind's schema,
 * so an error names the one field that is wrong instead of listing every
 * branch of a union.
 */
function shapeErrors(input: unknown): FieldError[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return [{ field: '', message: 'a policy must be an object' }];
  }
  const { gates, traffic, ...rest } = input as Record<string, unknown>;
  const outer = Type.Object(
    { ...Policy.properties, gates: Type.Unknown(), traffic: Type.Unknown() },
    {
      additionalProperties: false,
    }
  );
  const errors = schemaErrors(outer, { ...rest, gates, traffic }, '');
  if (gates !== undefined && !Array.isArray(gates)) errors.push({ field: '/gates', message: 'must be an array' });
  if (gates === undefined) errors.push({ field: '/gates', message: 'a policy needs at least one gate' });
  if (Array.isArray(gates)) {
    if (gates.length === 0) errors.push({ field: '/gates', message: 'a policy needs at least one gate' });
    gates.forEach((gate, i) => errors.push(...kindErrors(gate, `/gates/${i}`, 'kind', GATE_KINDS, GATE_SCHEMAS)));
  }
  if (traffic !== undefined) {
    errors.push(...kindErrors(traffic, '/traffic', 'controller', CONTROLLER_KINDS, TRAFFIC_SCHEMAS));
  }
  return dedupe(errors);
}

export function kindErrors(
  value: unknown,
  at: string,
  key: string,
  kinds: readonly string[],
  schemas: Record<string, Type.TSchema>
): FieldError[] {
  if (typeof value !== 'object' || value === null) return [{ field: at, message: 'must be an object' }];
  const kind = (value as Record<string, unknown>)[key];
  if (typeof kind !== 'string' || !kinds.includes(kind)) {
    return [{ field: `${at}/${key}`, message: `must be one of: ${kinds.join(', ')}` }];
  }
  return schemaErrors(schemas[kind]!, value, at);
}

/** Schema errors as field errors; "must not have additional properties" names the unknown field. */
export function schemaErrors(schema: Type.TSchema, value: unknown, at: string): FieldError[] {
  const out: FieldError[] = [];
  for (const error of Value.Errors(schema, value)) {
    if (error.keyword === 'additionalProperties' || error.keyword === 'anyOf') continue;
    const field = at + error.instancePath;
    if (error.keyword === 'boolean') out.push({ field, message: 'unknown field' });
    else if (error.keyword === 'required') out.push(...requiredErrors(field, error.params));
    else out.push({ field, message: error.message });
  }
  return out;
}

function requiredErrors(field: string, params: unknown): FieldError[] {
  const names = (params as { requiredProperties?: string[] }).requiredProperties ?? [];
  return names.map((name) => ({ field: `${field}/${name}`, message: 'is required' }));
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.field}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function stepErrors(steps: Step[]): FieldError[] {
  const errors: FieldError[] = [];
  let lastWeight = -1;
  steps.forEach((step, i) => {
    if (step.weight === undefined && step.headerRoute === undefined && !step.pause) {
      errors.push({ field: `/steps/${i}`, message: 'a step sets a weight, a header route or a pause' });
    }
    if (step.weight !== undefined) {
      if (step.weight <= lastWeight) {
        errors.push({
          field: `/steps/${i}/weight`,
          message: `weights must increase (${step.weight} after ${lastWeight})`,
        });
      }
      lastWeight = step.weight;
    }
    if (step.maxDuration !== undefined && parseDuration(step.maxDuration) < parseDuration(step.minDuration)) {
      errors.push({ field: `/steps/${i}/maxDuration`, message: 'must not be shorter than minDuration' });
    }
  });
  return errors;
}

/** Upper bounds that keep every limit usable as a timer and every tick within reason. */
const LIMIT_MAX: Record<string, [number, string]> = {
  tickInterval: [3_600_000, '1h'],
  telemetryLag: [3_600_000, '1h'],
  queryTimeout: [300_000, '5m'],
};

function limitErrors(limits: Limits | undefined): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, [max, shown]] of Object.entries(LIMIT_MAX)) {
    const value = limits?.[key as keyof Limits];
    if (typeof value !== 'string') continue;
    const ms = parseDuration(value);
    if (ms > max) errors.push({ field: `/limits/${key}`, message: `must be at most ${shown}` });
    if (ms === 0 && key !== 'telemetryLag') errors.push({ field: `/limits/${key}`, message: 'must be more than 0' });
  }
  return errors;
}

function gateNameErrors(gates: Gate[]): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  gates.forEach((gate, i) => {
    if (seen.has(gate.name)) errors.push({ field: `/gates/${i}/name`, message: `duplicate gate name "${gate.name}"` });
    seen.add(gate.name);
    errors.push(...gateRuleErrors(gate, `/gates/${i}`));
  });
  return errors;
}

/** Rules within one gate that its schema alone cannot say. */
function gateRuleErrors(gate: Gate, at: string): FieldError[] {
  if (gate.kind === 'latency') {
    if (gate.maxFraction === undefined && gate.quantile === undefined && !gate.compare) {
      return [{ field: `${at}/maxFraction`, message: 'a latency gate needs maxFraction, quantile or compare' }];
    }
    if (gate.compare && gate.maxFraction !== undefined) {
      return [
        {
          field: `${at}/maxFraction`,
          message: 'a comparing latency gate has no maxFraction; use a second gate for a fixed limit',
        },
      ];
    }
  }
  if (gate.kind === 'new-errors' && gate.provider !== 'loki') {
    return [{ field: `${at}/provider`, message: 'a new-errors gate reads log lines: its provider is loki' }];
  }
  if (gate.kind === 'burn-rate') {
    const long = parseDuration(gate.longWindow ?? DEFAULT_BURN_WINDOWS.longWindow);
    const short = parseDuration(gate.shortWindow ?? DEFAULT_BURN_WINDOWS.shortWindow);
    if (short >= long) return [{ field: `${at}/shortWindow`, message: 'must be shorter than longWindow' }];
  }
  return [];
}
