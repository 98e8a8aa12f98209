import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Logger } from 'pino';

import { buildApp } from '../app.ts';
import type { Config } from '../config.ts';
import { loadConfig } from '../config.ts';
import type { TrafficConfig } from '../domain/traffic-config.ts';
import type { RouterAddress } from '../router/index.ts';
import { createRouter } from '../router/index.ts';
import { createDeps } from '../wiring.ts';
import { ApiClient } from './api-client.ts';
import type { DemoFront, DemoTraffic } from './front.ts';
import { missingForTraffic, routerFront, startProxyFront } from './front.ts';
import type { Load } from './load.ts';
import { startLoad } from './load.ts';
import { startDemoLoki } from './loki.ts';
import type { DemoTelemetry } from './policy.ts';
import { findPrometheus, startPrometheus } from './prometheus.ts';
import type { DemoService } from './service.ts';
import { startDemoService } from './service.ts';

export const DEMO_SERVICE = 'demo';

/**
 * The demo service's versions: a stable one, a healthy candidate, a faulty
 * one (8% of answers are 5xx), and one whose answers are all fine but which
 * logs a new kind of exception on 5% of requests. v1 to v3 log the same
 * routine exception on 1% of requests, so the baseline has error templates of
 * its own; only v4 ever logs the new one.
 */
export const VERSIONS = {
  v1: { errorRatio: 0.002, latencyMs: 20, latencyJitterMs: 10, errorLogRatio: 0.01 },
  v2: { errorRatio: 0.002, latencyMs: 22, latencyJitterMs: 10, errorLogRatio: 0.01 },
  v3: { errorRatio: 0.08, latencyMs: 22, latencyJitterMs: 10, errorLogRatio: 0.01 },
  v4: {
    errorRatio: 0,
    latencyMs: 22,
    latencyJitterMs: 10,
    errorLogRatio: 0.05,
    errorLogMessage: 'java.lang.IllegalStateException: inventory cache for sku {id} not warmed',
  },
} as const;
export type DemoVersion = keyof typeof VERSIONS;

export interface StackOptions {
  /** Requests per second sent through the router or proxy. */
  rate?: number;
  /** What moves the traffic: the built-in router (default), or a real HAProxy or NGINX. */
  traffic?: DemoTraffic;
  /** Port for the backend's API; 0 picks a free one. */
  port?: number;
  /**
   * With the router, `required` fails without a prometheus binary, `auto` uses it when on PATH, `off` judges
   * the router's counters. Behind a real proxy Prometheus is always required: it reads the demo service's metrics.
   */
  prometheus?: 'required' | 'auto' | 'off';
  /** `fake` or a Loki's URL: the demo service pushes its logs there and the backend gets SENTRA_LOKI_URL. */
  loki?: string;
  logger: Logger;
  say: (line: string) => void;
}

export interface DemoStack {
  api: ApiClient;
  backendUrl: string;
  token: string;
  /** The built-in router; null when a real proxy moves the traffic. */
  router: RouterAddress | null;
  /** What the load goes through, and how each rollout steers it. */
  front: DemoFront;
  services: Record<DemoVersion, DemoService>;
  load: Load;
  prometheusUrl: string | null;
  lokiUrl: string | null;
  provider: 'prometheus' | 'router';
  /** What the gates read; pass it to `demoPolicy`. */
  telemetry: DemoTelemetry;
  storePath: string;
  /**
   * Readies the traffic for a rollout of `baseline` → `canary` (behind a real
   * proxy: a fresh one in front of the pair, with the load moved to it) and
   * answers the traffic settings to start the rollout with, or null for the policy's.
   */
  prepareRollout(baseline: DemoVersion, canary: DemoVersion): Promise<TrafficConfig | null>;
  close(): Promise<void>;
}

/**
 * Starts everything the demo needs on loopback: the four versions of the
 * demo service, the built-in router (or a real HAProxy or NGINX) in front of
 * them, a steady load through it, Prometheus when its binary is on PATH (or
 * always, behind a real proxy), Loki (or its stand-in) when asked for, and the
 * Sentra backend on an embedded store.
 */
export async function startDemoStack(options: StackOptions): Promise<DemoStack> {
  const traffic = options.traffic ?? 'router';
  const missing = await missingForTraffic(traffic);
  if (missing !== null) throw new Error(missing);
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch(() => undefined);
  };
  try {
    // Before the services, which push to it, and so closed after them.
    const loki = options.loki ? await startDemoLoki(options.loki, options.say) : null;
    if (loki) closers.push(() => loki.close());
    const services = await startServices(closers, loki?.url ?? null);
    // The load is started last; until then a proxy change has no load to move.
    let load: Load | null = null;
    const moveLoad = (url: string) => load?.moveTo(url);
    const { front, router } = await startFront(traffic, services, moveLoad, options.say, closers);
    const prometheus = await maybePrometheus(options, traffic, router, services, closers);
    const provider = prometheus ? 'prometheus' : 'router';

    const dir = await mkdtemp(join(tmpdir(), 'sentra-demo-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const token = randomBytes(24).toString('hex');
    const telemetry = { prometheusUrl: prometheus?.url ?? null, lokiUrl: loki?.url ?? null };
    const config = demoConfig(token, options.port ?? 0, join(dir, 'sentra.db'), router, telemetry);
    const backendUrl = await startBackend(config, options.logger, closers);

    const running = startLoad({ url: front.url(), rate: options.rate ?? 200 });
    load = running;
    closers.push(async () => void (await running.stop()));
    return {
      api: new ApiClient(backendUrl, token),
      backendUrl,
      token,
      router,
      front,
      services,
      load: running,
      prometheusUrl: prometheus?.url ?? null,
      lokiUrl: loki?.url ?? null,
      provider,
      telemetry: traffic !== 'router' ? 'service-metrics' : provider,
      storePath: join(dir, 'sentra.db'),
      prepareRollout: (baseline, canary) => front.prepare(baseline, canary),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function startServices(
  closers: (() => Promise<void>)[],
  lokiUrl: string | null
): Promise<Record<DemoVersion, DemoService>> {
  // Pushed four times a second: a line must reach Loki within the policy's one-second telemetry lag.
  const loki = lokiUrl ? { loki: { url: lokiUrl, intervalMs: 250 } } : {};
  const entries = await Promise.all(
    Object.entries(VERSIONS).map(async ([version, knobs]) => {
      const options = { version, service: DEMO_SERVICE, logLevel: 'silent' as const, ...knobs, ...loki };
      const service = await startDemoService(options);
      closers.push(() => service.close());
      return [version, service] as const;
    })
  );
  return Object.fromEntries(entries) as Record<DemoVersion, DemoService>;
}

async function startFront(
  traffic: DemoTraffic,
  services: Record<DemoVersion, DemoService>,
  moveLoad: (url: string) => void,
  say: (line: string) => void,
  closers: (() => Promise<void>)[]
): Promise<{ front: DemoFront; router: RouterAddress | null }> {
  if (traffic === 'router') {
    const router = await startRouter(services, closers);
    return { front: routerFront(router, DEMO_SERVICE), router };
  }
  // Before any rollout, all traffic goes to the stable version.
  const first = { baseline: 'v1', canary: 'v2' };
  const front = await startProxyFront({ kind: traffic, service: DEMO_SERVICE, services, first, moveLoad, say });
  closers.push(() => front.close());
  return { front, router: null };
}

async function startRouter(
  services: Record<DemoVersion, DemoService>,
  closers: (() => Promise<void>)[]
): Promise<RouterAddress> {
  const router = createRouter({});
  const address = await router.listen({ proxyPort: 0, adminPort: 0, host: '127.0.0.1' });
  closers.push(() => router.close());
  const admin = new ApiClient(address.adminUrl, null);
  const versions = Object.fromEntries(Object.entries(services).map(([v, s]) => [v, s.url]));
  await admin.call('PUT', `/admin/services/${DEMO_SERVICE}/upstreams`, { versions });
  // Before any rollout, all traffic goes to the stable version.
  await admin.call('PUT', `/admin/services/${DEMO_SERVICE}/routing`, {
    baseline: 'v1',
    canary: 'v2',
    weight: 0,
    headerRoute: null,
  });
  return address;
}

async function maybePrometheus(
  options: StackOptions,
  traffic: DemoTraffic,
  router: RouterAddress | null,
  services: Record<DemoVersion, DemoService>,
  closers: (() => Promise<void>)[]
) {
  if (router === null) return serviceMetricsPrometheus(traffic, services, options.say, closers);
  if (options.prometheus === 'off') {
    options.say("Prometheus: off; gates judge the built-in router's own per-version counters.");
    return null;
  }
  const binary = await findPrometheus();
  if (!binary) {
    if (options.prometheus === 'required')
      throw new Error('prometheus is not on PATH (Debian: apt-get install prometheus)');
    options.say(
      "Prometheus: no prometheus binary on PATH; gates judge the built-in router's own per-version counters."
    );
    return null;
  }
  const target = new URL(router.adminUrl).host;
  const prometheus = await startPrometheus({ binary, scrapeTargets: [target], scrapeInterval: '1s' });
  closers.push(() => prometheus.stop());
  options.say(`Prometheus: ${prometheus.url} (scraping the router every second); gates judge PromQL.`);
  return prometheus;
}

/** Behind a real proxy, Prometheus scrapes each demo service instance's own metrics. */
async function serviceMetricsPrometheus(
  traffic: DemoTraffic,
  services: Record<DemoVersion, DemoService>,
  say: (line: string) => void,
  closers: (() => Promise<void>)[]
) {
  const binary = await findPrometheus();
  if (!binary) throw new Error(`--traffic ${traffic} needs Prometheus to read the demo service's own metrics`);
  const targets = Object.values(services).map((s) => new URL(s.url).host);
  const prometheus = await startPrometheus({ binary, scrapeTargets: targets, scrapeInterval: '1s' });
  closers.push(() => prometheus.stop());
  const versions = Object.keys(services).join(', ');
  say(
    `Prometheus: ${prometheus.url} (scraping the demo service's own /metrics on ${versions} every second); gates judge PromQL.`
  );
  return prometheus;
}

function demoConfig(
  token: string,
  port: number,
  dbPath: string,
  router: RouterAddress | null,
  { prometheusUrl, lokiUrl }: { prometheusUrl: string | null; lokiUrl: string | null }
): Config {
  return loadConfig({
    SENTRA_API_TOKEN: token,
    SENTRA_PORT: String(port),
    SENTRA_STORE_URL: `sqlite:${dbPath}`,
    ...(router ? { SENTRA_ROUTER_URL: router.adminUrl } : {}),
    ...(prometheusUrl ? { SENTRA_PROMETHEUS_URL: prometheusUrl } : {}),
    ...(lokiUrl ? { SENTRA_LOKI_URL: lokiUrl } : {}),
  });
}

async function startBackend(config: Config, logger: Logger, closers: (() => Promise<void>)[]): Promise<string> {
  const { deps, start, close } = await createDeps(config, { logger });
  const { app } = await buildApp({ deps, apiToken: config.apiToken, onReady: start, onClose: close });
  closers.push(() => app.close());
  return app.listen({ host: config.host, port: config.port });
}
