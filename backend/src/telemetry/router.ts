import { formatDuration, parseDuration } from '../domain/duration.ts';
import type {
  BurnObservation,
  Counts,
  Histogram,
  Observation,
  Reading,
  ValueObservation,
  Window,
} from '../domain/gates/observation.ts';
import { failed, noData, reading } from '../domain/gates/observation.ts';
import { DEFAULT_BURN_WINDOWS } from '../domain/gates/schemas.ts';
import type { BurnRateGate, Gate, LatencyGate } from '../domain/gates/schemas.ts';
import { callAdmin } from '../router/client.ts';
import { StatsAnswer } from '../router/schemas.ts';
import type { VersionStats } from '../router/schemas.ts';
import { histogramQuantile } from './quantile.ts';
import type { ObserveContext, TelemetryProvider } from './types.ts';

export interface RouterProviderOptions {
  /** The router's admin address, such as http://127.0.0.1:9091. */
  url: string;
  token?: string;
  fetch?: typeof fetch;
}

/** The sliding window a latency quantile is computed over when the gate names none. */
export const DEFAULT_QUANTILE_WINDOW = '1m';

type Side = 'canary' | 'baseline';

/**
 * Reads gates from the built-in router's own counts. Error gates and latency
 * fractions get the router's cumulative counters, which the domain turns into
 * increments per tick; a latency quantile is computed from the buckets of the
 * gate's sliding window, since a quantile cannot be accumulated. The router
 * keeps no other series, so `query` gates cannot be answered here, and the
 * query templates a gate may carry are not used. The counts are live, so no
 * telemetry lag applies: windows end at the tick's own time.
 *
 * The router consulted is the one given here, whatever address a rollout's
 * traffic settings name.
 */
export class RouterProvider implements TelemetryProvider {
  readonly name = 'router' as const;
  readonly #options: RouterProviderOptions;

  constructor(options: RouterProviderOptions) {
    this.#options = options;
  }

  async observe(gate: Gate, ctx: ObserveContext): Promise<Observation> {
    const window = { from: ctx.windowEnd ?? ctx.since, to: ctx.now };
    try {
      if (gate.kind === 'query') {
        const reason = 'the router provider cannot run queries; use prometheus, loki, tempo or grafana';
        return unanswered(gate, window, reason);
      }
      if (gate.kind === 'burn-rate') return await this.#burn(gate, ctx);
      if (gate.kind === 'latency' && gate.maxFraction === undefined && !gate.compare) {
        if (gate.quantile === undefined)
          return unanswered(gate, window, 'a latency gate needs maxFraction or quantile');
        return await this.#quantile(gate, gate.quantile, ctx);
      }
      return await this.#cumulative(gate, ctx, window);
    } catch (err) {
      return unanswered(gate, window, `router provider failed: ${(err as Error).message}`);
    }
  }

  async #cumulative(gate: Gate, ctx: ObserveContext, window: Window): Promise<Observation> {
    const stats = await this.#stats(ctx);
    if (!stats.ok) return unanswered(gate, window, stats.reason);
    const versions = stats.body.versions;
    const read = <T>(side: Side, convert: (s: VersionStats) => T): Reading<T> => {
      const version = ctx[side];
      const found = versions[version];
      if (found) return reading(convert(found));
      return noData(`the router has served no requests to ${ctx.service} ${version} yet`);
    };

    if (gate.kind === 'latency') {
      const canary = read('canary', toHistogram);
      const baseline = read('baseline', toHistogram);
      return { kind: 'histogram', mode: 'cumulative', window, canary, baseline };
    }
    const canary = read('canary', toCounts);
    const baseline = read('baseline', toCounts);
    return { kind: 'counts', mode: 'cumulative', window, canary, baseline };
  }

  async #quantile(gate: LatencyGate, q: number, ctx: ObserveContext): Promise<ValueObservation> {
    const span = gate.window ?? DEFAULT_QUANTILE_WINDOW;
    const windowMs = parseDuration(span);
    const stats = await this.#stats(ctx, span);
    if (!stats.ok) {
      return { kind: 'value', window: { from: ctx.now - windowMs, to: ctx.now }, value: failed(stats.reason) };
    }

    const window = stats.body.window;
    const canary = stats.body.versions[ctx.canary];
    if (!canary) {
      const reason = `the router has served no requests to ${ctx.service} ${ctx.canary} yet`;
      return { kind: 'value', window, value: noData(reason) };
    }
    if (canary.count === 0) {
      const reason = `no requests to ${ctx.service} ${ctx.canary} in the last ${formatDuration(windowMs)}`;
      return { kind: 'value', window, value: noData(reason) };
    }
    const value = histogramQuantile(q, toHistogram(canary));
    return { kind: 'value', window, value: reading(value), samples: reading(canary.count) };
  }

  /** The canary's counts over the gate's long and short windows, from the router's own snapshots. */
  async #burn(gate: BurnRateGate, ctx: ObserveContext): Promise<BurnObservation> {
    const spans = [
      gate.longWindow ?? DEFAULT_BURN_WINDOWS.longWindow,
      gate.shortWindow ?? DEFAULT_BURN_WINDOWS.shortWindow,
    ];
    const [long, short] = await Promise.all(spans.map((span) => this.#stats(ctx, span)));
    const counts = (answer: typeof long): Reading<Counts> => {
      if (!answer!.ok) return failed(answer!.reason);
      const found = answer!.body.versions[ctx.canary];
      return found && found.requests > 0
        ? reading(toCounts(found))
        : noData(`no requests to ${ctx.service} ${ctx.canary} in the window`);
    };
    const window = long!.ok ? long!.body.window : { from: ctx.now - parseDuration(spans[0]!), to: ctx.now };
    return { kind: 'burn', window, long: counts(long), short: counts(short) };
  }

  #stats(ctx: ObserveContext, window?: string) {
    const query = window ? `?window=${window}` : '';
    const path = `/admin/services/${encodeURIComponent(ctx.service)}/stats${query}`;
    const client = { ...this.#options, timeoutMs: ctx.timeoutMs };
    return callAdmin(client, { method: 'GET', path }, StatsAnswer);
  }
}

function toCounts(stats: VersionStats): Counts {
  return { requests: stats.requests, errors: stats.errors };
}

function toHistogram(stats: VersionStats): Histogram {
  const buckets = stats.buckets.map(({ le, count }) => ({ le: le === '+Inf' ? Infinity : le, count }));
  return { buckets, count: stats.count };
}

/** An observation of the shape the gate expects, with both sides (or the value) failed for `reason`. */
function unanswered(gate: Gate, window: Window, reason: string): Observation {
  if (gate.kind === 'burn-rate') return { kind: 'burn', window, long: failed(reason), short: failed(reason) };
  if (gate.kind === 'query' || (gate.kind === 'latency' && gate.maxFraction === undefined)) {
    return { kind: 'value', window, value: failed(reason) };
  }
  const sides = { canary: failed(reason), baseline: failed(reason) };
  if (gate.kind === 'latency') return { kind: 'histogram', mode: 'cumulative', window, ...sides };
  return { kind: 'counts', mode: 'cumulative', window, ...sides };
}
