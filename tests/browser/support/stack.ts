import { randomBytes } from 'node:crypto';

import mysql from 'mysql2/promise';
import pino from 'pino';

import { buildApp } from '../../../backend/src/app.ts';
import { loadConfig } from '../../../backend/src/config.ts';
import type { Load } from '../../../backend/src/demo/load.ts';
import { startLoad } from '../../../backend/src/demo/load.ts';
import type { DemoService } from '../../../backend/src/demo/service.ts';
import { startDemoService } from '../../../backend/src/demo/service.ts';
import { createRouter } from '../../../backend/src/router/index.ts';
import { createDeps } from '../../../backend/src/wiring.ts';

export const SERVICES = ['checkout', 'search'] as const;

export interface Stack {
  backendUrl: string;
  token: string;
  /** An authorized call to the backend's API, as the named actor. */
  api(method: string, path: string, body?: unknown, actor?: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export interface StackOptions {
  grafanaUrl: string;
  grafanaToken: string;
}

/**
 * The real Sentra backend with everything it drives, all on loopback: two
 * versions of a demo service behind the built-in router (one service name
 * per entry of SERVICES), a steady load through the router, and the backend
 * itself on a fresh MariaDB database and a unique Redis key prefix, its loop
 * running on the real clock and its annotations going to the host's fake Grafana.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const fn of closers.reverse()) {
      await fn().catch(() => undefined);
    }
  };
  try {
    const upstreams = await startUpstreams(closers);
    const router = createRouter({});
    const address = await router.listen({ proxyPort: 0, adminPort: 0, host: '127.0.0.1' });
    closers.push(() => router.close());
    for (const service of SERVICES) {
      await adminCall(address.adminUrl, 'PUT', `/admin/services/${service}/upstreams`, { versions: upstreams });
      await adminCall(address.adminUrl, 'PUT', `/admin/services/${service}/routing`, {
        baseline: 'v1',
        canary: 'v2',
        weight: 0,
        headerRoute: null,
      });
    }
    const loads: Load[] = SERVICES.map((service) =>
      startLoad({ url: address.proxyUrl, rate: 150, headers: { host: service } })
    );
    closers.push(() => Promise.all(loads.map((l) => l.stop())));

    const database = await createDatabase(closers);
    const token = randomBytes(24).toString('hex');
    const config = loadConfig({
      SENTRA_API_TOKEN: token,
      SENTRA_STORE_URL: `mysql://root@127.0.0.1:3306/${database}`,
      SENTRA_REDIS_URL: 'redis://127.0.0.1:6379',
      SENTRA_REDIS_PREFIX: `sentra-browser-${process.pid}-${Date.now()}:`,
      SENTRA_ROUTER_URL: address.adminUrl,
      SENTRA_GRAFANA_URL: options.grafanaUrl,
      SENTRA_GRAFANA_TOKEN: options.grafanaToken,
      SENTRA_LOG_LEVEL: 'warn',
    });
    const { deps, start, close: closeDeps } = await createDeps(config, { logger: pino({ level: 'warn' }) });
    const { app } = await buildApp({ deps, apiToken: token, onReady: start, onClose: closeDeps });
    closers.push(() => app.close());
    const backendUrl = await app.listen({ host: '127.0.0.1', port: 0 });

    return {
      backendUrl,
      token,
      async api(method, path, body, actor = 'browser-test') {
        const response = await fetch(`${backendUrl}/api/v1${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            'x-sentra-actor': actor,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) : null };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function startUpstreams(closers: Array<() => Promise<unknown>>): Promise<Record<string, string>> {
  const versions: Record<string, Partial<Parameters<typeof startDemoService>[0]>> = {
    v1: { errorRatio: 0.002, latencyMs: 5, latencyJitterMs: 3 },
    v2: { errorRatio: 0.002, latencyMs: 6, latencyJitterMs: 3 },
  };
  const urls: Record<string, string> = {};
  for (const [version, knobs] of Object.entries(versions)) {
    const service: DemoService = await startDemoService({ version, logLevel: 'silent', ...knobs });
    closers.push(() => service.close());
    urls[version] = service.url;
  }
  return urls;
}

/** A database of this run's own on the shared MariaDB, dropped when the stack closes. */
async function createDatabase(closers: Array<() => Promise<unknown>>): Promise<string> {
  const name = `sentra_browser_${process.pid}_${Date.now()}`;
  const connection = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  await connection.query(`CREATE DATABASE \`${name}\``);
  closers.push(async () => {
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await connection.end();
  });
  return name;
}

async function adminCall(adminUrl: string, method: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`router admin ${method} ${path} answered ${response.status}: ${await response.text()}`);
  }
}
