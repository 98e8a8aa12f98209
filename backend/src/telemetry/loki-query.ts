import { failed, reading } from '../domain/gates/observation.ts';
import type { Reading, Window } from '../domain/gates/observation.ts';
import { oneValue } from './scalar.ts';
import type { InstantRunner, Scalar, VectorSample } from './scalar.ts';

/**
 * LogQL pieces shared by the Loki provider, its line reader and Grafana's
 * Loki data sources.
 *
 * Logs are expected to carry the stream labels `service` and `version`, and
 * to be JSON lines with a `level` (pino's numbers or words) and one
 * `"msg":"request completed"` line per request (fastify's request log).
 * A gate's own queries replace these conventions.
 */

const STREAM = '{service="$service", version="$version"}';
const ERROR_LEVEL = 'level=~"error|fatal|50|60"';

export const DEFAULT_LOKI_QUERIES = {
  requests: `sum(count_over_time(${STREAM} | json | __error__="" | msg="request completed" [$window]))`,
  errors: `sum(count_over_time(${STREAM} | json | __error__="" | ${ERROR_LEVEL} [$window]))`,
  errorLines: `${STREAM} | json | __error__="" | ${ERROR_LEVEL}`,
} as const;

/** Whether the query's stream wrote any line in the window, asked with its selector alone. */
export async function streamLines(run: InstantRunner, query: string, window: Window): Promise<Reading<boolean>> {
  const selector = streamSelector(query);
  if (selector === null) return failed(`no stream selector found in the query ${query}`);
  const answer = await run(`sum(count_over_time(${selector} [${window.to - window.from}ms]))`, window.to);
  if (!answer.ok) return answer;
  return reading(answer.value !== null && answer.value > 0);
}

/** The first `{…}` stream selector in a LogQL query, quotes and escapes respected. */
export function streamSelector(query: string): string | null {
  const start = query.indexOf('{');
  if (start < 0) return null;
  let quote: string | null = null;
  for (let i = start + 1; i < query.length; i++) {
    const ch = query[i]!;
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === '`') {
      quote = ch;
    } else if (ch === '}') {
      return query.slice(start, i + 1);
    }
  }
  return null;
}

/** A Loki instant answer (`resultType: vector`) as one number, no series, or why not. */
export function readVector(body: unknown, query: string): Scalar {
  const data = (body as { status?: unknown; data?: { resultType?: unknown; result?: unknown } } | null)?.data;
  if ((body as { status?: unknown })?.status !== 'success' || !data || !Array.isArray(data.result)) {
    return failed(`Loki answered an unexpected body for ${query}`);
  }
  if (data.resultType !== 'vector')
    return failed(`Loki answered a ${String(data.resultType)}, not a vector, for ${query}`);
  const samples: VectorSample[] = [];
  for (const item of data.result as { metric?: Record<string, string>; value?: unknown[] }[]) {
    if (!Array.isArray(item?.value) || item.value.length !== 2)
      return failed(`Loki answered a malformed sample for ${query}`);
    samples.push({ metric: item.metric ?? {}, raw: item.value[1] });
  }
  return oneValue(samples, query);
}

/** Milliseconds to the nanosecond epoch string Loki reads (an integer is nanoseconds). */
export function msToNs(ms: number): string {
  return (BigInt(Math.floor(ms)) * 1_000_000n).toString();
}
