import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/**
 * Telemetry for the demo service: its log lines pushed to Loki, its spans
 * exported to Tempo (or any OTLP/HTTP receiver). Both are optional and both
 * fail quietly: a demo whose Loki is down keeps serving, and says so through
 * `stats()`.
 *
 * What Sentra's default queries expect (see telemetry/loki-query.ts and
 * telemetry/tempo.ts): stream labels `service` and `version`; JSON lines with
 * a `level` and one `"msg":"request completed"` line per request, as
 * fastify's pino logger writes them; spans whose resource carries
 * `service.name` and `service.version`, with an error status on failure.
 */

export interface LokiPushOptions {
  /** Loki's base URL; lines go to `<url>/loki/api/v1/push`. */
  url: string;
  /** Sent as `X-Scope-OrgID` when set. */
  tenant?: string;
  /** Stream labels, for example `{ service: 'shop', version: 'v2' }`. */
  labels: Record<string, string>;
  /** How often buffered lines are sent. */
  intervalMs?: number;
  /** Lines sent in one request at most. */
  maxBatch?: number;
  /** Lines kept while Loki is unreachable; the oldest are dropped beyond this. */
  maxBuffered?: number;
  fetch?: typeof fetch;
}

export interface LokiPushStats {
  sent: number;
  pending: number;
  dropped: number;
  lastError: string | null;
}

export interface LokiPush {
  /** Takes pino's output: one or more newline-terminated lines. Usable as a pino destination. */
  write(chunk: string): boolean;
  /** Queues one line, stamped now (or at `atMs`). */
  push(line: string, atMs?: number): void;
  flush(): Promise<void>;
  stats(): LokiPushStats;
  /** Sends what is left and stops the timer. */
  close(): Promise<void>;
}

export function createLokiPush(options: LokiPushOptions): LokiPush {
  const endpoint = `${options.url.replace(/\/+$/, '')}/loki/api/v1/push`;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    ...(options.tenant ? { 'X-Scope-OrgID': options.tenant } : {}),
  };
  const maxBatch = options.maxBatch ?? 500;
  const maxBuffered = options.maxBuffered ?? 10_000;
  const doFetch = options.fetch ?? fetch;
  const queue: [string, string][] = [];
  const stats: LokiPushStats = { sent: 0, pending: 0, dropped: 0, lastError: null };
  let lastNs = 0n;
  let inFlight: Promise<void> | null = null;

  // Loki drops an entry whose timestamp and line repeat another: every entry gets its own nanosecond.
  const stamp = (atMs: number): string => {
    const ns = BigInt(Math.floor(atMs)) * 1_000_000n;
    lastNs = ns > lastNs ? ns : lastNs + 1n;
    return lastNs.toString();
  };

  const push = (line: string, atMs = Date.now()): void => {
    queue.push([stamp(atMs), line]);
    if (queue.length > maxBuffered) stats.dropped += queue.splice(0, queue.length - maxBuffered).length;
    if (queue.length >= maxBatch) void flush();
  };

  async function sendBatch(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      const body = JSON.stringify({ streams: [{ stream: options.labels, values: batch }] });
      try {
        const res = await doFetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(5_000) });
        if (!res.ok) throw new Error(`Loki answered HTTP ${res.status}: ${(await res.text()).trim()}`);
        await res.body?.cancel();
      } catch (error) {
        // Kept for the next flush; the service goes on either way.
        stats.lastError = (error as Error).message;
        return;
      }
      queue.splice(0, batch.length);
      stats.sent += batch.length;
      stats.lastError = null;
    }
  }

  function flush(): Promise<void> {
    inFlight ??= sendBatch().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  const timer = setInterval(() => void flush(), options.intervalMs ?? 1_000);
  timer.unref();

  return {
    write(chunk: string): boolean {
      for (const line of chunk.split('\n')) if (line.trim() !== '') push(line);
      return true;
    },
    push,
    flush,
    stats: () => ({ ...stats, pending: queue.length }),
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

export interface TracingOptions {
  /** The OTLP/HTTP receiver's base URL; spans go to `<url>/v1/traces`. */
  url: string;
  serviceName: string;
  serviceVersion: string;
  /** Sent as `X-Scope-OrgID` when set (Tempo's tenant). */
  tenant?: string;
  headers?: Record<string, string>;
}

export interface Tracing {
  tracer: Tracer;
  /** Exports what is buffered now. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * A tracer whose spans are batched and exported over OTLP/HTTP. Not
 * registered globally: the caller starts spans with `tracer` (and may
 * register the provider itself if it wants library instrumentation).
 */
export function createTracing(options: TracingOptions): Tracing {
  const exporter = new OTLPTraceExporter({
    url: `${options.url.replace(/\/+$/, '')}/v1/traces`,
    headers: { ...options.headers, ...(options.tenant ? { 'X-Scope-OrgID': options.tenant } : {}) },
  });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': options.serviceVersion,
    }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  return {
    tracer: provider.getTracer('sentra-demo', options.serviceVersion),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
