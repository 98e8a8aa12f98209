import type { HeaderRoute } from '../domain/policy.ts';
import type { RoutingState } from '../domain/rollout.ts';
import type { IstioTraffic } from '../domain/traffic-config.ts';
import type { TrafficLog } from './common.ts';
import { changeFields, checkDesired, configFor, integerSplit, shareOf, SILENT_LOG, TRAFFIC_CHANGED } from './common.ts';
import type { KubernetesControllerOptions, ResourceRef } from './kubernetes.ts';
import { describe, ResourceClient } from './kubernetes.ts';
import type { TrafficController, TrafficTarget } from './types.ts';
import { TrafficError } from './types.ts';

export const DEFAULT_ROUTE = 'sentra';

type Json = Record<string, unknown>;
type Destination = Json & {
  destination?: { host?: string; subset?: string; port?: { number?: number } };
  weight?: number;
};
type HttpRoute = Json & { name?: string; match?: Json[]; route?: Destination[] };

/**
 * Istio (networking.istio.io, VirtualService).
 *
 * Sentra's routes are found by name (`http[].name`):
 * - `<route>` (default `sentra`) is written by the operator; Sentra sets the
 *   weights of its two destinations, `host` with the baseline subset and
 *   `host` with the canary subset (the canary's is left out at weight 0),
 *   and keeps every other field of the route.
 * - `<route>-header` is Sentra's own, kept just before `<route>` because Istio
 *   takes the first route that matches: a copy of `<route>` whose matches
 *   also require the header, sending to the canary alone.
 * Every other route and field of the VirtualService is written back as read.
 */
export class IstioController implements TrafficController {
  readonly kind = 'istio' as const;
  readonly #client: ResourceClient;
  readonly #log: TrafficLog;

  constructor(options: KubernetesControllerOptions = {}) {
    this.#client = new ResourceClient('istio', options);
    this.#log = options.log ?? SILENT_LOG;
  }

  async apply(target: TrafficTarget, desired: RoutingState): Promise<RoutingState> {
    const config = configFor('istio', target);
    checkDesired('istio', desired);
    const ref = refFor(config);
    const { object, changed } = await this.#client.update(ref, (current) => ({
      ...current,
      spec: editRoutes(ref, config, current.spec ?? {}, desired),
    }));
    if (changed) this.#log.info(changeFields(target, `replaced ${describe(ref)}`, desired), TRAFFIC_CHANGED);

    const state = readRoutes(ref, config, object.spec ?? {});
    if (state === null || (desired.headerRoute !== null) !== (state.headerRoute !== null)) {
      throw new TrafficError('istio', `${describe(ref)} did not keep Sentra's routes`);
    }
    return state;
  }

  async read(target: TrafficTarget): Promise<RoutingState | null> {
    const config = configFor('istio', target);
    const ref = refFor(config);
    return readRoutes(ref, config, (await this.#client.get(ref)).spec ?? {});
  }
}

function refFor(config: IstioTraffic): ResourceRef {
  return {
    group: 'networking.istio.io',
    version: config.apiVersion ?? 'v1',
    plural: 'virtualservices',
    kind: 'VirtualService',
    namespace: config.namespace,
    name: config.virtualService,
  };
}

function editRoutes(ref: ResourceRef, config: IstioTraffic, spec: Json, desired: RoutingState): Json {
  const name = config.route ?? DEFAULT_ROUTE;
  const routes = [...((spec.http as HttpRoute[] | undefined) ?? [])];
  const route = routes.find((r) => r.name === name);
  if (route === undefined) throw new TrafficError('istio', `${describe(ref)} has no http route named "${name}"`);
  const destinations = route.route ?? [];
  const baseline = destinations.find((d) => isSubset(d, config, config.baselineSubset));
  if (baseline === undefined) {
    throw new TrafficError(
      'istio',
      `route "${name}" of ${describe(ref)} has no destination ${config.host} subset ${config.baselineSubset}`
    );
  }
  const canary =
    destinations.find((d) => isSubset(d, config, config.canarySubset)) ?? canaryDestination(baseline, config);
  const split = integerSplit(desired.weight);

  const weighted: HttpRoute = {
    ...route,
    route: [
      { ...baseline, weight: split.baseline },
      ...(split.canary > 0 ? [{ ...canary, weight: split.canary }] : []),
    ],
  };
  const kept = routes.filter((r) => r.name !== `${name}-header`);
  const at = kept.indexOf(route);
  kept[at] = weighted;
  if (desired.headerRoute !== null) kept.splice(at, 0, headerRoute(weighted, canary, name, desired.headerRoute));
  return { ...spec, http: kept };
}

/** Istio wants header names in lower case in a match. */
function headerRoute(route: HttpRoute, canary: Destination, name: string, header: HeaderRoute): HttpRoute {
  const matches = route.match?.length ? route.match : [{}];
  const key = header.header.toLowerCase();
  return {
    ...route,
    name: `${name}-header`,
    match: matches.map((m) => ({
      ...m,
      headers: { ...((m.headers as Json | undefined) ?? {}), [key]: { exact: header.value } },
    })),
    route: [{ ...canary, weight: 100 }],
  };
}

function readRoutes(ref: ResourceRef, config: IstioTraffic, spec: Json): RoutingState | null {
  const name = config.route ?? DEFAULT_ROUTE;
  const routes = (spec.http as HttpRoute[] | undefined) ?? [];
  const route = routes.find((r) => r.name === name);
  if (route === undefined) return null;
  const destinations = route.route ?? [];
  const weightOf = (subset: string) => {
    const found = destinations.filter((d) => isSubset(d, config, subset));
    // Istio lets a lone destination leave its weight out: it then takes everything.
    return found.length === 0 ? 0 : (found[0]!.weight ?? (destinations.length === 1 ? 100 : 0));
  };
  const weight = shareOf(weightOf(config.baselineSubset), weightOf(config.canarySubset));
  if (weight === null) throw new TrafficError('istio', `route "${name}" of ${describe(ref)} sends traffic nowhere`);

  const index = routes.indexOf(route);
  const header = routes.findIndex((r) => r.name === `${name}-header`);
  // A header route after the weighted one would never be reached.
  const headerInForce = header >= 0 && header < index ? headerOf(route, routes[header]!) : null;
  return { weight, headerRoute: headerInForce };
}

function headerOf(route: HttpRoute, header: HttpRoute): HeaderRoute | null {
  const own = new Set(Object.keys((route.match?.[0]?.headers as Json | undefined) ?? {}));
  const added = Object.entries((header.match?.[0]?.headers as Json | undefined) ?? {}).filter(([key]) => !own.has(key));
  const last = added.at(-1);
  const exact = (last?.[1] as { exact?: unknown } | undefined)?.exact;
  return last === undefined || typeof exact !== 'string' ? null : { header: last[0], value: exact };
}

function isSubset(d: Destination, config: IstioTraffic, subset: string): boolean {
  return d.destination?.host === config.host && d.destination.subset === subset;
}

function canaryDestination(baseline: Destination, config: IstioTraffic): Destination {
  const port = config.port ?? baseline.destination?.port?.number;
  return {
    destination: {
      host: config.host,
      subset: config.canarySubset,
      ...(port === undefined ? {} : { port: { number: port } }),
    },
  };
}
