import { DURATION_PATTERN, formatDuration, parseDuration } from '../domain/duration.ts';
import { failed, noData, reading } from '../domain/gates/observation.ts';
import type {
  BurnObservation,
  Counts,
  CountsObservation,
  Histogram,
  HistogramObservation,
  Observation,
  Reading,
  ValueObservation,
  Window,
} from '../domain/gates/observation.ts';
import { DEFAULT_BURN_WINDOWS } from '../domain/gates/schemas.ts';
import type {
  BurnRateGate,
  ErrorRateGate,
  ErrorRatioGate,
  Gate,
  LatencyGate,
  QueryGate,
} from '../domain/gates/schemas.ts';
import { PrometheusApi, formatLabels, parseSampleValue } from './prometheus-api.ts';
import type { PrometheusOptions, RangePoint, Sample } from './prometheus-api.ts';
import { fillTemplate } from './types.ts';
import type { ObserveContext, TelemetryProvider } from './types.ts';

export type { PrometheusOptions, RangePoint } from './prometheus-api.ts';
export { parseSampleValue } from './prometheus-api.ts';

/** The built-in router's metrics, used when a gate names no query of its own. */
export const ROUTER_REQUESTS_METRIC = 'sentra_router_requests_total';
export const ROUTER_DURATION_METRIC = 'sentra_router_request_duration_seconds';

const VERSION_SELECTOR = 'service="$service",version="$version"';

/** A quantile gate without a window of its own looks this far back. */
export const DEFAULT_QUANTILE_WINDOW = '5m';

/** A window never shrinks below this, even right after the rollout started. */
const MIN_WINDOW_MS = 1000;

/**
 * Default queries on `sentra_router_requests_total{service,version,code}`:
 * counters for instant reads, and increases over `$window` for windowed gates.
 */
export const DEFAULT_COUNT_QUERIES = {
  requests: `sum(${ROUTER_REQUESTS_METRIC}{${VERSION_SELECTOR}})`,
  errors: `sum(${ROUTER_REQUESTS_METRIC}{${VERSION_SELECTOR},code=~"5.."})`,
  windowRequests: `sum(increase(${ROUTER_REQUESTS_METRIC}{${VERSION_SELECTOR}}[$window]))`,
  windowErrors: `sum(increase(${ROUTER_REQUESTS_METRIC}{${VERSION_SELECTOR},code=~"5.."}[$window]))`,
} as const;

type CountGate = ErrorRateGate | ErrorRatioGate | BurnRateGate;

/**
 * Answers gates from Prometheus's HTTP API v1.
 *
 * - Error-rate and error-ratio gates read counts per version: cumulative
 *   counters at `now - lag`, or, with a `window`, the counts within that
 *   window ending at `now - lag`.
 * - Latency gates read histogram buckets the same way, or a quantile over the
 *   window.
 * - Query gates read one value at `now - lag`.
 *
 * A query Sentra judges must answer exactly one series per version: none is
 * no data, more than one is an error (never the first one, never an average).
 */
export class PrometheusProvider implements TelemetryProvider {
  readonly name = 'prometheus' as const;
  readonly #api: PrometheusApi;

  constructor(options: PrometheusOptions) {
    this.#api = new PrometheusApi(options);
  }

  async observe(gate: Gate, ctx: ObserveContext): Promise<Observation> {
    const scope = new Scope(this.#api, gate, ctx);
    try {
      if (gate.kind === 'error-rate' || gate.kind === 'error-ratio') return await observeCounts(gate, scope);
      if (gate.kind === 'latency') return await observeLatency(gate, scope);
      if (gate.kind === 'burn-rate') return await observeBurn(gate, scope);
      if (gate.kind === 'query') return await observeQuery(gate, scope);
      return failedObservation(gate, scope.instant(), `the prometheus provider cannot answer ${gate.kind} gates`);
    } catch (error) {
      // Only a defect in Sentra gets here; the rollout holds on an error instead of crashing its tick.
      const message = error instanceof Error ? error.message : String(error);
      return failedObservation(gate, scope.instant(), `prometheus provider failed unexpectedly: ${message}`);
    }
  }

  /** Points per version over a past time range; see `queryRange`. */
  queryRange(request: RangeRequest): Promise<Record<string, Reading<RangePoint[]>>> {
    return queryRangeWith(this.#api, request);
  }
}

/** What every query of one gate on one tick shares: where and when it is evaluated. */
class Scope {
  readonly api: PrometheusApi;
  readonly gate: Gate;
  readonly ctx: ObserveContext;
  /** Evaluation time: telemetry newer than `now - lag` is still arriving. */
  readonly at: number;

  constructor(api: PrometheusApi, gate: Gate, ctx: ObserveContext) {
    this.api = api;
    this.gate = gate;
    this.ctx = ctx;
    this.at = ctx.now - ctx.lagMs;
  }

  instant(): Window {
    return { from: this.at, to: this.at };
  }

  /** The gate's window ending at `at`, reaching no further back than the rollout's start. */
  window(duration: string): Window {
    const wanted = parseDuration(duration);
    const sinceStart = Math.floor((this.at - this.ctx.since) / 1000) * 1000;
    const length = Math.max(MIN_WINDOW_MS, Math.min(wanted, sinceStart));
    return { from: this.at - length, to: this.at };
  }

  /** Evaluates a template for one version at `at` (or another time). */
  query(template: string, version: string, window: Window | null, at = this.at): Promise<Reading<Sample[]>> {
    const values: Record<string, string | number> = {
      service: promString(this.ctx.service),
      version: promString(version),
    };
    if (window) values.window = formatDuration(window.to - window.from);
    const threshold = thresholdOf(this.gate);
    if (threshold !== null) values.threshold = threshold;
    return this.api.instant(fillTemplate(template, values), at, this.ctx.timeoutMs);
  }
}

function thresholdOf(gate: Gate): number | null {
  if (gate.kind === 'error-ratio') return gate.max;
  if (gate.kind === 'latency' || gate.kind === 'query') return gate.threshold;
  return null;
}

/** Escapes a value for a PromQL double-quoted string, so a version cannot break out of its label matcher. */
function promString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The single series a version must answer: none is no data, several is an error. */
function oneSeries(samples: Sample[], version: string, what: string): Reading<number> {
  if (samples.length === 0) return noData(`no series for version ${version} (${what} query)`);
  if (samples.length > 1) {
    const shown = samples.slice(0, 3).map((s) => formatLabels(s.labels));
    const more = samples.length > 3 ? ', …' : '';
    return failed(
      `expected 1 series for ${version}, got ${samples.length} (${what} query: ${shown.join(', ')}${more})`
    );
  }
  return reading(samples[0]!.value);
}

// ---------------------------------------------------------------------------
// Error-rate and error-ratio gates

interface CountTemplates {
  requests: string;
  errors: string;
}

async function observeCounts(gate: CountGate, scope: Scope): Promise<CountsObservation> {
  const duration = gate.kind === 'error-ratio' ? gate.window : undefined;
  const { baseline, canary } = scope.ctx;

  if (duration === undefined) {
    const templates = gate.query ?? DEFAULT_COUNT_QUERIES;
    const [b, c] = await Promise.all([
      cumulativeCounts(scope, templates, baseline),
      cumulativeCounts(scope, templates, canary),
    ]);
    return {
      kind: 'counts',
      mode: 'cumulative',
      window: { from: scope.ctx.since, to: scope.at },
      baseline: b,
      canary: c,
    };
  }

  const window = scope.window(duration);
  const [b, c, fresh] = await Promise.all([
    windowCounts(gate, scope, baseline, window),
    windowCounts(gate, scope, canary, window),
    canaryIsFresh(scope, counterTemplate(gate)),
  ]);
  return { kind: 'counts', mode: 'window', window, baseline: b, canary: withFreshness(c, fresh, window) };
}

/** The canary's counts over the gate's long and short windows, both ending at now minus the lag. */
async function observeBurn(gate: BurnRateGate, scope: Scope): Promise<BurnObservation> {
  const long = scope.window(gate.longWindow ?? DEFAULT_BURN_WINDOWS.longWindow);
  const short = scope.window(gate.shortWindow ?? DEFAULT_BURN_WINDOWS.shortWindow);
  const [longCounts, shortCounts] = await Promise.all([
    windowCounts(gate, scope, scope.ctx.canary, long),
    windowCounts(gate, scope, scope.ctx.canary, short),
  ]);
  return { kind: 'burn', window: long, long: longCounts, short: shortCounts };
}

/** Counters at `at`. A version with requests but no error series yet has zero errors. */
async function cumulativeCounts(
  scope: Scope,
  templates: CountTemplates,
  version: string,
  at = scope.at
): Promise<Reading<Counts>> {
  const [requests, errors] = await Promise.all([
    scope.query(templates.requests, version, null, at),
    scope.query(templates.errors, version, null, at),
  ]);
  return toCounts(requests, errors, version);
}

function toCounts(
  requestsAnswer: Reading<Sample[]>,
  errorsAnswer: Reading<Sample[]>,
  version: string
): Reading<Counts> {
  if (!requestsAnswer.ok) return requestsAnswer;
  if (!errorsAnswer.ok) return errorsAnswer;
  const requests = oneSeries(requestsAnswer.value, version, 'requests');
  if (!requests.ok) return requests;
  const errors = errorsAnswer.value.length === 0 ? reading(0) : oneSeries(errorsAnswer.value, version, 'errors');
  if (!errors.ok) return errors;
  return checkCounts(requests.value, errors.value, version);
}

function checkCounts(requests: number, errors: number, version: string): Reading<Counts> {
  if (Number.isNaN(requests) || Number.isNaN(errors)) {
    return noData(`counts for version ${version} are NaN (requests ${requests}, errors ${errors})`);
  }
  for (const [what, value] of [
    ['requests', requests],
    ['errors', errors],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) return failed(`${what} for version ${version} is not a count: ${value}`);
  }
  // An increase() is extrapolated per query; errors never exceed requests.
  return reading({ requests, errors: Math.min(errors, requests) });
}

/**
 * Counts within the window. Templates that use `$window` (the defaults do)
 * are evaluated once; counter templates without it are read at both ends of
 * the window and subtracted (a counter that went down was reset).
 */
async function windowCounts(gate: CountGate, scope: Scope, version: string, window: Window): Promise<Reading<Counts>> {
  const user = gate.query;
  if (!user) {
    const templates = { requests: DEFAULT_COUNT_QUERIES.windowRequests, errors: DEFAULT_COUNT_QUERIES.windowErrors };
    return windowedCounts(scope, templates, version, window);
  }
  const windowed = [user.requests, user.errors].map(usesWindow);
  if (windowed[0] !== windowed[1]) return failed('the requests and errors queries must both use $window, or neither');
  if (windowed[0]) return windowedCounts(scope, user, version, window);

  const [end, start] = await Promise.all([
    cumulativeCounts(scope, user, version, window.to),
    cumulativeCounts(scope, user, version, window.from),
  ]);
  if (!end.ok) return end;
  if (!start.ok && start.kind === 'error') return start;
  // A series that did not exist yet when the window opened started from zero.
  const from = start.ok ? start.value : { requests: 0, errors: 0 };
  return reading(counterIncrease(from, end.value));
}

async function windowedCounts(
  scope: Scope,
  templates: CountTemplates,
  version: string,
  window: Window
): Promise<Reading<Counts>> {
  const [requests, errors] = await Promise.all([
    scope.query(templates.requests, version, window),
    scope.query(templates.errors, version, window),
  ]);
  return toCounts(requests, errors, version);
}

function counterIncrease(before: Counts, after: Counts): Counts {
  const requests = after.requests >= before.requests ? after.requests - before.requests : after.requests;
  const errors = after.errors >= before.errors ? after.errors - before.errors : after.errors;
  return { requests, errors: Math.min(errors, requests) };
}

function usesWindow(template: string): boolean {
  return /\$window\b/.test(template);
}

/** The canary's cumulative requests counter, for the freshness check; null when the gate only has windowed queries. */
function counterTemplate(gate: CountGate): string | null {
  if (!gate.query) return DEFAULT_COUNT_QUERIES.requests;
  return usesWindow(gate.query.requests) ? null : gate.query.requests;
}

/**
 * Whether the canary served any request since the previous tick's window
 * ended. A sliding window still holds requests long after traffic stopped;
 * without this check that old evidence would carry the rollout forward.
 * The counter is read at both times (an instant read finds the last scrape,
 * whatever the scrape interval); null when there is nothing to compare.
 *
 * When ticks come more often than scrapes, a tick between two scrapes sees no
 * new requests and holds; the next tick after a scrape judges again.
 */
async function canaryIsFresh(scope: Scope, template: string | null): Promise<Reading<boolean> | null> {
  const previous = scope.ctx.windowEnd;
  if (template === null || previous === null || previous >= scope.at) return null;
  const { canary } = scope.ctx;
  const [now, before] = await Promise.all([
    scope.query(template, canary, null),
    scope.query(template, canary, null, previous),
  ]);
  if (!now.ok) return now;
  if (!before.ok) return before;
  const current = oneSeries(now.value, canary, 'requests counter');
  if (!current.ok) return current.kind === 'error' ? current : null;
  if (before.value.length === 0) return reading(true);
  const earlier = oneSeries(before.value, canary, 'requests counter');
  if (!earlier.ok) return earlier.kind === 'error' ? earlier : null;
  return reading(current.value !== earlier.value);
}

function withFreshness<T extends Counts | Histogram>(
  canary: Reading<T>,
  fresh: Reading<boolean> | null,
  window: Window
): Reading<T> {
  if (fresh === null || !canary.ok) return canary;
  if (!fresh.ok) return fresh;
  if (fresh.value) return canary;
  const total = 'requests' in canary.value ? canary.value.requests : canary.value.count;
  const span = formatDuration(window.to - window.from);
  return noData(`no new canary requests since the last tick (${round(total)} in the last ${span}, all older)`);
}

function round(value: number): number {
  return Number(value.toPrecision(6));
}

// ---------------------------------------------------------------------------
// Latency gates

interface HistogramSource {
  metric: string;
  selector: string;
}

/** The gate's histogram (without `_bucket`) and label selector, braces optional; the router's by default. */
function histogramOf(gate: LatencyGate): HistogramSource {
  const metric = gate.query?.histogram ?? ROUTER_DURATION_METRIC;
  const given = gate.query?.selector?.trim().replace(/^\{/, '').replace(/\}$/, '').trim();
  return { metric, selector: given || VERSION_SELECTOR };
}

export function latencyQueries(gate: LatencyGate): {
  buckets: string;
  windowBuckets: string;
  count: string;
  quantile: string;
  samples: string;
} {
  const { metric, selector } = histogramOf(gate);
  const bucket = `${metric}_bucket{${selector}}`;
  return {
    buckets: `sum by (le) (${bucket})`,
    windowBuckets: `sum by (le) (increase(${bucket}[$window]))`,
    count: `sum(${metric}_count{${selector}})`,
    quantile: `histogram_quantile(${gate.quantile ?? 0.99}, sum by (le) (rate(${bucket}[$window])))`,
    samples: `sum(increase(${metric}_count{${selector}}[$window]))`,
  };
}

async function observeLatency(gate: LatencyGate, scope: Scope): Promise<Observation> {
  if (gate.quantile !== undefined) return observeQuantile(gate, scope);
  const queries = latencyQueries(gate);
  const { baseline, canary } = scope.ctx;

  if (gate.window === undefined) {
    const [b, c] = await Promise.all([
      readHistogram(scope, queries.buckets, baseline, null),
      readHistogram(scope, queries.buckets, canary, null),
    ]);
    return histogramObservation('cumulative', { from: scope.ctx.since, to: scope.at }, b, c);
  }
  const window = scope.window(gate.window);
  const [b, c, fresh] = await Promise.all([
    readHistogram(scope, queries.windowBuckets, baseline, window),
    readHistogram(scope, queries.windowBuckets, canary, window),
    canaryIsFresh(scope, queries.count),
  ]);
  return histogramObservation('window', window, b, withFreshness(c, fresh, window));
}

function histogramObservation(
  mode: HistogramObservation['mode'],
  window: Window,
  baseline: Reading<Histogram>,
  canary: Reading<Histogram>
): HistogramObservation {
  return { kind: 'histogram', mode, window, baseline, canary };
}

async function readHistogram(
  scope: Scope,
  template: string,
  version: string,
  window: Window | null
): Promise<Reading<Histogram>> {
  const answer = await scope.query(template, version, window);
  if (!answer.ok) return answer;
  return toHistogram(answer.value, version);
}

/** One series per `le`, any order; the `+Inf` bucket is the total. */
export function toHistogram(samples: Sample[], version: string): Reading<Histogram> {
  if (samples.length === 0) return noData(`no series for version ${version} (histogram buckets query)`);
  const buckets: Histogram['buckets'] = [];
  for (const sample of samples) {
    const le = sample.labels.le === undefined ? null : parseSampleValue(sample.labels.le);
    if (le === null || Number.isNaN(le))
      return failed(`histogram bucket for ${version} without a valid le label: ${formatLabels(sample.labels)}`);
    if (buckets.some((b) => b.le === le))
      return failed(`expected 1 series per bucket for ${version}, got several with le="${sample.labels.le}"`);
    if (Number.isNaN(sample.value))
      return noData(`histogram bucket le="${sample.labels.le}" for version ${version} is NaN`);
    if (!Number.isFinite(sample.value) || sample.value < 0)
      return failed(`histogram bucket le="${sample.labels.le}" for version ${version} is not a count: ${sample.value}`);
    buckets.push({ le, count: sample.value });
  }
  buckets.sort((a, b) => a.le - b.le);
  const last = buckets[buckets.length - 1]!;
  if (last.le !== Number.POSITIVE_INFINITY) return failed(`histogram for version ${version} has no +Inf bucket`);
  return reading({ buckets, count: last.count });
}

/** The canary's quantile over the window, handed to the domain as is: NaN (no traffic) and +Inf included. */
async function observeQuantile(gate: LatencyGate, scope: Scope): Promise<ValueObservation> {
  const window = scope.window(gate.window ?? DEFAULT_QUANTILE_WINDOW);
  const queries = latencyQueries(gate);
  const { canary } = scope.ctx;
  const [value, samples] = await Promise.all([
    scope.query(queries.quantile, canary, window),
    gate.minSamples === undefined ? null : scope.query(queries.samples, canary, window),
  ]);
  return valueObservation(window, value, samples, canary);
}

// ---------------------------------------------------------------------------
// Query gates

async function observeQuery(gate: QueryGate, scope: Scope): Promise<ValueObservation> {
  const { canary } = scope.ctx;
  const [value, samples] = await Promise.all([
    scope.query(gate.query, canary, null),
    gate.samplesQuery === undefined ? null : scope.query(gate.samplesQuery, canary, null),
  ]);
  return valueObservation(scope.instant(), value, samples, canary);
}

function valueObservation(
  window: Window,
  value: Reading<Sample[]>,
  samples: Reading<Sample[]> | null,
  version: string
): ValueObservation {
  const observation: ValueObservation = {
    kind: 'value',
    window,
    value: value.ok ? oneSeries(value.value, version, 'value') : value,
  };
  if (samples === null) return observation;
  const count = samples.ok ? oneSeries(samples.value, version, 'samples') : samples;
  const checked =
    count.ok && Number.isNaN(count.value) ? noData(`the samples query for version ${version} returned NaN`) : count;
  return { ...observation, samples: checked };
}

function failedObservation(gate: Gate, window: Window, reason: string): Observation {
  const problem = failed(reason);
  if (gate.kind === 'new-errors') return { kind: 'templates', window, canary: problem, baseline: problem };
  if (gate.kind === 'query' || (gate.kind === 'latency' && gate.quantile !== undefined)) {
    return { kind: 'value', window, value: problem };
  }
  if (gate.kind === 'latency') return histogramObservation('cumulative', window, problem, problem);
  return { kind: 'counts', mode: 'cumulative', window, baseline: problem, canary: problem };
}

// ---------------------------------------------------------------------------
// Range queries, for replaying a past time range

export interface RangeRequest {
  /** A query template; `$version` takes each version in turn, `$window` the step unless `window` is given. */
  query: string;
  service: string;
  versions: string[];
  /** Milliseconds since the epoch. */
  start: number;
  end: number;
  stepMs: number;
  /** Points newer than `now - lagMs` are still being filled and are dropped. */
  now: number;
  lagMs: number;
  timeoutMs: number;
  window?: string;
}

/**
 * Points per version over a past time range. Each version's query must
 * answer one series, as for a gate. The range ends at `now - lagMs` at the
 * latest, and any point newer than that is dropped: the newest bucket is
 * still being filled and would read low.
 */
export async function queryRange(
  options: PrometheusOptions,
  request: RangeRequest
): Promise<Record<string, Reading<RangePoint[]>>> {
  return queryRangeWith(new PrometheusApi(options), request);
}

async function queryRangeWith(
  api: PrometheusApi,
  request: RangeRequest
): Promise<Record<string, Reading<RangePoint[]>>> {
  const problem = rangeProblem(request);
  const cutoff = request.now - request.lagMs;
  const end = Math.min(request.end, cutoff);
  const answers = await Promise.all(
    request.versions.map(async (version): Promise<[string, Reading<RangePoint[]>]> => {
      if (problem) return [version, failed(problem)];
      if (end < request.start) return [version, noData(`nothing to read: the range starts after now - lag`)];
      const query = fillTemplate(request.query, {
        service: promString(request.service),
        version: promString(version),
        window: request.window ?? formatDuration(request.stepMs),
      });
      const answer = await api.range(query, request.start, end, request.stepMs, request.timeoutMs);
      if (!answer.ok) return [version, answer];
      if (answer.value.length === 0) return [version, noData(`no series for version ${version} (range query)`)];
      if (answer.value.length > 1)
        return [version, failed(`expected 1 series for ${version}, got ${answer.value.length} (range query)`)];
      return [version, reading(answer.value[0]!.points.filter((p) => p.at <= cutoff))];
    })
  );
  return Object.fromEntries(answers);
}

function rangeProblem(request: RangeRequest): string | null {
  for (const field of ['start', 'end', 'stepMs', 'now', 'lagMs', 'timeoutMs'] as const) {
    if (!Number.isFinite(request[field])) return `range query: ${field} must be a finite number`;
  }
  if (request.stepMs <= 0) return 'range query: stepMs must be positive';
  if (request.end < request.start) return 'range query: end must not be before start';
  if (request.window !== undefined && !new RegExp(DURATION_PATTERN).test(request.window))
    return `range query: window is not a duration: "${request.window}"`;
  return null;
}
