import http from 'node:http';
import { isIPv4 } from 'node:net';

export interface LoadOptions {
  /** An http URL on this machine's loopback (localhost, 127.0.0.0/8 or [::1]); anything else is refused. */
  url: string;
  /** Requests per second, started on schedule whether or not earlier ones have answered. */
  rate: number;
  headers?: Record<string, string>;
  method?: string;
  /** Stops starting requests after this long; without it, only `stop()` ends the load. */
  durationMs?: number;
  /** A request still unanswered after this long counts as failed; 10 s unless set. */
  timeoutMs?: number;
  /** Requests in flight at most; a request due beyond that is skipped and counted as such. 1,000 unless set. */
  maxInFlight?: number;
}

export interface LoadCounts {
  /** Requests started. */
  sent: number;
  /** Answers by HTTP status code. */
  byStatus: Record<string, number>;
  /** Requests that got no answer: refused connections, resets, timeouts. */
  failed: number;
  /** Requests that were due while `maxInFlight` were still waiting. */
  skipped: number;
  inFlight: number;
}

export interface Load {
  counts(): LoadCounts;
  /**
   * Sends the requests still to come to another loopback URL, on the same
   * schedule; those in flight finish where they went. A URL that could not be
   * used is refused with a LoadOptionsError naming `url`, and changes nothing.
   */
  moveTo(url: string): void;
  /** Starts no more requests, waits for those in flight, and answers the final counts. */
  stop(): Promise<LoadCounts>;
  /** Settles with the final counts once the load has ended (its duration ran out or `stop()` was called). */
  readonly done: Promise<LoadCounts>;
}

/** A load option that cannot be used; `field` names it. */
export class LoadOptionsError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'LoadOptionsError';
    this.field = field;
  }
}

const TICK_MS = 5;

/**
 * A steady, open-loop load: request i starts at `i / rate` seconds after the
 * start, however slow the answers are, so a slow version is not spared
 * traffic. Only loopback targets are accepted, which keeps the generator
 * pointed at servers on this machine.
 */
export function startLoad(options: LoadOptions): Load {
  let target = checkOptions(options);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxInFlight = options.maxInFlight ?? 1000;
  const { durationMs } = options;
  const total = durationMs === undefined ? Infinity : Math.floor((durationMs * options.rate) / 1000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const counts: LoadCounts = { sent: 0, byStatus: {}, failed: 0, skipped: 0, inFlight: 0 };
  const started = performance.now();
  let due = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let finish!: (counts: LoadCounts) => void;
  const done = new Promise<LoadCounts>((resolve) => (finish = resolve));

  function fire(): void {
    let settled = false;
    const settle = (status: number | null) => {
      if (settled) return;
      settled = true;
      counts.inFlight -= 1;
      if (status === null) counts.failed += 1;
      else counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
      if (stopped && counts.inFlight === 0) end();
    };

    counts.sent += 1;
    counts.inFlight += 1;
    const req = http.request(target, { method: options.method ?? 'GET', headers: options.headers, agent });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timed out')));
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => settle(res.statusCode ?? 0));
      res.once('close', () => settle(res.complete ? (res.statusCode ?? 0) : null));
    });
    req.once('error', () => settle(null));
    req.end();
  }

  function tick(): void {
    const elapsed = performance.now() - started;
    const goal = Math.min(total, Math.floor((elapsed * options.rate) / 1000) + 1);
    while (due < goal && !stopped) {
      due += 1;
      if (counts.inFlight >= maxInFlight) counts.skipped += 1;
      else fire();
    }
    if (due >= total) halt();
    else timer = setTimeout(tick, TICK_MS);
  }

  function halt(): void {
    stopped = true;
    if (timer) clearTimeout(timer);
    timer = null;
    if (counts.inFlight === 0) end();
  }

  function end(): void {
    agent.destroy();
    finish(snapshot(counts));
  }

  tick();
  return {
    counts: () => snapshot(counts),
    moveTo(url: string) {
      target = checkUrl(url);
    },
    stop() {
      if (!stopped) halt();
      return done;
    },
    done,
  };
}

function checkOptions(options: LoadOptions): URL {
  const url = checkUrl(options.url);
  if (!Number.isFinite(options.rate) || options.rate <= 0 || options.rate > 10_000) {
    throw new LoadOptionsError('rate', 'must be a number above 0 and at most 10000 requests per second');
  }
  const { durationMs, timeoutMs, maxInFlight } = options;
  if (durationMs !== undefined && !(Number.isFinite(durationMs) && durationMs > 0)) {
    throw new LoadOptionsError('durationMs', 'must be a positive number of milliseconds');
  }
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new LoadOptionsError('timeoutMs', 'must be a positive number of milliseconds');
  }
  if (maxInFlight !== undefined && !(Number.isInteger(maxInFlight) && maxInFlight > 0)) {
    throw new LoadOptionsError('maxInFlight', 'must be a positive integer');
  }
  if (options.method !== undefined && !/^[A-Z]{1,16}$/.test(options.method)) {
    throw new LoadOptionsError('method', 'must be an HTTP method in capitals, such as GET or POST');
  }
  checkHeaders(options.headers);
  return url;
}

function checkUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LoadOptionsError('url', `not a URL: ${String(text)}`);
  }
  if (url.protocol !== 'http:') throw new LoadOptionsError('url', `only http URLs are accepted, not ${url.protocol}`);
  if (!isLoopback(url.hostname)) {
    const message = `only loopback hosts (localhost, 127.0.0.0/8, [::1]) are accepted, not ${url.hostname}`;
    throw new LoadOptionsError('url', message);
  }
  return url;
}

function checkHeaders(headers: Record<string, string> | undefined): void {
  for (const [name, value] of Object.entries(headers ?? {})) {
    try {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
    } catch (err) {
      throw new LoadOptionsError(`headers.${name}`, (err as Error).message);
    }
  }
}

function isLoopback(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  return isIPv4(hostname) && hostname.startsWith('127.');
}

function snapshot(counts: LoadCounts): LoadCounts {
  return { ...counts, byStatus: { ...counts.byStatus } };
}
