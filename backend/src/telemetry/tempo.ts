import { parseDuration } from '../domain/duration.ts';
import { failed, noData, reading } from '../domain/gates/observation.ts';
import type {
  Counts,
  CountsObservation,
  Observation,
  Reading,
  ValueObservation,
  Window,
} from '../domain/gates/observation.ts';
import type { ErrorRateGate, ErrorRatioGate, Gate, LatencyGate, QueryGate } from '../domain/gates/schemas.ts';
import { exchange } from './http.ts';
import { msToNs } from './loki-query.ts';
import type { ObserveContext, TelemetryProvider } from './types.ts';
import { fillTemplate } from './types.ts';

/**
 * Tempo provider: span counts, error spans and span latency per
 * `service.version`, from TraceQL metrics queries.
 *
 * Tempo's traps, and what Sentra does about each:
 * - its answers are protobuf's JSON mapping, so int64 values (timestamps)
 *   arrive as strings: read as numbers before any arithmetic;
 * - fields at their zero value are left out: a sample without `value` is 0,
 *   an answer without `series` has none, an answer without `status` is
 *   complete; non-finite doubles arrive as the strings "NaN", "Infinity";
 * - a `PARTIAL` answer is missing data: `inconclusive`, never a pass;
 * - search results (`/api/search`) are a sample of traces, never a count:
 *   only the metrics endpoints are asked, and a query that is not a metrics
 *   query is refused before it is sent;
 * - the newest step is incomplete: windows end at `now - lag` aligned down to
 *   the step, and a bucket that does not end inside the window is dropped.
 */

export interface TempoConfig {
  url: string;
  /** Sent as `X-Scope-OrgID` on every request when set. */
  tenant?: string;
  headers?: Record<string, string>;
  /** Bucket width of range queries; windows are whole buckets. */
  stepMs?: number;
  fetch?: typeof fetch;
}

export const DEFAULT_TEMPO_STEP_MS = 5_000;
const DEFAULT_LATENCY_WINDOW = '5m';
const SPANS = 'resource.service.name="$service" && resource.service.version="$version"';

export const DEFAULT_TEMPO_QUERIES = {
  requests: `{ ${SPANS} } | rate()`,
  errors: `{ ${SPANS} && status=error } | rate()`,
  latency: `{ ${SPANS} } | quantile_over_time(duration, $quantile)`,
  samples: `{ ${SPANS} } | count_over_time()`,
} as const;

/** TraceQL's metrics functions: a query without one is a search, whose results are never counted. */
const METRICS_FUNCTIONS = [
  'rate',
  'count_over_time',
  'sum_over_time',
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'quantile_over_time',
  'histogram_over_time',
  'compare',
];
const METRICS_FUNCTION = new RegExp(String.raw`\|\s*(${METRICS_FUNCTIONS.join('|')})\s*\(`);

interface Api {
  range(query: string, window: Window, stepMs: number): Promise<Reading<unknown>>;
  instant(query: string, window: Window): Promise<Reading<unknown>>;
}

export function createTempoProvider(config: TempoConfig): TelemetryProvider {
  const headers = { ...config.headers, ...(config.tenant ? { 'X-Scope-OrgID': config.tenant } : {}) };
  const base = config.url.replace(/\/+$/, '');
  const stepMs = config.stepMs ?? DEFAULT_TEMPO_STEP_MS;

  return {
    name: 'tempo',
    async observe(gate: Gate, ctx: ObserveContext): Promise<Observation> {
      const signal = AbortSignal.timeout(ctx.timeoutMs);
      const get = async (path: string, query: string, params: Record<string, string>): Promise<Reading<unknown>> => {
        // Search answers are a sample of traces: only metrics queries are ever sent.
        if (!METRICS_FUNCTION.test(query)) {
          return failed(`not a TraceQL metrics query (search results are never counted): ${query}`);
        }
        const search = new URLSearchParams({ q: query, ...params });
        const answer = await exchange({
          backend: 'Tempo',
          url: `${base}${path}?${search}`,
          headers,
          timeoutMs: ctx.timeoutMs,
          signal,
          fetch: config.fetch,
        });
        return answer.ok ? reading(answer.body) : failed(answer.reason);
      };
      const api: Api = {
        range: (query, w, step) =>
          get('/api/metrics/query_range', query, { start: msToNs(w.from), end: msToNs(w.to), step: `${step / 1000}s` }),
        instant: (query, w) => get('/api/metrics/query', query, { start: msToNs(w.from), end: msToNs(w.to) }),
      };
      if (gate.kind === 'error-rate' || gate.kind === 'error-ratio') return tempoCounts(api, gate, ctx, stepMs);
      if (gate.kind === 'latency' || gate.kind === 'query') return tempoValue(api, gate, ctx);
      return {
        kind: 'value',
        window: { from: ctx.since, to: ctx.now - ctx.lagMs },
        value: failed(`the tempo provider cannot answer ${gate.kind} gates`),
      };
    },
  };
}

async function tempoCounts(
  api: Api,
  gate: ErrorRateGate | ErrorRatioGate,
  ctx: ObserveContext,
  stepMs: number
): Promise<CountsObservation> {
  const to = Math.floor((ctx.now - ctx.lagMs) / stepMs) * stepMs;
  const sliding = gate.kind === 'error-ratio' && gate.window !== undefined;
  const start = sliding ? Math.max(ctx.since, to - parseDuration(gate.window!)) : (ctx.windowEnd ?? ctx.since);
  const from = Math.ceil(start / stepMs) * stepMs;
  const window = { from, to };
  const mode = sliding ? 'window' : 'increment';
  if (to <= from) {
    const empty = noData(`no complete ${stepMs / 1000}s step since the last tick (the newest step is still filling)`);
    return { kind: 'counts', mode, window, canary: empty, baseline: empty };
  }
  const queries = gate.query ?? DEFAULT_TEMPO_QUERIES;
  const version = async (v: string): Promise<Reading<Counts>> => {
    const fill = (q: string) => fillTemplate(q, { service: ctx.service, version: v });
    const [requests, errors] = await Promise.all([
      api.range(fill(queries.requests), window, stepMs).then((r) => countIn(r, window, stepMs)),
      api.range(fill(queries.errors), window, stepMs).then((r) => countIn(r, window, stepMs)),
    ]);
    const problem = [requests, errors].find((r) => !r.ok);
    if (problem && !problem.ok) return problem;
    const req = (requests as { value: number | null }).value;
    if (req === null) return noData(`no span from ${ctx.service} ${v} in the window`);
    // No error series while spans exist: no span failed.
    const err = (errors as { value: number | null }).value ?? 0;
    return reading({ requests: req, errors: Math.min(err, req) });
  };
  const [canary, baseline] = await Promise.all([version(ctx.canary), version(ctx.baseline)]);
  return { kind: 'counts', mode, window, canary, baseline };
}

/**
 * Events in the window from a `rate()` range answer: each complete bucket's
 * rate times the bucket's seconds. Null when the answer has no series.
 */
export function countIn(answer: Reading<unknown>, window: Window, stepMs: number): Reading<number | null> {
  const series = oneSeries(answer);
  if (!series.ok || series.value === null) return series as Reading<null>;
  const samples = (series.value as { samples?: unknown }).samples;
  if (samples !== undefined && !Array.isArray(samples)) return failed('Tempo answered samples that are not a list');
  let total = 0;
  for (const sample of (samples ?? []) as { timestampMs?: unknown; value?: unknown }[]) {
    const at = int64(sample?.timestampMs);
    const value = protoDouble(sample?.value);
    if (at === null || value === null) return failed(`Tempo answered a malformed sample ${JSON.stringify(sample)}`);
    // The newest bucket (and any reaching past the window) is still filling: dropped.
    if (at < window.from || at + stepMs > window.to) continue;
    if (Number.isNaN(value)) return noData('Tempo answered NaN for a bucket');
    total += value * (stepMs / 1000);
  }
  return reading(Math.round(total));
}

/**
 * The canary's quantile (or a query gate's value) over a sliding window. A
 * comparing latency gate gets the baseline's quantile too, over the window
 * since the last tick, so that each tick brings a new pair of values.
 */
async function tempoValue(api: Api, gate: LatencyGate | QueryGate, ctx: ObserveContext): Promise<ValueObservation> {
  const to = ctx.now - ctx.lagMs;
  const span = gate.kind === 'latency' ? (gate.window ?? DEFAULT_LATENCY_WINDOW) : DEFAULT_LATENCY_WINDOW;
  const sliding = Math.max(ctx.since, to - parseDuration(span));
  const comparing = gate.kind === 'latency' && gate.compare === true;
  const window = { from: comparing ? (ctx.windowEnd ?? sliding) : sliding, to };
  if (gate.kind === 'latency' && gate.quantile === undefined) {
    const reason = 'a tempo latency gate needs a quantile (Tempo has no latency buckets to count)';
    return { kind: 'value', window, value: failed(reason) };
  }
  const fill = (q: string, version: string) =>
    fillTemplate(q, { service: ctx.service, version }).replace('$quantile', String((gate as LatencyGate).quantile));
  const template = gate.kind === 'query' ? gate.query : DEFAULT_TEMPO_QUERIES.latency;
  const read = async (q: string, version: string) =>
    orNoData(instantValue(await api.instant(fill(q, version), window)), ctx.service, version);

  const [value, samples, baseline] = await Promise.all([
    read(template, ctx.canary),
    gate.minSamples === undefined ? undefined : read(DEFAULT_TEMPO_QUERIES.samples, ctx.canary),
    comparing ? read(template, ctx.baseline) : undefined,
  ]);
  return {
    kind: 'value',
    window,
    value,
    ...(samples ? { samples } : {}),
    ...(baseline ? { baseline } : {}),
  };
}

function orNoData(value: Reading<number | null>, service: string, version: string): Reading<number> {
  if (!value.ok || value.value !== null) return value as Reading<number>;
  return noData(`no span from ${service} ${version} in the window`);
}

/** The one number of an instant answer (a missing `value` is 0), or null when there is no series. */
export function instantValue(answer: Reading<unknown>): Reading<number | null> {
  const series = oneSeries(answer);
  if (!series.ok || series.value === null) return series as Reading<null>;
  const value = protoDouble((series.value as { value?: unknown }).value);
  return value === null ? failed(`Tempo answered an unreadable value ${JSON.stringify(series.value)}`) : reading(value);
}

/** The answer's only series, null when there is none; PARTIAL answers are missing data. */
function oneSeries(answer: Reading<unknown>): Reading<unknown> {
  if (!answer.ok) return answer;
  const body = answer.value as { series?: unknown; status?: unknown; message?: unknown } | null;
  if (typeof body !== 'object' || body === null) return failed('Tempo answered a body that is not an object');
  if (body.status === 'PARTIAL')
    return noData(`Tempo answered a partial result${body.message ? `: ${String(body.message)}` : ''}`);
  if (body.series !== undefined && !Array.isArray(body.series))
    return failed('Tempo answered series that are not a list');
  const series = (body.series ?? []) as unknown[];
  if (series.length === 0) return reading(null);
  if (series.length > 1) return failed(`expected 1 series, got ${series.length}`);
  return reading(series[0]);
}

/** An int64 in protobuf JSON: a decimal string (or a number from lenient encoders). */
export function int64(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) return Number(value);
  return null;
}

/** A double in protobuf JSON: absent is 0, non-finite values are strings. */
export function protoDouble(value: unknown): number | null {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value)) return Number(value);
  return null;
}
