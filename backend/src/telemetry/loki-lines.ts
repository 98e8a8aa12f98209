import { DEFAULT_BASELINE_LOOKBACK } from '../domain/gates/new-errors.ts';
import { failed, noData, reading } from '../domain/gates/observation.ts';
import type { Reading, TemplatesObservation } from '../domain/gates/observation.ts';
import type { NewErrorsGate } from '../domain/gates/schemas.ts';
import { parseDuration } from '../domain/duration.ts';
import { countTemplates } from '../domain/logs/templates.ts';
import type { Exchange } from './http.ts';
import { DEFAULT_LOKI_QUERIES, streamLines } from './loki-query.ts';
import type { InstantRunner } from './scalar.ts';
import type { ObserveContext } from './types.ts';
import { fillTemplate } from './types.ts';

/**
 * Error lines for `new-errors` gates, read with Loki's range query
 * (`resultType: streams`, oldest first) and reduced to templates.
 *
 * Each tick reads the lines new since the last one. When a version wrote
 * more lines than `lineLimit`, the tick reads up to the millisecond of the
 * last line it got and the next tick goes on from there, so no line is
 * counted twice and none is skipped.
 */

export interface LineSource {
  range: (query: string, fromMs: number, toMs: number, limit: number) => Promise<Exchange>;
  run: InstantRunner;
  lineLimit?: number;
}

export const DEFAULT_LINE_LIMIT = 2000;

interface Line {
  ms: number;
  line: string;
}

export async function lokiTemplates(
  source: LineSource,
  gate: NewErrorsGate,
  ctx: ObserveContext
): Promise<TemplatesObservation> {
  const to = ctx.now - ctx.lagMs;
  const from = ctx.windowEnd ?? ctx.since;
  const lookback = parseDuration(gate.baselineLookback ?? DEFAULT_BASELINE_LOOKBACK);
  const baselineFrom = ctx.windowEnd === null ? from - lookback : from;
  if (to <= from) {
    const empty = noData(`the window is empty (it ends ${ctx.lagMs} ms before now, where logs are still arriving)`);
    return { kind: 'templates', window: { from, to }, canary: empty, baseline: empty };
  }

  const limit = source.lineLimit ?? DEFAULT_LINE_LIMIT;
  const query = (version: string) =>
    fillTemplate(gate.query?.errors ?? DEFAULT_LOKI_QUERIES.errorLines, { service: ctx.service, version });
  const [canary, baseline] = await Promise.all([
    readLines(source, query(ctx.canary), from, to, limit),
    readLines(source, query(ctx.baseline), baselineFrom, to, limit),
  ]);

  // A version cut short by the line limit ends the window for both: the next tick reads on from there.
  const cut = Math.min(to, cutOf(canary), cutOf(baseline));
  const window = { from, to: cut };
  const [canaryReading, baselineReading] = await Promise.all([
    templatesOf(source, canary, query(ctx.canary), { from, to: cut }, `${ctx.service} ${ctx.canary}`),
    templatesOf(
      source,
      baseline,
      query(ctx.baseline),
      { from: baselineFrom, to: cut },
      `${ctx.service} ${ctx.baseline}`
    ),
  ]);
  return { kind: 'templates', window, canary: canaryReading, baseline: baselineReading };
}

type Read = Reading<{ lines: Line[]; cut: number | null }>;

function cutOf(read: Read): number {
  return read.ok && read.value.cut !== null ? read.value.cut : Number.POSITIVE_INFINITY;
}

async function templatesOf(
  source: LineSource,
  read: Read,
  query: string,
  window: { from: number; to: number },
  who: string
): Promise<TemplatesObservation['canary']> {
  if (!read.ok) return read;
  const lines = read.value.lines.filter((l) => l.ms < window.to).map((l) => l.line);
  if (lines.length === 0) {
    // No error line: a clean version, or a silent one. Only a stream that wrote lines is clean.
    const wrote = await streamLines(source.run, query, window);
    if (!wrote.ok) return wrote;
    if (!wrote.value) return noData(`no log line from ${who} in the window`);
  }
  return reading(countTemplates(lines));
}

async function readLines(source: LineSource, query: string, from: number, to: number, limit: number): Promise<Read> {
  const answer = await source.range(query, from, to, limit);
  if (!answer.ok) return failed(answer.reason);
  const parsed = parseStreams(answer.body, query);
  if (!parsed.ok) return parsed;
  const lines = parsed.value.sort((a, b) => a.ms - b.ms);
  if (lines.length < limit) return reading({ lines, cut: null });

  const last = lines[lines.length - 1]!.ms;
  if (lines[0]!.ms === last) return failed(`more than ${limit} error lines in one millisecond for ${query}`);
  return reading({ lines: lines.filter((l) => l.ms < last), cut: last });
}

/** Lines of a `streams` answer. Timestamps are nanosecond strings: read with BigInt, never as doubles. */
export function parseStreams(body: unknown, query: string): Reading<Line[]> {
  const data = (body as { status?: unknown; data?: { resultType?: unknown; result?: unknown } } | null)?.data;
  if ((body as { status?: unknown })?.status !== 'success' || !data || !Array.isArray(data.result)) {
    return failed(`Loki answered an unexpected body for ${query}`);
  }
  if (data.resultType !== 'streams')
    return failed(`Loki answered a ${String(data.resultType)}, not log lines, for ${query}`);
  const lines: Line[] = [];
  for (const stream of data.result as { values?: unknown }[]) {
    if (!Array.isArray(stream?.values)) return failed(`Loki answered a stream without values for ${query}`);
    for (const value of stream.values as unknown[]) {
      const [ts, line] = Array.isArray(value) ? value : [];
      if (typeof ts !== 'string' || !/^\d{1,30}$/.test(ts) || typeof line !== 'string') {
        return failed(`Loki answered a malformed log entry ${JSON.stringify(value)?.slice(0, 120)} for ${query}`);
      }
      lines.push({ ms: Number(BigInt(ts) / 1_000_000n), line });
    }
  }
  return reading(lines);
}
