import type { HeaderRoute } from '../domain/policy.ts';
import type { RoutingState } from '../domain/rollout.ts';
import type { GatewayApiTraffic } from '../domain/traffic-config.ts';
import type { TrafficLog } from './common.ts';
import { changeFields, checkDesired, configFor, integerSplit, shareOf, SILENT_LOG, TRAFFIC_CHANGED } from './common.ts';
import type { KubernetesControllerOptions, ResourceRef } from './kubernetes.ts';
import { describe, ResourceClient } from './kubernetes.ts';
import type { TrafficController, TrafficTarget } from './types.ts';
import { TrafficError } from './types.ts';

export const DEFAULT_RULE = 'sentra';

type Json = Record<string, unknown>;
type BackendRef = Json & { name?: string; kind?: string; group?: string; weight?: number; port?: number };
type Rule = Json & { name?: string; matches?: Json[]; backendRefs?: BackendRef[] };
type HeaderMatch = { type?: string; name: string; value: string };

/**
 * Kubernetes Gateway API (gateway.networking.k8s.io/v1, HTTPRoute).
 *
 * Sentra's rules are found by name (`rules[].name`, in the standard channel
 * since Gateway API v1.4 and in the experimental channel since v1.2):
 * - `<rule>` (default `sentra`) is written by the operator; Sentra sets the
 *   weights of its baseline and canary backendRefs (the canary's is left out
 *   at weight 0) and keeps every other field of the rule.
 * - `<rule>-header` is Sentra's own: a copy of `<rule>` whose matches also
 *   require the header, sending to the canary alone. Gateway API prefers the
 *   match with more header matches, so it wins over `<rule>` for those requests.
 * Every other rule and field of the HTTPRoute is written back as it was read.
 */
export class GatewayApiController implements TrafficController {
  readonly kind = 'gateway-api' as const;
  readonly #client: ResourceClient;
  readonly #log: TrafficLog;

  constructor(options: KubernetesControllerOptions = {}) {
    this.#client = new ResourceClient('gateway-api', options);
    this.#log = options.log ?? SILENT_LOG;
  }

  async apply(target: TrafficTarget, desired: RoutingState): Promise<RoutingState> {
    const config = configFor('gateway-api', target);
    checkDesired('gateway-api', desired);
    const ref = refFor(config);
    const { object, changed } = await this.#client.update(ref, (current) => ({
      ...current,
      spec: editRules(ref, config, current.spec ?? {}, desired),
    }));
    if (changed) this.#log.info(changeFields(target, `replaced ${describe(ref)}`, desired), TRAFFIC_CHANGED);

    const state = readRules(ref, config, object.spec ?? {});
    if (state === null || (desired.headerRoute !== null) !== (state.headerRoute !== null)) {
      throw new TrafficError(
        'gateway-api',
        `${describe(ref)} did not keep Sentra's rules (does its CRD know rules[].name?)`
      );
    }
    return state;
  }

  async read(target: TrafficTarget): Promise<RoutingState | null> {
    const config = configFor('gateway-api', target);
    const ref = refFor(config);
    return readRules(ref, config, (await this.#client.get(ref)).spec ?? {});
  }
}

function refFor(config: GatewayApiTraffic): ResourceRef {
  return {
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    plural: 'httproutes',
    kind: 'HTTPRoute',
    namespace: config.namespace,
    name: config.httpRoute,
  };
}

function editRules(ref: ResourceRef, config: GatewayApiTraffic, spec: Json, desired: RoutingState): Json {
  const ruleName = config.rule ?? DEFAULT_RULE;
  const rules = [...((spec.rules as Rule[] | undefined) ?? [])];
  const index = rules.findIndex((r) => r.name === ruleName);
  if (index < 0) throw new TrafficError('gateway-api', `${describe(ref)} has no rule named "${ruleName}"`);
  const rule = rules[index]!;
  const refs = rule.backendRefs ?? [];
  const baseline = refs.find((r) => isService(r, config.baselineService));
  if (baseline === undefined) {
    throw new TrafficError(
      'gateway-api',
      `rule "${ruleName}" of ${describe(ref)} has no backendRef to Service ${config.baselineService}`
    );
  }
  const canary = refs.find((r) => isService(r, config.canaryService)) ?? canaryRef(baseline, config);
  const split = integerSplit(desired.weight);

  const weighted: Rule = {
    ...rule,
    backendRefs: [
      { ...baseline, weight: split.baseline },
      ...(split.canary > 0 ? [{ ...canary, weight: split.canary }] : []),
    ],
  };
  const kept = rules.filter((r) => r.name !== `${ruleName}-header`);
  const at = kept.indexOf(rule);
  kept[at] = weighted;
  if (desired.headerRoute !== null) kept.splice(at + 1, 0, headerRule(weighted, canary, ruleName, desired.headerRoute));
  return { ...spec, rules: kept };
}

/** The header rule: the weighted rule's matches, each also requiring the header, to the canary alone. */
function headerRule(rule: Rule, canary: BackendRef, ruleName: string, route: HeaderRoute): Rule {
  const matches = rule.matches?.length ? rule.matches : [{ path: { type: 'PathPrefix', value: '/' } }];
  const header: HeaderMatch = { type: 'Exact', name: route.header, value: route.value };
  return {
    ...rule,
    name: `${ruleName}-header`,
    matches: matches.map((m) => {
      const others = ((m.headers as HeaderMatch[] | undefined) ?? []).filter(
        (h) => h.name.toLowerCase() !== route.header.toLowerCase()
      );
      return { ...m, headers: [...others, header] };
    }),
    backendRefs: [{ ...canary, weight: 1 }],
  };
}

function readRules(ref: ResourceRef, config: GatewayApiTraffic, spec: Json): RoutingState | null {
  const ruleName = config.rule ?? DEFAULT_RULE;
  const rules = (spec.rules as Rule[] | undefined) ?? [];
  const rule = rules.find((r) => r.name === ruleName);
  if (rule === undefined) return null;
  const weightOf = (service: string) => {
    const found = (rule.backendRefs ?? []).find((r) => isService(r, service));
    return found === undefined ? 0 : (found.weight ?? 1);
  };
  const weight = shareOf(weightOf(config.baselineService), weightOf(config.canaryService));
  if (weight === null)
    throw new TrafficError('gateway-api', `rule "${ruleName}" of ${describe(ref)} sends traffic nowhere`);

  const header = rules.find((r) => r.name === `${ruleName}-header`);
  return { weight, headerRoute: header === undefined ? null : headerOf(rule, header) };
}

/** The header match the header rule adds to the weighted rule's first match. */
function headerOf(rule: Rule, header: Rule): HeaderRoute | null {
  const own = new Set(
    ((rule.matches?.[0]?.headers as HeaderMatch[] | undefined) ?? []).map((h) => h.name.toLowerCase())
  );
  const added = ((header.matches?.[0]?.headers as HeaderMatch[] | undefined) ?? []).filter(
    (h) => !own.has(h.name.toLowerCase())
  );
  const last = added.at(-1);
  return last === undefined ? null : { header: last.name, value: last.value };
}

function isService(ref: BackendRef, name: string): boolean {
  return ref.name === name && (ref.kind ?? 'Service') === 'Service' && (ref.group ?? '') === '';
}

function canaryRef(baseline: BackendRef, config: GatewayApiTraffic): BackendRef {
  const port = config.port ?? baseline.port;
  return {
    ...(baseline.namespace === undefined ? {} : { namespace: baseline.namespace }),
    name: config.canaryService,
    ...(port === undefined ? {} : { port }),
  };
}
