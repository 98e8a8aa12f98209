import { failed, noData, reading } from '../domain/gates/observation.ts';
import type {
  Counts,
  CountsObservation,
  Observation,
  Reading,
  ValueObservation,
  Window,
} from '../domain/gates/observation.ts';
import type { ErrorRateGate, ErrorRatioGate, Gate, QueryGate } from '../domain/gates/schemas.ts';
import { parseDuration } from '../domain/duration.ts';
import { exchange } from './http.ts';
import { lokiTemplates } from './loki-lines.ts';
import { DEFAULT_LOKI_QUERIES, msToNs, readVector, streamLines } from './loki-query.ts';
import type { InstantRunner } from './scalar.ts';
import type { ObserveContext, TelemetryProvider } from './types.ts';
import { fillTemplate } from './types.ts';

/**
 * Loki provider: error log lines per request, canary against baseline, from
 * LogQL metric queries on Loki's query API.
 *
 * Loki's traps, and what Sentra does about each:
 * - error bodies are plain text, not JSON: the text becomes the reason of an
 *   `error` reading, never a JSON parsing crash;
 * - log timestamps are nanoseconds, written as strings: read with BigInt (a
 *   double loses the last digits);
 * - no matching line means no series at all, not a zero: the count is zero
 *   only if the stream itself wrote lines in the window (asked with the same
 *   stream selector and no filter), otherwise there is no data;
 * - one malformed line fails a whole metric query: the default queries drop
 *   parser errors with `| __error__=""`; when Loki still answers an error the
 *   reading is `error` with Loki's text;
 * - the newest seconds are still arriving: windows end at `now - lag`.
 *
 * The default queries and their conventions are in ./loki-query.ts.
 *
 * Loki's patterns endpoint (`/loki/api/v1/patterns`) is not used for
 * `new-errors` gates: it takes a stream selector only, so it cannot keep to
 * error lines, and it gives no example line to show in a reason. Sentra reads
 * the error lines and templates them itself (domain/logs/templates.ts).
 */

export interface LokiConfig {
  url: string;
  /** Sent as `X-Scope-OrgID` on every request when set. */
  tenant?: string;
  /** Extra headers (for example an Authorization header for a gateway). */
  headers?: Record<string, string>;
  /** Most error lines read per version and tick for `new-errors` gates. */
  lineLimit?: number;
  fetch?: typeof fetch;
}

export function createLokiProvider(config: LokiConfig): TelemetryProvider {
  const headers = { ...config.headers, ...(config.tenant ? { 'X-Scope-OrgID': config.tenant } : {}) };
  const base = config.url.replace(/\/+$/, '');

  return {
    name: 'loki',
    async observe(gate: Gate, ctx: ObserveContext): Promise<Observation> {
      // One deadline for the tick: a stream check after the counts must not double the time taken.
      const signal = AbortSignal.timeout(ctx.timeoutMs);
      const get = (path: string, params: Record<string, string>) =>
        exchange({
          backend: 'Loki',
          url: `${base}${path}?${new URLSearchParams(params)}`,
          headers,
          timeoutMs: ctx.timeoutMs,
          signal,
          fetch: config.fetch,
        });
      const run: InstantRunner = async (query, atMs) => {
        const answer = await get('/loki/api/v1/query', { query, time: msToNs(atMs) });
        return answer.ok ? readVector(answer.body, query) : failed(answer.reason);
      };
      if (gate.kind === 'new-errors') {
        const range = (query: string, from: number, to: number, limit: number) =>
          get('/loki/api/v1/query_range', {
            query,
            start: msToNs(from),
            end: msToNs(to),
            limit: String(limit),
            direction: 'forward',
          });
        return lokiTemplates({ range, run, lineLimit: config.lineLimit }, gate, ctx);
      }
      if (gate.kind === 'error-rate' || gate.kind === 'error-ratio') return lokiCounts(run, gate, ctx);
      if (gate.kind === 'query') return lokiValue(run, gate, ctx);
      return unsupported(gate, ctx);
    },
  };
}

/**
 * Counts of requests and error lines per version for one tick, as increments
 * over [windowEnd ?? since, now - lag), or over a sliding window for an
 * error-ratio gate that sets one. Shared by this provider and by Grafana's
 * Loki data sources, which run the same LogQL.
 */
export async function lokiCounts(
  run: InstantRunner,
  gate: ErrorRateGate | ErrorRatioGate,
  ctx: ObserveContext
): Promise<CountsObservation> {
  const to = ctx.now - ctx.lagMs;
  const sliding = gate.kind === 'error-ratio' && gate.window !== undefined;
  const from = sliding ? Math.max(ctx.since, to - parseDuration(gate.window!)) : (ctx.windowEnd ?? ctx.since);
  const window = { from, to };
  const mode = sliding ? 'window' : 'increment';
  if (to <= from) {
    const empty = noData(`the window is empty (it ends ${ctx.lagMs} ms before now, where logs are still arriving)`);
    return { kind: 'counts', mode, window, canary: empty, baseline: empty };
  }
  const [canary, baseline] = await Promise.all([
    versionCounts(run, gate, ctx, ctx.canary, window),
    versionCounts(run, gate, ctx, ctx.baseline, window),
  ]);
  return { kind: 'counts', mode, window, canary, baseline };
}

async function versionCounts(
  run: InstantRunner,
  gate: ErrorRateGate | ErrorRatioGate,
  ctx: ObserveContext,
  version: string,
  window: Window
): Promise<Reading<Counts>> {
  const values = { service: ctx.service, version, window: `${window.to - window.from}ms` };
  const queries = gate.query ?? DEFAULT_LOKI_QUERIES;
  const requestsQuery = fillTemplate(queries.requests, values);
  const errorsQuery = fillTemplate(queries.errors, values);
  const [requests, errors] = await Promise.all([run(requestsQuery, window.to), run(errorsQuery, window.to)]);

  const problem = [requests, errors].find((r) => !r.ok);
  if (problem && !problem.ok) return problem;
  let req = (requests as { value: number | null }).value;
  let err = (errors as { value: number | null }).value;
  if ((req !== null && Number.isNaN(req)) || (err !== null && Number.isNaN(err))) {
    return noData(`the count for ${version} was NaN`);
  }

  // No series is a zero only when the stream wrote lines in this window.
  if (req === null || err === null) {
    const lines = await streamLines(run, requestsQuery, window);
    if (!lines.ok) return lines;
    if (!lines.value) return noData(`no log line from ${ctx.service} ${version} in the window`);
    req ??= 0;
    err ??= 0;
  }
  // Several error lines can belong to one failed request: the rate is capped at 1.
  const requestCount = Math.round(req);
  return reading({ requests: requestCount, errors: Math.min(Math.round(err), requestCount) });
}

/** A query gate: one LogQL metric query for the canary, evaluated at `now - lag`. */
async function lokiValue(run: InstantRunner, gate: QueryGate, ctx: ObserveContext): Promise<ValueObservation> {
  const to = ctx.now - ctx.lagMs;
  const window = { from: ctx.windowEnd ?? ctx.since, to };
  const query = fillTemplate(gate.query, {
    service: ctx.service,
    version: ctx.canary,
    window: `${to - window.from}ms`,
  });
  const answer = await run(query, to);
  const value = answer.ok && answer.value === null ? noData(`no series for ${query}`) : (answer as Reading<number>);
  return { kind: 'value', window, value };
}

function unsupported(gate: Gate, ctx: ObserveContext): Observation {
  const window = { from: ctx.windowEnd ?? ctx.since, to: ctx.now - ctx.lagMs };
  const reason = `the loki provider answers error-rate, error-ratio, query and new-errors gates, not ${gate.kind}`;
  return { kind: 'value', window, value: failed(reason) };
}
