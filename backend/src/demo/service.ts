import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Span } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { pino } from 'pino';
import type { DestinationStream, Level, Logger } from 'pino';
import Type from 'typebox';

import type { FieldError, Validated } from '../domain/policy.ts';
import { schemaErrors } from '../domain/policy.ts';
import { VERSION_PATTERN } from '../router/schemas.ts';
import type { LokiPush, Tracing } from './telemetry-export.ts';
import { createLokiPush, createTracing } from './telemetry-export.ts';
import { DemoMetrics } from './service-metrics.ts';

const Ratio = Type.Number({ minimum: 0, maximum: 1 });
const Millis = Type.Number({ minimum: 0, maximum: 60_000 });

/** The faults a demo service can be told to show, changeable while it runs. */
export const DemoKnobs = Type.Object(
  {
    /** Share of requests answered with a 500. */
    errorRatio: Ratio,
    latencyMs: Millis,
    /** Up to this much extra latency, drawn evenly, on top of `latencyMs`. */
    latencyJitterMs: Millis,
    /** Share of requests that log an exception with a stack, even when they answer 200. */
    errorLogRatio: Ratio,
    /** The exception's message; each `{id}` in it becomes a new five-digit number on every line. */
    errorLogMessage: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false }
);
export type DemoKnobs = Type.Static<typeof DemoKnobs>;

const KnobChanges = Type.Partial(DemoKnobs, { additionalProperties: false });

export const DEFAULT_ERROR_LOG_MESSAGE = 'connection reset while reading from the orders database';

export interface DemoServiceOptions extends Partial<DemoKnobs> {
  version: string;
  /** The service name written on every log line; `demo` unless set. */
  service?: string;
  /** 0 or unset picks a free port. */
  port?: number;
  /** 127.0.0.1 unless set. */
  host?: string;
  /** Where the JSON log lines go; standard output unless set. */
  logDestination?: DestinationStream;
  /** `info` unless set; every answered request is logged at `debug` (`"msg":"request completed"`). */
  logLevel?: Level | 'silent';
  /**
   * Also pushes every log line, requests included, to Loki under the stream
   * labels `service` and `version`, whatever `logLevel` says.
   */
  loki?: { url: string; tenant?: string; intervalMs?: number };
  /** Exports one span per request over OTLP/HTTP (to Tempo), with an error status on a 5xx answer. */
  tracing?: { url: string; tenant?: string };
  /** Source of randomness for the fault knobs, in [0, 1). */
  random?: () => number;
}

export interface DemoService {
  readonly url: string;
  readonly port: number;
  readonly version: string;
  knobs(): DemoKnobs;
  /** Ordinary requests answered so far, whatever their status, as `GET /metrics` counts them. */
  served(): Promise<number>;
  /** Ordinary requests that have arrived so far, answered yet or not, as `GET /metrics` counts them. */
  received(): Promise<number>;
  /** Changes some knobs; bad input changes nothing and names the field. */
  setKnobs(changes: unknown): Validated<DemoKnobs>;
  close(): Promise<void>;
}

/**
 * A small HTTP service that answers JSON and misbehaves on demand, to give
 * Sentra something real to roll out. `GET /healthz` is never faulty;
 * `GET /knobs` and `PUT /knobs` read and change the faults; `GET /metrics`
 * answers its own Prometheus metrics (requests by status code, latency);
 * every other path is a request that the knobs act on, and is counted.
 */
export async function startDemoService(options: DemoServiceOptions): Promise<DemoService> {
  let knobs = initialKnobs(options);
  const random = options.random ?? Math.random;
  const exporters = startExporters(options);
  const logger = demoLogger(options, exporters.loki);

  function setKnobs(changes: unknown): Validated<DemoKnobs> {
    const errors = schemaErrors(KnobChanges, changes, '');
    if (errors.length > 0) return { ok: false, errors };
    knobs = { ...knobs, ...(changes as Partial<DemoKnobs>) };
    logger.info({ knobs }, 'knobs changed');
    return { ok: true, value: knobs };
  }

  const metrics = new DemoMetrics(options.service ?? 'demo', options.version);
  const work = { version: options.version, logger, random, knobs: () => knobs, tracing: exporters.tracing, metrics };
  const server = http.createServer((req, res) => {
    route(req, res, work, setKnobs).catch((err: unknown) => {
      logger.error({ err }, 'demo handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  }).catch(async (error: unknown) => {
    await exporters.close();
    throw error;
  });

  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    version: options.version,
    knobs: () => knobs,
    served: () => metrics.requests(),
    received: () => metrics.received(),
    setKnobs,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // After the server: the last requests' lines and spans are sent too.
      await exporters.close();
    },
  };
}

interface Exporters {
  loki: LokiPush | null;
  tracing: Tracing | null;
  close(): Promise<void>;
}

function startExporters(options: DemoServiceOptions): Exporters {
  const service = options.service ?? 'demo';
  const { loki: lokiOptions, tracing: tracingOptions } = options;
  const loki = lokiOptions ? createLokiPush({ ...lokiOptions, labels: { service, version: options.version } }) : null;
  const tracing = tracingOptions
    ? createTracing({ ...tracingOptions, serviceName: service, serviceVersion: options.version })
    : null;
  return {
    loki,
    tracing,
    close: async () => {
      await Promise.all([loki?.close(), tracing?.shutdown()]);
    },
  };
}

/**
 * The service's logger. Without Loki it writes to `logDestination` at
 * `logLevel`, as it always has. With Loki every line from `debug` up also
 * goes there, so that each request has its `request completed` line in Loki
 * even when the local output is quieter or silent.
 */
function demoLogger(options: DemoServiceOptions, loki: LokiPush | null): Logger {
  const level = options.logLevel ?? 'info';
  const base = { service: options.service ?? 'demo', version: options.version };
  if (!loki) return pino({ level, base }, options.logDestination ?? pino.destination(1));

  const streams: pino.StreamEntry[] = [{ level: 'debug', stream: loki }];
  if (level !== 'silent') streams.push({ level, stream: options.logDestination ?? pino.destination(1) });
  const lowest = level !== 'silent' && pino.levels.values[level]! < pino.levels.values.debug! ? level : 'debug';
  return pino({ level: lowest, base }, pino.multistream(streams));
}

function initialKnobs(options: DemoServiceOptions): DemoKnobs {
  if (typeof options.version !== 'string' || !new RegExp(VERSION_PATTERN).test(options.version)) {
    throw new TypeError(`version: must match ${VERSION_PATTERN}`);
  }
  const knobs: DemoKnobs = {
    errorRatio: options.errorRatio ?? 0,
    latencyMs: options.latencyMs ?? 0,
    latencyJitterMs: options.latencyJitterMs ?? 0,
    errorLogRatio: options.errorLogRatio ?? 0,
    errorLogMessage: options.errorLogMessage ?? DEFAULT_ERROR_LOG_MESSAGE,
  };
  const errors = schemaErrors(DemoKnobs, knobs, '');
  if (errors.length > 0) throw new TypeError(describe(errors));
  return knobs;
}

interface Work {
  version: string;
  logger: Logger;
  random: () => number;
  knobs: () => DemoKnobs;
  tracing: Tracing | null;
  metrics: DemoMetrics;
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  work: Work,
  setKnobs: (changes: unknown) => Validated<DemoKnobs>
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://demo').pathname;
  if (path === '/healthz') return void sendJson(res, 200, { ok: true, version: work.version });
  if (path === '/metrics') return exposeMetrics(req, res, work.metrics);
  if (path !== '/knobs') return serve(req, res, work, path);

  if (req.method === 'GET') return void sendJson(res, 200, work.knobs());
  if (req.method !== 'PUT') return void sendJson(res, 405, { error: 'use GET or PUT on /knobs' });
  const body = await readJson(req);
  if (!body.ok) return void sendJson(res, 400, { error: body.message, fields: [] });
  const result = setKnobs(body.value);
  if (!result.ok) return void sendJson(res, 400, { error: describe(result.errors), fields: result.errors });
  sendJson(res, 200, result.value);
}

async function exposeMetrics(req: IncomingMessage, res: ServerResponse, metrics: DemoMetrics): Promise<void> {
  req.resume();
  if (req.method !== 'GET' && req.method !== 'HEAD') return void sendJson(res, 405, { error: 'use GET on /metrics' });
  const { contentType, body } = await metrics.expose();
  res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** One ordinary request, delayed, failed and logged as the knobs say, and counted once answered. */
async function serve(req: IncomingMessage, res: ServerResponse, work: Work, path: string): Promise<void> {
  req.resume();
  const started = performance.now();
  work.metrics.arrived();
  // Counted when the whole answer is handed over, whichever path sent it (the handler's own 500 included).
  res.once('finish', () => work.metrics.record(res.statusCode, (performance.now() - started) / 1000));
  followAnswer(req, res, work, path);
  const knobs = work.knobs();
  const delayMs = knobs.latencyMs + work.random() * knobs.latencyJitterMs;
  if (delayMs > 0) await sleep(delayMs);

  const fails = work.random() < knobs.errorRatio;
  const raises = work.random() < knobs.errorLogRatio;
  const fields = { method: req.method, path, delayMs: Math.round(delayMs) };
  if (raises) {
    const err = new DemoFault(withIds(knobs.errorLogMessage, work.random));
    work.logger.error({ ...fields, err }, 'request raised an exception');
  }

  if (fails) {
    work.logger.error({ ...fields, status: 500 }, 'request failed');
    return void sendJson(res, 500, { error: 'injected failure', version: work.version });
  }
  sendJson(res, 200, { ok: true, version: work.version, path, delayMs: fields.delayMs });
}

/**
 * Once the answer is over, whichever way: one `request completed` line, the
 * line Sentra's Loki queries count requests by, and the request's span ended
 * with its status (an error status for a 5xx).
 */
function followAnswer(req: IncomingMessage, res: ServerResponse, work: Work, path: string): void {
  const started = performance.now();
  const method = req.method ?? 'GET';
  const attributes = { 'http.request.method': method, 'url.path': path };
  const span: Span | null =
    work.tracing?.tracer.startSpan(`${method} ${path}`, { kind: SpanKind.SERVER, attributes }) ?? null;
  res.once('close', () => {
    const status = res.statusCode;
    const aborted = !res.writableFinished;
    const responseTimeMs = Math.round(performance.now() - started);
    work.logger.debug({ method, path, status, responseTimeMs, ...(aborted ? { aborted } : {}) }, 'request completed');
    if (!span) return;
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
    span.end();
  });
}

/** The message with each `{id}` replaced by a five-digit number of its own. */
function withIds(message: string, random: () => number): string {
  return message.replaceAll('{id}', () => String(10_000 + Math.floor(random() * 90_000)));
}

async function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16 * 1024) return { ok: false, message: 'body is larger than 16 KiB' };
    chunks.push(chunk as Buffer);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false, message: 'body is not valid JSON' };
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function describe(errors: FieldError[]): string {
  return errors.map((e) => `${e.field || '(body)'} ${e.message}`).join('; ');
}

/** The exception a demo request logs when `errorLogRatio` picks it. */
class DemoFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoFault';
  }
}
