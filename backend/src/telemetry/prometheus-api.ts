import { formatDuration } from '../domain/duration.ts';
import { failed, reading } from '../domain/gates/observation.ts';
import type { Reading } from '../domain/gates/observation.ts';

/**
 * A thin client for Prometheus's HTTP API v1 (`/api/v1/query` and
 * `/api/v1/query_range`). It turns every answer into samples or a failed
 * reading with a reason an operator can act on; it never throws for anything
 * Prometheus or the network can do.
 *
 * Traps it handles:
 * - sample values are strings, and `"NaN"`, `"+Inf"`, `"-Inf"` are not numbers
 *   to `Number()`; they get their own parsing;
 * - errors come as a JSON envelope `{status:"error", errorType, error}` with
 *   HTTP 400, 422 or 503, but a proxy in front may answer HTML;
 * - the per-query timeout is applied twice: sent to Prometheus so it stops
 *   evaluating, and enforced here with an AbortSignal in case it never answers.
 */

export interface PrometheusOptions {
  /** Base URL of the Prometheus server, e.g. `http://prometheus:9090` or one with a path prefix. */
  url: string;
  /** Extra headers sent with every query, e.g. `authorization`. */
  headers?: Record<string, string>;
}

export type Labels = Record<string, string>;

/** One series of an instant query (or the value of a scalar). */
export interface Sample {
  labels: Labels;
  value: number;
}

export interface RangePoint {
  /** Milliseconds since the epoch. */
  at: number;
  value: number;
}

export interface RangeSeries {
  labels: Labels;
  points: RangePoint[];
}

/** Larger answers are refused rather than held in memory. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const EXCERPT_CHARS = 200;

export class PrometheusApi {
  readonly #base: URL;
  readonly #headers: Record<string, string>;

  constructor(options: PrometheusOptions) {
    const base = parseBaseUrl(options.url);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };

    // fetch refuses URLs with credentials in them: send them as a header.
    if (base.username || base.password) {
      const user = decodeURIComponent(base.username);
      const secret = decodeURIComponent(base.password);
      headers.authorization ??= `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
      base.username = '';
      base.password = '';
    }
    this.#base = base;
    this.#headers = headers;
  }

  /** Where queries go, without credentials, for messages. */
  get origin(): string {
    return this.#base.origin + this.#base.pathname.replace(/\/+$/, '');
  }

  /** An instant query evaluated at `atMs`: the vector's series, or a scalar as one series without labels. */
  async instant(query: string, atMs: number, timeoutMs: number): Promise<Reading<Sample[]>> {
    const params = { query, time: seconds(atMs), timeout: seconds(timeoutMs) };
    const data = await this.#call('/api/v1/query', params, timeoutMs);
    if (!data.ok) return data;
    return parseInstant(data.value);
  }

  /** A range query from `startMs` to `endMs` every `stepMs`. */
  async range(
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    timeoutMs: number
  ): Promise<Reading<RangeSeries[]>> {
    const params = {
      query,
      start: seconds(startMs),
      end: seconds(endMs),
      step: seconds(stepMs),
      timeout: seconds(timeoutMs),
    };
    const data = await this.#call('/api/v1/query_range', params, timeoutMs);
    if (!data.ok) return data;
    return parseRange(data.value);
  }

  async #call(path: string, params: Record<string, string>, timeoutMs: number): Promise<Reading<QueryData>> {
    const url = new URL(this.#base);
    url.pathname = url.pathname.replace(/\/+$/, '') + path;
    const answer = await post(url, this.#headers, params, timeoutMs);
    if (!answer.ok) return answer;
    return parseEnvelope(answer.value.status, answer.value.text);
  }
}

function parseBaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`prometheus url: not a URL: "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RangeError(`prometheus url: must be http or https, not ${url.protocol}`);
  }
  url.search = '';
  url.hash = '';
  return url;
}

/** Prometheus takes times and durations as (fractional) seconds. */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * POSTs a form (Prometheus accepts the same parameters as GET, and long
 * queries do not run into URL length limits). The signal covers the whole
 * exchange, body included.
 */
async function post(
  url: URL,
  headers: Record<string, string>,
  params: Record<string, string>,
  timeoutMs: number
): Promise<Reading<HttpAnswer>> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
      signal,
    });
    const text = await readCapped(response);
    if (text === null)
      return failed(`Prometheus answered HTTP ${response.status} with more than ${MAX_BODY_BYTES} bytes`);
    return reading({ status: response.status, text });
  } catch (error) {
    if (signal.aborted)
      return failed(`Prometheus did not answer within the query timeout of ${formatDuration(timeoutMs)}`);
    return failed(`could not reach Prometheus at ${url.origin}: ${describeFetchError(error)}`);
  }
}

async function readCapped(response: Response): Promise<string | null> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) {
      await response.body.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code && cause.message)
    return cause.message.includes(cause.code) ? cause.message : `${cause.code}: ${cause.message}`;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

export interface QueryData {
  resultType: 'vector' | 'scalar' | 'matrix' | 'string';
  result: unknown;
}

const RESULT_TYPES = ['vector', 'scalar', 'matrix', 'string'];

/** Reads the API's JSON envelope; anything else (HTML from a proxy, an empty body) is an error with its first words. */
export function parseEnvelope(status: number, text: string): Reading<QueryData> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return failed(`Prometheus answered HTTP ${status} with a body that is not JSON: ${excerpt(text)}`);
  }
  if (!isRecord(body) || (body.status !== 'success' && body.status !== 'error')) {
    return failed(`Prometheus answered HTTP ${status} with JSON that is not an API answer: ${excerpt(text)}`);
  }
  if (body.status === 'error' || status < 200 || status > 299) {
    const type = typeof body.errorType === 'string' ? body.errorType : 'unknown error';
    const message = typeof body.error === 'string' ? body.error : 'no message';
    return failed(`Prometheus answered HTTP ${status} (${type}): ${message}`);
  }
  const data = body.data;
  if (!isRecord(data) || typeof data.resultType !== 'string' || !RESULT_TYPES.includes(data.resultType)) {
    return failed(`Prometheus answered without a known resultType: ${excerpt(text)}`);
  }
  return reading({ resultType: data.resultType as QueryData['resultType'], result: data.result });
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return JSON.stringify(flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat);
}

function parseInstant(data: QueryData): Reading<Sample[]> {
  if (data.resultType === 'scalar') {
    const value = parsePoint(data.result);
    return value.ok ? reading([{ labels: {}, value: value.value.value }]) : value;
  }
  if (data.resultType !== 'vector')
    return failed(`expected an instant vector from Prometheus, got a ${data.resultType}`);
  if (!Array.isArray(data.result)) return failed('Prometheus answered a vector that is not a list');

  const samples: Sample[] = [];
  for (const entry of data.result) {
    const labels = parseLabels(entry);
    if (!labels) return failed('Prometheus answered a series without its labels');
    if (!('value' in entry))
      return failed(`series ${formatLabels(labels)} has no plain value (native histograms are not read)`);
    const point = parsePoint(entry.value);
    if (!point.ok) return point;
    samples.push({ labels, value: point.value.value });
  }
  return reading(samples);
}

function parseRange(data: QueryData): Reading<RangeSeries[]> {
  if (data.resultType !== 'matrix') return failed(`expected a range vector from Prometheus, got a ${data.resultType}`);
  if (!Array.isArray(data.result)) return failed('Prometheus answered a matrix that is not a list');

  const series: RangeSeries[] = [];
  for (const entry of data.result) {
    const labels = parseLabels(entry);
    if (!labels) return failed('Prometheus answered a series without its labels');
    const values = (entry as { values?: unknown }).values ?? [];
    if (!Array.isArray(values)) return failed(`series ${formatLabels(labels)} has values that are not a list`);
    const points: RangePoint[] = [];
    for (const raw of values) {
      const point = parsePoint(raw);
      if (!point.ok) return point;
      points.push(point.value);
    }
    series.push({ labels, points });
  }
  return reading(series);
}

function parseLabels(entry: unknown): Labels | null {
  if (!isRecord(entry) || !isRecord(entry.metric)) return null;
  const labels: Labels = {};
  for (const [name, value] of Object.entries(entry.metric)) {
    if (typeof value !== 'string') return null;
    labels[name] = value;
  }
  return labels;
}

/** `[<unix seconds>, "<value>"]`, the API's sample pair. */
function parsePoint(raw: unknown): Reading<RangePoint> {
  if (!Array.isArray(raw) || raw.length !== 2 || typeof raw[0] !== 'number' || typeof raw[1] !== 'string') {
    return failed(`Prometheus answered a sample that is not [time, "value"]: ${excerpt(JSON.stringify(raw) ?? '')}`);
  }
  const value = parseSampleValue(raw[1]);
  if (value === null)
    return failed(`Prometheus answered a sample value that is not a number: ${JSON.stringify(raw[1])}`);
  return reading({ at: Math.round(raw[0] * 1000), value });
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A sample value as Prometheus writes it. `Number("+Inf")` is NaN in
 * JavaScript, and `Number("")` is 0, so the special strings are read here and
 * everything else must look like a decimal number.
 */
export function parseSampleValue(text: string): number | null {
  const lower = text.trim().toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity')
    return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  return DECIMAL.test(lower) ? Number(lower) : null;
}

/** `{handler="/a", version="v2"}`, for messages. */
export function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return `{${pairs.join(', ')}}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
