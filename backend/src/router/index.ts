import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { pino } from 'pino';
import type { Logger } from 'pino';

import { buildAdmin } from './admin.ts';
import { createProxy } from './proxy.ts';
import { RouterStats } from './stats.ts';
import { RoutingTable } from './table.ts';

export { VERSION_HEADER } from './proxy.ts';
export { LATENCY_BUCKETS } from './stats.ts';

export interface RouterOptions {
  /** When set, the admin API (but not `/metrics`) needs `Authorization: Bearer <token>`. */
  adminToken?: string;
  logger?: Logger;
  /** An upstream that stays silent this long gets a 504; 30 s unless set. */
  upstreamTimeoutMs?: number;
  /** How often counts are snapshotted for windowed stats; 5 s unless set. */
  snapshotIntervalMs?: number;
  /** How far back windowed stats reach; 1 h unless set. */
  retentionMs?: number;
}

export interface ListenOptions {
  /** 0 picks a free port. */
  proxyPort: number;
  adminPort: number;
  /** 127.0.0.1 unless set. */
  host?: string;
}

export interface RouterAddress {
  host: string;
  proxyPort: number;
  adminPort: number;
  proxyUrl: string;
  adminUrl: string;
}

export interface Router {
  listen(options: ListenOptions): Promise<RouterAddress>;
  close(): Promise<void>;
}

/**
 * Sentra's built-in router: a reverse proxy that splits each service's
 * traffic between its baseline and canary, with an admin API on a separate
 * port to set the split and read per-version counts.
 */
export function createRouter(options: RouterOptions = {}): Router {
  const logger = options.logger ?? pino({ level: 'silent' });
  const clock = Date.now;
  const table = new RoutingTable(clock);
  const stats = new RouterStats({ startedAt: clock(), retentionMs: options.retentionMs ?? 3_600_000 });
  const proxy = createProxy({ table, stats, logger, upstreamTimeoutMs: options.upstreamTimeoutMs ?? 30_000 });
  const admin = buildAdmin({ table, stats, logger, adminToken: options.adminToken, clock });
  const proxyServer = http.createServer((req, res) => proxy.handle(req, res));
  let timer: NodeJS.Timeout | null = null;

  async function listen(listenOptions: ListenOptions): Promise<RouterAddress> {
    const host = listenOptions.host ?? '127.0.0.1';
    await listenOn(proxyServer, listenOptions.proxyPort, host);
    try {
      await admin.listen({ port: listenOptions.adminPort, host });
    } catch (err) {
      await closeServer(proxyServer);
      throw err;
    }

    stats.snapshot(clock());
    timer = setInterval(() => stats.snapshot(clock()), options.snapshotIntervalMs ?? 5000);
    timer.unref();

    const proxyPort = (proxyServer.address() as AddressInfo).port;
    const adminPort = (admin.server.address() as AddressInfo).port;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    logger.info({ host, proxyPort, adminPort }, 'router listening');
    return {
      host,
      proxyPort,
      adminPort,
      proxyUrl: `http://${urlHost}:${proxyPort}`,
      adminUrl: `http://${urlHost}:${adminPort}`,
    };
  }

  async function close(): Promise<void> {
    if (timer) clearInterval(timer);
    timer = null;
    await Promise.all([closeServer(proxyServer), admin.close()]);
    proxy.close();
  }

  return { listen, close };
}

function listenOn(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
