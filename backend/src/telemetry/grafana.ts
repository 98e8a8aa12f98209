import { failed, noData, reading } from '../domain/gates/observation.ts';
import type {
  Counts,
  CountsObservation,
  Observation,
  Reading,
  ValueObservation,
  Window,
} from '../domain/gates/observation.ts';
import type { ErrorRateGate, ErrorRatioGate, Gate } from '../domain/gates/schemas.ts';
import { frameScalar, resultOf } from './grafana-frames.ts';
import { exchange } from './http.ts';
import type { Exchange } from './http.ts';
import { lokiCounts } from './loki.ts';
import type { InstantRunner, Scalar } from './scalar.ts';
import { DEFAULT_TEMPO_QUERIES } from './tempo.ts';
import type { ObserveContext, TelemetryProvider } from './types.ts';
import { fillTemplate } from './types.ts';

/**
 * Grafana provider: runs a gate's queries through Grafana's unified query API
 * (`POST /api/ds/query`) on the data source named by the gate's
 * `datasourceUid`, with a service-account token, so Sentra can use the
 * Prometheus, Loki and Tempo data sources an organisation already has.
 *
 * Each query is an instant query. By data source type:
 * - Prometheus: the gate's counter queries, read as cumulative counters;
 * - Loki: the same LogQL and windows as the Loki provider (see ./loki.ts);
 * - Tempo: TraceQL metrics over the window since the last tick; a `rate()`
 *   answer is turned into a count with the window's length.
 * `new-errors` gates read log lines and need the Loki provider itself.
 */

export interface GrafanaConfig {
  url: string;
  /** A service-account token, sent as a bearer token. */
  token: string;
  /** Grafana organisation of the data sources, when not the token's default. */
  orgId?: number;
  /** Data source types by uid; a uid not listed here is looked up once. */
  datasourceTypes?: Record<string, string>;
  fetch?: typeof fetch;
}

const SUPPORTED = ['prometheus', 'loki', 'tempo'] as const;
type SourceType = (typeof SUPPORTED)[number];

const REF_ID = 'A';

export function createGrafanaProvider(config: GrafanaConfig): TelemetryProvider {
  const base = config.url.replace(/\/+$/, '');
  const headers: Record<string, string> = {
    Authorization: `Bearer ${config.token}`,
    ...(config.orgId !== undefined ? { 'X-Grafana-Org-Id': String(config.orgId) } : {}),
  };
  const types = new Map<string, string>(Object.entries(config.datasourceTypes ?? {}));
  /** `signal` is the tick's deadline, shared by the type lookup and every query. */
  const call = (path: string, timeoutMs: number, signal: AbortSignal, body?: unknown): Promise<Exchange> =>
    exchange({
      backend: 'Grafana',
      url: `${base}${path}`,
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs,
      signal,
      fetch: config.fetch,
    });

  async function typeOf(uid: string, timeoutMs: number, signal: AbortSignal): Promise<Reading<SourceType>> {
    if (!types.has(uid)) {
      const answer = await call(`/api/datasources/uid/${encodeURIComponent(uid)}`, timeoutMs, signal);
      if (!answer.ok) return failed(answer.reason);
      const type = (answer.body as { type?: unknown } | null)?.type;
      if (typeof type !== 'string') return failed(`Grafana answered no type for data source ${uid}`);
      types.set(uid, type);
    }
    const type = types.get(uid)!;
    if (!(SUPPORTED as readonly string[]).includes(type)) {
      return failed(`data source ${uid} is of type ${type}; Sentra reads prometheus, loki and tempo data sources`);
    }
    return reading(type as SourceType);
  }

  return {
    name: 'grafana',
    async observe(gate: Gate, ctx: ObserveContext): Promise<Observation> {
      const window = { from: ctx.windowEnd ?? ctx.since, to: ctx.now - ctx.lagMs };
      if (!gate.datasourceUid) return problem(gate, window, failed(`gate ${gate.name} names no datasourceUid`));
      const signal = AbortSignal.timeout(ctx.timeoutMs);
      const type = await typeOf(gate.datasourceUid, ctx.timeoutMs, signal);
      if (!type.ok) return problem(gate, window, type);

      const datasource = { uid: gate.datasourceUid, type: type.value };
      const run = async (model: Record<string, unknown>, w: Window): Promise<Scalar> => {
        const body = { from: String(w.from), to: String(w.to), queries: [{ refId: REF_ID, datasource, ...model }] };
        return readAnswer(await call('/api/ds/query', ctx.timeoutMs, signal, body), String(model.expr ?? model.query));
      };
      return observeOn(type.value, run, gate, ctx);
    },
  };
}

type Run = (model: Record<string, unknown>, window: Window) => Promise<Scalar>;

function observeOn(type: SourceType, run: Run, gate: Gate, ctx: ObserveContext): Promise<Observation> | Observation {
  const to = ctx.now - ctx.lagMs;
  const lastMinute = (at: number) => ({ from: at - 60_000, to: at });
  if (type === 'loki') {
    const instant: InstantRunner = (expr, at) => run({ expr, queryType: 'instant' }, lastMinute(at));
    if (gate.kind === 'error-rate' || gate.kind === 'error-ratio') return lokiCounts(instant, gate, ctx);
    if (gate.kind === 'query') return valueOf(instant, fillTemplate(gate.query, values(ctx)), { from: ctx.since, to });
  }
  if (type === 'prometheus') {
    const instant: InstantRunner = (expr, at) =>
      run({ expr, instant: true, range: false, format: 'time_series' }, lastMinute(at));
    if (gate.kind === 'error-rate' || gate.kind === 'error-ratio') return prometheusCounts(instant, gate, ctx);
    if (gate.kind === 'query') return valueOf(instant, fillTemplate(gate.query, values(ctx)), { from: ctx.since, to });
  }
  if (type === 'tempo') {
    const traceql = (query: string, w: Window) => run({ query, queryType: 'traceql', metricsQueryType: 'instant' }, w);
    if (gate.kind === 'error-rate' || gate.kind === 'error-ratio') return tempoCounts(traceql, gate, ctx);
    if (gate.kind === 'query') {
      const window = { from: ctx.windowEnd ?? ctx.since, to };
      return traceql(fillTemplate(gate.query, values(ctx)), window).then((v) => ({
        kind: 'value',
        window,
        value: present(v, gate.query),
      }));
    }
  }
  return problem(
    gate,
    { from: ctx.since, to },
    failed(`the grafana provider cannot answer ${gate.kind} gates on ${type} data sources`)
  );
}

async function valueOf(run: InstantRunner, query: string, window: Window): Promise<ValueObservation> {
  return { kind: 'value', window, value: present(await run(query, window.to), query) };
}

/** Cumulative counters read at `now - lag`; the domain turns them into increments. */
async function prometheusCounts(
  run: InstantRunner,
  gate: ErrorRateGate | ErrorRatioGate,
  ctx: ObserveContext
): Promise<CountsObservation> {
  const window = { from: ctx.windowEnd ?? ctx.since, to: ctx.now - ctx.lagMs };
  if (!gate.query) {
    const none = failed(`gate ${gate.name} reads a Prometheus data source through Grafana and must give its queries`);
    return { kind: 'counts', mode: 'cumulative', window, canary: none, baseline: none };
  }
  const queries = gate.query;
  const version = async (v: string): Promise<Reading<Counts>> => {
    const fill = (q: string) => fillTemplate(q, { service: ctx.service, version: v });
    const [requests, errors] = await Promise.all([
      run(fill(queries.requests), window.to),
      run(fill(queries.errors), window.to),
    ]);
    return countsFrom(requests, errors, `no series for ${ctx.service} ${v}`);
  };
  const [canary, baseline] = await Promise.all([version(ctx.canary), version(ctx.baseline)]);
  return { kind: 'counts', mode: 'cumulative', window, canary, baseline };
}

/** TraceQL over the window since the last tick; `rate()` is spans per second over the whole window. */
async function tempoCounts(
  run: (query: string, w: Window) => Promise<Scalar>,
  gate: ErrorRateGate | ErrorRatioGate,
  ctx: ObserveContext
): Promise<CountsObservation> {
  const window = { from: ctx.windowEnd ?? ctx.since, to: ctx.now - ctx.lagMs };
  if (window.to <= window.from) {
    const empty = noData('the window is empty');
    return { kind: 'counts', mode: 'increment', window, canary: empty, baseline: empty };
  }
  const queries = gate.query ?? DEFAULT_TEMPO_QUERIES;
  const seconds = (window.to - window.from) / 1000;
  const asCount = (q: string, s: Scalar): Scalar =>
    s.ok && s.value !== null && /\|\s*rate\(\s*\)/.test(q) ? reading(s.value * seconds) : s;
  const version = async (v: string): Promise<Reading<Counts>> => {
    const fill = (q: string) => fillTemplate(q, { service: ctx.service, version: v });
    const [requests, errors] = await Promise.all(
      [queries.requests, queries.errors].map((q) => run(fill(q), window).then((s) => asCount(q, s)))
    );
    return countsFrom(requests!, errors!, `no span from ${ctx.service} ${v} in the window`);
  };
  const [canary, baseline] = await Promise.all([version(ctx.canary), version(ctx.baseline)]);
  return { kind: 'counts', mode: 'increment', window, canary, baseline };
}

/** Requests and errors from two answers: no requests series is no data; no errors series, no errors. */
function countsFrom(requests: Scalar, errors: Scalar, absent: string): Reading<Counts> {
  if (!requests.ok) return requests;
  if (!errors.ok) return errors;
  if (requests.value === null) return noData(absent);
  if (Number.isNaN(requests.value) || (errors.value !== null && Number.isNaN(errors.value)))
    return noData('the count was NaN');
  const req = Math.round(requests.value);
  return reading({ requests: req, errors: Math.min(Math.round(errors.value ?? 0), req) });
}

function present(value: Scalar, query: string): Reading<number> {
  if (!value.ok || value.value !== null) return value as Reading<number>;
  return noData(`no series for ${query}`);
}

function readAnswer(answer: Exchange, what: string): Scalar {
  if (answer.ok) {
    const result = resultOf(answer.body, REF_ID);
    return result.ok ? frameScalar(result.result, what) : failed(result.reason);
  }
  // One failed query makes the whole answer a 400; the data source's reason is in its result.
  const said = answer.body === undefined ? null : queryError(answer.body);
  return failed(said === null ? answer.reason : `Grafana answered HTTP ${answer.status}: ${said}`);
}

function queryError(body: string): string | null {
  let parsed: { results?: Record<string, { error?: unknown }> } | null;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    // Not a query answer (a proxy's page): the status line says it best.
    return null;
  }
  const error = parsed?.results?.[REF_ID]?.error;
  return typeof error === 'string' && error !== '' ? `the data source answered an error: ${error}` : null;
}

function values(ctx: ObserveContext): Record<string, string> {
  return { service: ctx.service, version: ctx.canary };
}

function problem(gate: Gate, window: Window, reason: Reading<never>): Observation {
  if (gate.kind === 'new-errors') return { kind: 'templates', window, canary: reason, baseline: reason };
  if (gate.kind === 'error-rate' || gate.kind === 'error-ratio') {
    return { kind: 'counts', mode: 'increment', window, canary: reason, baseline: reason };
  }
  return { kind: 'value', window, value: reason };
}
