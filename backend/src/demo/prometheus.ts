import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * Starts a private Prometheus server on loopback: the binary from PATH, a
 * free port, a generated scrape config and a temporary storage directory that
 * is removed again on `stop()`. Used by the demo and by tests that need a real
 * Prometheus.
 */

export interface StartPrometheusOptions {
  /** Where to scrape: `host:port` (path `/metrics`) or a full `http://host:port/path` URL. */
  scrapeTargets: string[];
  /** Scrape (and rule evaluation) interval, as a Prometheus duration; default `1s`. */
  scrapeInterval?: string;
  /** The binary to run; found on PATH by default. */
  binary?: string;
  /** How long to wait for `/-/ready`; default 30 s. */
  readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  /** Base URL of the HTTP API, `http://127.0.0.1:<port>`. */
  url: string;
  /** The temporary directory holding its config and storage; removed by `stop()`. */
  dir: string;
  /** Stops the server and removes its config and storage. Safe to call twice. */
  stop(): Promise<void>;
}

/** Prometheus could not be started; `message` says why and what to do. */
export class PrometheusStartError extends Error {
  override readonly name = 'PrometheusStartError';
}

const PORT_ATTEMPTS = 3;
const STOP_GRACE_MS = 10_000;

export async function startPrometheus(options: StartPrometheusOptions): Promise<RunningPrometheus> {
  const binary = options.binary ?? (await findPrometheus());
  if (binary === null) {
    throw new PrometheusStartError(
      'prometheus was not found on PATH: install it (the Debian package is "prometheus") or point Sentra at a running one'
    );
  }
  const interval = options.scrapeInterval ?? '1s';
  if (!/^[0-9]+(ms|s|m|h)$/.test(interval))
    throw new PrometheusStartError(`scrapeInterval: not a duration: "${interval}"`);
  const config = scrapeConfig(options.scrapeTargets.map(parseTarget), interval);

  const dir = await mkdtemp(join(tmpdir(), 'sentra-prometheus-'));
  try {
    await writeFile(join(dir, 'prometheus.yml'), config);
    return await startOnFreePort(binary, dir, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The prometheus binary on PATH, or null when it is not installed. */
export function findPrometheus(): Promise<string | null> {
  return findOnPath('prometheus');
}

/** The first executable of that name on PATH, or null. */
export async function findOnPath(name: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return null;
}

interface Target {
  address: string;
  path: string;
  scheme: string;
}

function parseTarget(text: string): Target {
  const withScheme = text.includes('://') ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new PrometheusStartError(`scrapeTargets: not a host:port or URL: "${text}"`);
  }
  const path = url.pathname === '/' && !text.includes('://') ? '/metrics' : url.pathname;
  return { address: url.host, path: path || '/metrics', scheme: url.protocol.replace(':', '') };
}

/** One scrape job per target, written as JSON (which is valid YAML). */
function scrapeConfig(targets: Target[], interval: string): string {
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    scrape_configs: targets.map((target, i) => ({
      job_name: `sentra-${i + 1}`,
      scheme: target.scheme,
      metrics_path: target.path,
      static_configs: [{ targets: [target.address] }],
    })),
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * A free port is found by binding port 0 and closing it again, so another
 * process may take it in between; a start that fails on a taken port is tried
 * again on a new one.
 */
async function startOnFreePort(binary: string, dir: string, readyTimeoutMs: number): Promise<RunningPrometheus> {
  let lastError: unknown = null;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const port = await freePort();
    try {
      return await launch(binary, dir, port, readyTimeoutMs);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PrometheusStartError) || !/address already in use/.test(error.message)) throw error;
    }
  }
  throw lastError;
}

async function launch(binary: string, dir: string, port: number, readyTimeoutMs: number): Promise<RunningPrometheus> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  const log = captureLog(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const failedToSpawn = new Promise<Error>((resolve) => child.once('error', resolve));

  // Whichever comes first settles the start; the readiness polling stops with it.
  const polling = new AbortController();
  const ready = await Promise.race([
    waitReady(url, readyTimeoutMs, polling.signal).then((ok) => (ok ? 'ready' : 'timeout')),
    exited.then(() => 'exited' as const),
    failedToSpawn.then((error) => error),
  ]);
  polling.abort();
  if (ready !== 'ready') {
    await terminate(child, exited);
    const why =
      ready instanceof Error
        ? ready.message
        : ready === 'timeout'
          ? `not ready within ${readyTimeoutMs} ms`
          : 'it exited';
    throw new PrometheusStartError(`prometheus at ${url} did not start (${why}): ${log().slice(-1500)}`);
  }

  let stopped: Promise<void> | null = null;
  return {
    url,
    dir,
    stop() {
      stopped ??= terminate(child, exited).then(() => rm(dir, { recursive: true, force: true }));
      return stopped;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the last few kilobytes of the server's output, for error messages. */
function captureLog(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text.trim();
}

async function waitReady(url: string, timeoutMs: number, stop: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stop.aborted) {
    try {
      const signal = AbortSignal.any([stop, AbortSignal.timeout(1000)]);
      const response = await fetch(`${url}/-/ready`, { signal });
      await response.arrayBuffer();
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** SIGTERM, then SIGKILL if Prometheus has not shut down within the grace period. */
async function terminate(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  // A process that never spawned has no pid and may never emit 'exit'.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
