import { constants } from 'node:fs';
import { access } from 'node:fs/promises';

import type { TrafficConfig } from '../domain/traffic-config.ts';
import type { RouterAddress } from '../router/index.ts';
import { ApiClient } from './api-client.ts';
import { findPrometheus } from './prometheus.ts';
import type { ProxyKind, StartedProxy } from './proxies.ts';
import { startProxy } from './proxies.ts';
import type { DemoService } from './service.ts';

/** What moves the demo's traffic: Sentra's built-in router, or a real HAProxy or NGINX. */
export type DemoTraffic = 'router' | ProxyKind;
export const DEMO_TRAFFIC: readonly DemoTraffic[] = ['router', 'haproxy', 'nginx'];

/** The Debian packages' binaries, which the backend's traffic controllers also expect. */
export const PROXY_BINARIES: Record<ProxyKind, string> = { haproxy: '/usr/sbin/haproxy', nginx: '/usr/sbin/nginx' };

const PROXY_NAMES: Record<ProxyKind, string> = { haproxy: 'HAProxy', nginx: 'NGINX' };

/** What the demo's load goes through, and how each rollout steers it. */
export interface DemoFront {
  readonly kind: DemoTraffic;
  /** Where the load is sent now. */
  url(): string;
  /** One line for the user: what carries the load now, and where. */
  describe(): string;
  /**
   * Readies the traffic for a rollout of `baseline` → `canary`, with all of
   * it on the baseline; answers the rollout's traffic settings, or null when
   * the policy's (the built-in router) fit.
   */
  prepare(baseline: string, canary: string): Promise<TrafficConfig | null>;
  /**
   * Requests that have reached a version: answered ones as the router counts them, or, behind a real
   * proxy, every request that arrived at the version's instance, as its own counter says.
   */
  requests(version: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Why the demo cannot run with this traffic: a missing proxy binary, or a
 * missing prometheus binary (behind a real proxy the gates read the demo
 * service's own metrics, which only Prometheus collects). Null when it can.
 */
export async function missingForTraffic(
  traffic: DemoTraffic,
  binaries: Record<ProxyKind, string> = PROXY_BINARIES
): Promise<string | null> {
  if (traffic === 'router') return null;
  const binary = binaries[traffic];
  try {
    await access(binary, constants.X_OK);
  } catch {
    return `--traffic ${traffic} needs ${PROXY_NAMES[traffic]}: ${binary} is missing (Debian package "${traffic}").`;
  }
  if ((await findPrometheus()) === null) {
    return `--traffic ${traffic} needs Prometheus to read the demo service's own metrics: no prometheus binary on PATH (Debian package "prometheus").`;
  }
  return null;
}

/** The built-in router: one for every rollout, steered by the policy's default traffic settings. */
export function routerFront(router: RouterAddress, service: string): DemoFront {
  const admin = new ApiClient(router.adminUrl, null);
  return {
    kind: 'router',
    url: () => router.proxyUrl,
    describe: () => `Router:  ${router.proxyUrl} (proxy), ${router.adminUrl} (admin API, SENTRA_ROUTER_URL; /metrics)`,
    prepare: async () => null,
    async requests(version) {
      const path = `/admin/services/${service}/stats`;
      const stats = await admin.call<{ versions: Record<string, { requests: number }> }>('GET', path);
      return stats.versions[version]?.requests ?? 0;
    },
    close: async () => undefined,
  };
}

export interface ProxyFrontOptions {
  kind: ProxyKind;
  service: string;
  services: Record<string, DemoService>;
  /** The pair the first proxy stands in front of, until a rollout asks for another. */
  first: { baseline: string; canary: string };
  /** Called with the new URL when a rollout's proxy replaces the one the load went through. */
  moveLoad: (url: string) => void;
  say: (line: string) => void;
  binary?: string;
}

interface Lane {
  baseline: string;
  canary: string;
  proxy: StartedProxy;
  /** Whether a rollout has steered this proxy; a steered one may hold any weight. */
  steered: boolean;
}

/**
 * A real HAProxy or NGINX per rollout. A proxy knows one baseline server and
 * one canary server, so each rollout's pair gets a fresh proxy with all
 * traffic on the baseline, and the load moves to it on the same schedule.
 * The load's stable version is the new baseline, so the move changes which
 * process carries the requests, not which version answers them. Earlier
 * proxies keep running, idle, until the demo stops: a request still in flight
 * through one finishes normally.
 *
 * Requests that reached a version are read from the demo service's own
 * counter of arrivals, which Prometheus scrapes with the rest.
 */
export async function startProxyFront(options: ProxyFrontOptions): Promise<DemoFront> {
  const { kind, services } = options;
  const started: StartedProxy[] = [];
  const open = async (baseline: string, canary: string): Promise<Lane> => {
    const proxy = await startProxy({
      kind,
      baselineUrl: serviceOf(services, baseline).url,
      canaryUrl: serviceOf(services, canary).url,
      service: options.service,
      ...(options.binary ? { binary: options.binary } : {}),
    });
    started.push(proxy);
    return { baseline, canary, proxy, steered: false };
  };
  let lane = await open(options.first.baseline, options.first.canary);

  return {
    kind,
    url: () => lane.proxy.proxyUrl,
    describe: () => `${PROXY_NAMES[kind]}: ${describeLane(lane)}; each rollout gets a fresh one`,
    async prepare(baseline, canary) {
      if (lane.steered || lane.baseline !== baseline || lane.canary !== canary) {
        lane = await open(baseline, canary);
        options.moveLoad(lane.proxy.proxyUrl);
        options.say(`${PROXY_NAMES[kind]}: ${describeLane(lane)}; the load moved to it.`);
      }
      lane.steered = true;
      return lane.proxy.traffic;
    },
    requests: (version) => serviceOf(services, version).received(),
    async close() {
      for (const proxy of [...started].reverse()) await proxy.stop().catch(() => undefined);
    },
  };
}

/** Where a proxy listens and which versions it stands in front of. */
function describeLane(lane: Lane): string {
  return `${lane.proxy.proxyUrl} (pid ${lane.proxy.pid}) in front of ${lane.baseline} (baseline) and ${lane.canary} (canary)`;
}

function serviceOf(services: Record<string, DemoService>, version: string): DemoService {
  const service = services[version];
  if (service === undefined) throw new RangeError(`the demo has no version "${version}"`);
  return service;
}
