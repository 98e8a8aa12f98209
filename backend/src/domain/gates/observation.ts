import type { TemplateCount } from '../logs/templates.ts';

/**
 * What a telemetry provider hands the domain: readings per version, each one
 * either a real value or a reason why there is none. Providers turn their API's
 * quirks into these shapes; the domain never sees HTTP.
 */

/** A value, or why there is none. `no-data` and `error` read differently on purpose. */
export type Reading<T> =
  | { ok: true; value: T }
  | { ok: false; kind: 'no-data'; reason: string }
  | { ok: false; kind: 'error'; reason: string };

export function noData(reason: string): Reading<never> {
  return { ok: false, kind: 'no-data', reason };
}

export function failed(reason: string): Reading<never> {
  return { ok: false, kind: 'error', reason };
}

export function reading<T>(value: T): Reading<T> {
  return { ok: true, value };
}

export interface Counts {
  requests: number;
  errors: number;
}

/** Cumulative histogram buckets (`le` ascending, the last one +Inf) and the total count. */
export interface Histogram {
  buckets: { le: number; count: number }[];
  count: number;
}

/**
 * How a reading relates to time:
 * - `cumulative`: a counter since the process started (Prometheus counters, the router's counters);
 *   the domain turns consecutive readings into increments and survives counter resets;
 * - `increment`: the new events in `[window.from, window.to)`, which starts where the last tick's window ended;
 * - `window`: everything in a sliding window ending now; judged as is, never accumulated.
 */
export type ReadingMode = 'cumulative' | 'increment' | 'window';

export interface Window {
  from: number;
  to: number;
}

export interface CountsObservation {
  kind: 'counts';
  mode: ReadingMode;
  window: Window;
  canary: Reading<Counts>;
  baseline: Reading<Counts>;
}

export interface HistogramObservation {
  kind: 'histogram';
  mode: ReadingMode;
  window: Window;
  canary: Reading<Histogram>;
  baseline: Reading<Histogram>;
}

/**
 * One number for the canary over `window`, such as a query's value or a
 * latency quantile; for gates that compare (`compare: true`), the baseline's
 * number over the same window too.
 */
export interface ValueObservation {
  kind: 'value';
  window: Window;
  value: Reading<number>;
  /** How many samples stand behind the value, when the gate asks for a minimum. */
  samples?: Reading<number>;
  baseline?: Reading<number>;
}

/** The canary's counts over a long and a short sliding window, both ending at `window.to` (for burn-rate gates). */
export interface BurnObservation {
  kind: 'burn';
  /** The long window. */
  window: Window;
  long: Reading<Counts>;
  short: Reading<Counts>;
}

/**
 * Error log lines by template, for `new-errors` gates: the new lines in
 * `[window.from, window.to)` (the baseline's first window may reach further
 * back, see the gate's `baselineLookback`). A version that wrote no log line
 * at all in the window reads `no-data`; one that wrote lines but no error
 * line reads an empty list.
 */
export interface TemplatesObservation {
  kind: 'templates';
  window: Window;
  canary: Reading<TemplateCount[]>;
  baseline: Reading<TemplateCount[]>;
}

export type Observation =
  CountsObservation | HistogramObservation | ValueObservation | BurnObservation | TemplatesObservation;
