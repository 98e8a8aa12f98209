import { hostname } from 'node:os';

import pino from 'pino';
import type { Logger } from 'pino';

import { createBus } from './bus/index.ts';
import type { Config } from './config.ts';
import { startAnnotationWriter } from './grafana/annotations.ts';
import type { AnnotationWriter } from './grafana/annotations.ts';
import type { LoopDeps } from './loop/deps.ts';
import { createMetrics } from './metrics.ts';
import { createStore } from './store/index.ts';
import { createGrafanaProvider } from './telemetry/grafana.ts';
import { createLokiProvider } from './telemetry/loki.ts';
import { PrometheusProvider } from './telemetry/prometheus.ts';
import { RouterProvider } from './telemetry/router.ts';
import { createTempoProvider } from './telemetry/tempo.ts';
import type { Providers } from './telemetry/types.ts';
import { RouterController } from './traffic/router.ts';
import { createControllerFor } from './traffic/index.ts';
import type { ControllerFor } from './traffic/types.ts';

export interface Wired {
  deps: LoopDeps;
  /** Starts background work that outlives requests: the Grafana annotation writer, when Grafana is configured. */
  start(): Promise<void>;
  /** Stops background work, then closes the bus and the store. */
  close(): Promise<void>;
}

/** Builds the loop's dependencies from the settings: store (migrated), bus, telemetry providers, traffic controllers. */
export async function createDeps(
  config: Config,
  options: { logger?: Logger; clock?: () => number } = {}
): Promise<Wired> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const store = createStore(config.storeUrl);
  await store.migrate();
  const bus = createBus(config.redisUrl ?? undefined, { prefix: config.redisPrefix });
  const deps: LoopDeps = {
    store,
    bus,
    providers: providersFor(config),
    trafficFor: controllersFor(config, logger),
    logger,
    metrics: createMetrics({ defaults: true }),
    clock: options.clock ?? Date.now,
    owner: `${hostname()}:${process.pid}`,
    annotations: config.grafana !== null,
  };
  let writer: AnnotationWriter | null = null;
  return {
    deps,
    async start() {
      if (!config.grafana || writer) return;
      writer = startAnnotationWriter({
        store,
        grafanaUrl: config.grafana.url,
        token: config.grafana.token,
        ...(config.grafana.orgId ? { orgId: config.grafana.orgId } : {}),
        logger,
        intervalMs: 1000,
        lease: { bus, owner: deps.owner },
      });
    },
    async close() {
      await writer?.stop();
      await bus.close();
      await store.close();
    },
  };
}

export function providersFor(config: Config): Providers {
  const providers: Providers = {};
  if (config.prometheusUrl) providers.prometheus = new PrometheusProvider({ url: config.prometheusUrl });
  if (config.routerUrl)
    providers.router = new RouterProvider({
      url: config.routerUrl,
      ...(config.routerToken ? { token: config.routerToken } : {}),
    });
  if (config.lokiUrl)
    providers.loki = createLokiProvider({ url: config.lokiUrl, tenant: config.lokiTenant ?? undefined });
  if (config.tempoUrl) providers.tempo = createTempoProvider({ url: config.tempoUrl });
  if (config.grafana) {
    const { url, token, orgId } = config.grafana;
    providers.grafana = createGrafanaProvider({ url, token, ...(orgId !== null ? { orgId } : {}) });
  }
  return providers;
}

/**
 * One controller per kind. The built-in router's controller talks to the
 * rollout's `traffic.url`, or to SENTRA_ROUTER_URL when the rollout names none.
 */
export function controllersFor(config: Config, logger: Logger): ControllerFor {
  const router = new RouterController({
    ...(config.routerUrl ? { url: config.routerUrl } : {}),
    ...(config.routerToken ? { token: config.routerToken } : {}),
  });
  return createControllerFor({ router: () => router, log: logger });
}
