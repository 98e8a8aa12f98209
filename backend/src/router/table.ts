import type { IncomingHttpHeaders } from 'node:http';

import type { HeaderRoute } from '../domain/policy.ts';
import { RouterError } from './errors.ts';
import { WeightedPicker } from './picker.ts';
import type { RoutingAnswer, RoutingBody, UpstreamsAnswer } from './schemas.ts';

interface ServiceEntry {
  upstreams: Map<string, URL>;
  routing: RoutingAnswer | null;
  picker: WeightedPicker;
}

/** Where one proxied request goes, or why it cannot go anywhere. */
export type Choice =
  | { ok: true; service: string; version: string; upstream: URL | null }
  | { ok: false; code: 'SENTRA_ROUTER_UNKNOWN_SERVICE' | 'SENTRA_ROUTER_NOT_READY'; message: string };

/**
 * The router's state: where each version of each service lives and how its
 * traffic is split. Changes take effect on the very next request; nothing is
 * cached per connection.
 */
export class RoutingTable {
  readonly #services = new Map<string, ServiceEntry>();
  readonly #clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  /** Replaces the service's version map; a version that receives traffic now cannot be removed. */
  setUpstreams(service: string, versions: Record<string, string>): UpstreamsAnswer {
    const urls = new Map(Object.entries(versions).map(([version, url]) => [version, new URL(url)]));
    const entry = this.#services.get(service);
    const routing = entry?.routing ?? null;
    for (const version of routing ? servedVersions(routing) : []) {
      if (!urls.has(version)) {
        const serving = `version ${version} of ${service} receives traffic under the routing in force`;
        const message = `${serving}; route it away first`;
        throw new RouterError('SENTRA_ROUTER_UNKNOWN_VERSION', message, [{ field: '/versions', message }]);
      }
    }

    if (entry) entry.upstreams = urls;
    else this.#services.set(service, { upstreams: urls, routing: null, picker: new WeightedPicker(0) });
    return this.upstreams(service)!;
  }

  upstreams(service: string): UpstreamsAnswer | null {
    const entry = this.#services.get(service);
    if (!entry) return null;
    const versions = Object.fromEntries([...entry.upstreams].map(([version, url]) => [version, url.href]));
    return { service, versions };
  }

  /**
   * Sets the split. Setting the routing already in force changes nothing: the
   * revision stays and the split carries on where it was.
   */
  setRouting(service: string, body: RoutingBody): { routing: RoutingAnswer; changed: boolean } {
    const entry = this.#services.get(service);
    if (!entry) throw unknownService(service);
    checkRouting(service, entry, body);

    const current = entry.routing;
    if (current && sameSplit(current, body)) return { routing: current, changed: false };

    const routing: RoutingAnswer = {
      service,
      baseline: body.baseline,
      canary: body.canary,
      weight: body.weight,
      headerRoute: body.headerRoute
        ? { header: body.headerRoute.header.toLowerCase(), value: body.headerRoute.value }
        : null,
      revision: (current?.revision ?? 0) + 1,
      updatedAt: this.#clock(),
    };
    entry.routing = routing;
    entry.picker = new WeightedPicker(routing.weight);
    return { routing, changed: true };
  }

  routing(service: string): RoutingAnswer | null {
    return this.#services.get(service)?.routing ?? null;
  }

  hasService(service: string): boolean {
    return this.#services.has(service);
  }

  /** The service named by the Host header's first label, else the only service there is. */
  serviceFor(host: string | undefined): string | null {
    const label = host?.split(/[.:]/, 1)[0]?.toLowerCase();
    if (label && this.#services.has(label)) return label;
    if (this.#services.size === 1) return this.#services.keys().next().value ?? null;
    return null;
  }

  /** Picks the version for one request: the canary when the header route matches, else by weight. */
  choose(service: string, headers: IncomingHttpHeaders): Choice {
    const entry = this.#services.get(service);
    if (!entry) return { ok: false, code: 'SENTRA_ROUTER_UNKNOWN_SERVICE', message: `no service ${service}` };
    const routing = entry.routing;
    if (!routing) {
      return { ok: false, code: 'SENTRA_ROUTER_NOT_READY', message: `no routing is set for service ${service}` };
    }

    const toCanary = headerMatches(routing.headerRoute, headers) || entry.picker.pickCanary();
    const version = toCanary ? routing.canary : routing.baseline;
    return { ok: true, service, version, upstream: entry.upstreams.get(version) ?? null };
  }
}

function checkRouting(service: string, entry: ServiceEntry, body: RoutingBody): void {
  if (body.baseline === body.canary) {
    const message = 'must differ from the baseline';
    throw new RouterError('SENTRA_ROUTER_INVALID', `/canary ${message}`, [{ field: '/canary', message }]);
  }
  for (const version of servedVersions(body)) {
    if (entry.upstreams.has(version)) continue;
    const field = version === body.baseline ? '/baseline' : '/canary';
    const message = `version ${version} of ${service} has no upstream registered`;
    throw new RouterError('SENTRA_ROUTER_UNKNOWN_VERSION', message, [{ field, message }]);
  }
}

/**
 * The versions that receive traffic under a routing. A canary on weight 0 with
 * no header route receives none, so its upstream may already be gone; that is
 * how traffic goes back to the baseline when the canary is broken.
 */
function servedVersions(routing: Pick<RoutingBody, 'baseline' | 'canary' | 'weight' | 'headerRoute'>): string[] {
  const served: string[] = [];
  if (routing.weight < 100) served.push(routing.baseline);
  if (routing.weight > 0 || routing.headerRoute) served.push(routing.canary);
  return served;
}

function sameSplit(current: RoutingAnswer, body: RoutingBody): boolean {
  return (
    current.baseline === body.baseline &&
    current.canary === body.canary &&
    current.weight === body.weight &&
    current.headerRoute?.header === body.headerRoute?.header.toLowerCase() &&
    current.headerRoute?.value === body.headerRoute?.value
  );
}

function headerMatches(route: HeaderRoute | null, headers: IncomingHttpHeaders): boolean {
  if (!route) return false;
  const value = headers[route.header];
  return Array.isArray(value) ? value.includes(route.value) : value === route.value;
}

function unknownService(service: string): RouterError {
  return new RouterError('SENTRA_ROUTER_UNKNOWN_SERVICE', `no upstreams are registered for service ${service}`);
}
