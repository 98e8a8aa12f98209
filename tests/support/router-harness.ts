import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { startDemoService } from '../../backend/src/demo/service.ts';
import type { DemoService, DemoServiceOptions } from '../../backend/src/demo/service.ts';
import { VERSION_HEADER, createRouter } from '../../backend/src/router/index.ts';
import type { RouterAddress, RouterOptions } from '../../backend/src/router/index.ts';

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

export interface Harness {
  address: RouterAddress;
  upstreams: Record<string, DemoService>;
  admin(method: string, path: string, body?: unknown, token?: string): Promise<Answer>;
  /** Sends `count` requests through the proxy, a few at a time, and tallies the answers by version and status. */
  send(count: number, headers?: Record<string, string>): Promise<Tally>;
  close(): Promise<void>;
}

export interface Tally {
  byVersion: Record<string, number>;
  byStatus: Record<string, number>;
}

/** A router on free loopback ports with a demo service per version, registered for `service`. */
export async function startHarness(
  versions: Record<string, Partial<DemoServiceOptions>>,
  options: RouterOptions & { service?: string } = {}
): Promise<Harness> {
  const router = createRouter(options);
  const address = await router.listen({ proxyPort: 0, adminPort: 0, host: '127.0.0.1' });
  const upstreams: Record<string, DemoService> = {};
  for (const [version, knobs] of Object.entries(versions)) {
    upstreams[version] = await startDemoService({ version, logLevel: 'silent', ...knobs });
  }

  const admin = (method: string, path: string, body?: unknown, token = options.adminToken) =>
    call(`${address.adminUrl}${path}`, method, body, token);
  const service = options.service ?? 'checkout';
  if (Object.keys(upstreams).length > 0) {
    const urls = Object.fromEntries(Object.entries(upstreams).map(([v, s]) => [v, s.url]));
    const registered = await admin('PUT', `/admin/services/${service}/upstreams`, { versions: urls });
    if (registered.status !== 200) throw new Error(`registering upstreams failed: ${JSON.stringify(registered.body)}`);
  }

  return {
    address,
    upstreams,
    admin,
    send: (count, headers) => send(address.proxyUrl, count, headers),
    async close() {
      await router.close();
      await Promise.all(Object.values(upstreams).map((s) => s.close()));
    },
  };
}

export async function call(url: string, method: string, body?: unknown, token?: string): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Plain text, such as the metrics page.
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Node's own client, since fetch will not set a Host header. */
async function send(url: string, count: number, headers: Record<string, string> = {}): Promise<Tally> {
  const tally: Tally = { byVersion: {}, byStatus: {} };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.get(`${url}/work`, { headers, agent }, (res) => {
        res.resume();
        res.once('end', () => {
          const version = String(res.headers[VERSION_HEADER] ?? '(none)');
          tally.byVersion[version] = (tally.byVersion[version] ?? 0) + 1;
          tally.byStatus[res.statusCode ?? 0] = (tally.byStatus[res.statusCode ?? 0] ?? 0) + 1;
          resolve();
        });
      });
      req.once('error', reject);
    });
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      await one();
    }
  };
  try {
    await Promise.all(Array.from({ length: 8 }, worker));
  } finally {
    agent.destroy();
  }
  return tally;
}

/** A loopback address where nothing listens: a port that was free a moment ago. */
export async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A loopback server that accepts every request and never answers it. */
export async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
