import http from 'node:http';
import type net from 'node:net';

/** An HTTP server standing in for one version of a service; it counts the requests it answers. */
export interface CountingUpstream {
  name: string;
  url: string;
  count: number;
  close(): Promise<void>;
}

export async function startUpstream(name: string): Promise<CountingUpstream> {
  const upstream = { name, url: '', count: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    upstream.count += 1;
    req.resume();
    res.setHeader('content-type', 'text/plain');
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstream.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  upstream.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return upstream;
}

export interface Tally {
  /** Requests answered by each upstream, by the name in the response body. */
  byBody: Record<string, number>;
  /** Requests that did not get a 200. */
  failed: number;
}

/**
 * Sends `total` GET requests to `url`, `concurrency` at a time, each on a
 * fresh connection (so a reloaded proxy's new configuration serves them),
 * and tallies who answered.
 */
export async function sendRequests(
  url: string,
  total: number,
  options: { headers?: Record<string, string>; concurrency?: number } = {}
): Promise<Tally> {
  const tally: Tally = { byBody: {}, failed: 0 };
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next += 1;
      const { status, body } = await get(url, options.headers ?? {});
      if (status !== 200) tally.failed += 1;
      else tally.byBody[body] = (tally.byBody[body] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 16 }, worker));
  return tally;
}

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
}

/** The canary's share of the answered requests, in percent. */
export function canaryShare(tally: Tally): number {
  const canary = tally.byBody['canary'] ?? 0;
  const baseline = tally.byBody['baseline'] ?? 0;
  return (canary / (canary + baseline)) * 100;
}

/** A logger that keeps what it is told, for asserting on `traffic changed` lines. */
export function recordingLog(): {
  entries: Array<{ fields: Record<string, unknown>; message: string }>;
  info(fields: Record<string, unknown>, message: string): void;
} {
  const entries: Array<{ fields: Record<string, unknown>; message: string }> = [];
  return { entries, info: (fields, message) => entries.push({ fields, message }) };
}

/** The worker processes of an nginx master, from /proc (Linux). */
export async function nginxWorkers(masterPid: number): Promise<Set<number>> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(`/proc/${masterPid}/task/${masterPid}/children`, 'utf8');
  return new Set(text.trim().split(/\s+/).filter(Boolean).map(Number));
}

/**
 * Waits until an nginx reload has finished: new workers are running and
 * none of `before` is left (an old worker exits once its requests are done).
 */
export async function waitForNginxReload(masterPid: number, before: Set<number>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const now = await nginxWorkers(masterPid);
    const fresh = [...now].filter((pid) => !before.has(pid));
    if (fresh.length > 0 && [...before].every((pid) => !now.has(pid))) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nginx ${masterPid} did not finish reloading`);
}
