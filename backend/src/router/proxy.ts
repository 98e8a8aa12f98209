import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import https from 'node:https';

import type { Logger } from 'pino';

import type { RouterErrorCode } from './errors.ts';
import { ROUTER_ERRORS } from './errors.ts';
import type { RouterStats } from './stats.ts';
import type { RoutingTable } from './table.ts';

/** Headers that belong to one connection and are never passed on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The version that served an answer, for clients and tests that want to know. */
export const VERSION_HEADER = 'x-sentra-version';

export interface ProxyOptions {
  table: RoutingTable;
  stats: RouterStats;
  logger: Logger;
  /** An upstream that stays silent this long is given up on with a 504. */
  upstreamTimeoutMs: number;
}

export interface Proxy {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Drops the pooled upstream connections. */
  close(): void;
}

/** How one request ended, as far as the proxy can tell before the answer closes. */
interface Flow {
  /** The upstream broke off after the answer had started. */
  broken: boolean;
}

/**
 * Forwards each request to the version the routing table picks and counts it
 * for that version once its answer closes. Upgrade requests (WebSocket) are
 * not proxied.
 */
export function createProxy(options: ProxyOptions): Proxy {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64 }),
  };

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    const { table, stats } = options;
    const service = table.serviceFor(req.headers.host);
    if (!service) {
      const message = `no service matches host ${req.headers.host ?? '(none)'}`;
      return answerError(res, 'SENTRA_ROUTER_UNKNOWN_SERVICE', message);
    }
    const choice = table.choose(service, req.headers);
    if (!choice.ok) return answerError(res, choice.code, choice.message);

    const flow: Flow = { broken: false };
    res.setHeader(VERSION_HEADER, choice.version);
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const { code, error } = outcome(res, flow);
      stats.record(service, choice.version, code, seconds, error);
    });

    if (!choice.upstream) {
      const message = `version ${choice.version} of ${service} has no upstream registered`;
      return answerError(res, 'SENTRA_ROUTER_NO_UPSTREAM', message);
    }
    forward(req, res, choice.upstream, flow, choice.version);
  }

  function forward(req: IncomingMessage, res: ServerResponse, upstream: URL, flow: Flow, version: string): void {
    const transport = upstream.protocol === 'https:' ? https : http;
    const upstreamReq = transport.request({
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: joinPath(upstream.pathname, req.url ?? '/'),
      headers: requestHeaders(req, upstream),
      agent: agents[upstream.protocol as keyof typeof agents],
    });
    upstreamReq.setTimeout(options.upstreamTimeoutMs, () => upstreamReq.destroy(new UpstreamTimeout()));

    upstreamReq.on('response', (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, withoutHopByHop(upstreamRes.headers));
      upstreamRes.pipe(res);
      const breakOff = () => {
        if (upstreamRes.complete || res.writableFinished || res.destroyed) return;
        flow.broken = true;
        res.destroy();
      };
      upstreamRes.once('error', breakOff);
      upstreamRes.once('close', breakOff);
    });

    upstreamReq.on('error', (err) => {
      options.logger.debug({ version, upstream: upstream.origin, err: err.message }, 'upstream failed');
      if (res.headersSent) {
        flow.broken = true;
        res.destroy();
        return;
      }
      const timedOut = err instanceof UpstreamTimeout;
      const code = timedOut ? 'SENTRA_ROUTER_UPSTREAM_TIMEOUT' : 'SENTRA_ROUTER_UPSTREAM_FAILED';
      const message = timedOut
        ? `version ${version} did not answer within ${options.upstreamTimeoutMs}ms`
        : `version ${version} could not be reached: ${err.message}`;
      answerError(res, code, message);
    });

    // A client that goes away takes its upstream request with it.
    res.once('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    req.pipe(upstreamReq);
  }

  return {
    handle,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

/**
 * The status code a request is counted under, and whether it is an error:
 * 5xx answers and upstreams that broke off mid-answer (counted as 502) are
 * errors; a client that left before the answer was done is counted as 499,
 * which is not the version's fault.
 */
function outcome(res: ServerResponse, flow: Flow): { code: string; error: boolean } {
  if (flow.broken) return { code: '502', error: true };
  if (!res.writableFinished) return { code: '499', error: false };
  return { code: String(res.statusCode), error: res.statusCode >= 500 };
}

function answerError(res: ServerResponse, code: RouterErrorCode, message: string): void {
  const statusCode = ROUTER_ERRORS[code];
  const body = JSON.stringify({ statusCode, code, error: http.STATUS_CODES[statusCode], message });
  res.writeHead(statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function joinPath(base: string, path: string): string {
  if (base === '/' || base === '') return path;
  return base.replace(/\/+$/, '') + path;
}

function requestHeaders(req: IncomingMessage, upstream: URL): OutgoingHttpHeaders {
  const headers = withoutHopByHop(req.headers);
  const remote = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers.host = upstream.host;
  headers['x-forwarded-for'] = prior ? `${String(prior)}, ${remote}` : remote;
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  headers['x-forwarded-proto'] = 'http';
  return headers;
}

/** Drops hop-by-hop headers, including any the `Connection` header names. */
function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

class UpstreamTimeout extends Error {
  constructor() {
    super('upstream timed out');
    this.name = 'UpstreamTimeout';
  }
}
