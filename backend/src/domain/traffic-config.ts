import Type from 'typebox';

import { DURATION_PATTERN } from './duration.ts';

/**
 * How Sentra moves a service's traffic, set per policy and overridable per
 * rollout. Each controller kind has its own schema; `controller` tells them apart.
 *
 * Nothing here names an executable or a credential: the nginx binary, the
 * Kubernetes credentials and webhook secrets come from the backend's own
 * settings, so whoever may write a policy cannot make Sentra run a program
 * or read an arbitrary secret.
 */

const Duration = Type.String({ pattern: DURATION_PATTERN, description: 'e.g. 500ms, 10s, 5m, 1h' });
const AbsolutePath = Type.String({ pattern: '^/[^\\s;{}#\'"]{1,1000}$', description: 'an absolute path' });
/** An RFC 1123 label, as Kubernetes names namespaces and Services. */
const DnsLabel = Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' });
/** An RFC 1123 subdomain, as Kubernetes names most objects. */
const DnsSubdomain = Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$' });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });

/** The built-in router; `url` is its admin address (the backend's default router when left out). */
export const RouterTraffic = Type.Object(
  {
    controller: Type.Literal('router'),
    url: Type.Optional(Type.String({ format: 'uri', maxLength: 2000 })),
  },
  { additionalProperties: false }
);

/** HAProxy names backends and servers with letters, digits, '-', '_', '.' and ':'. */
const HaproxyName = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,100}$' });

/**
 * HAProxy, changed through its runtime API without a reload. `socket` is the
 * stats socket: an absolute unix socket path or `host:port`. The header route
 * lives in `headerMap`, a map file the HAProxy configuration loads (see
 * docs/traffic-controllers.md for the lines it needs).
 */
export const HaproxyTraffic = Type.Object(
  {
    controller: Type.Literal('haproxy'),
    socket: Type.String({
      pattern: '^(/[^\\s]{1,1000}|[A-Za-z0-9.-]{1,253}:[0-9]{1,5}|\\[[0-9A-Fa-f:.]{2,45}\\]:[0-9]{1,5})$',
    }),
    backend: HaproxyName,
    baselineServer: HaproxyName,
    canaryServer: HaproxyName,
    headerMap: Type.Optional(AbsolutePath),
    timeout: Type.Optional(Duration),
  },
  { additionalProperties: false }
);

/** An nginx upstream server address: `host:port` or `unix:/path`. */
const NginxServer = Type.String({
  pattern: '^([A-Za-z0-9.-]{1,253}:[0-9]{1,5}|\\[[0-9A-Fa-f:.]{2,45}\\]:[0-9]{1,5}|unix:/[^\\s;{}#\'"]{1,1000})$',
});

/**
 * NGINX, changed by rewriting one include file and reloading gracefully.
 * Sentra writes `includeFile` (and only a file it wrote before, or a new
 * one), checks the whole configuration with `nginx -t -c mainConfig` before
 * it swaps the file in, then reloads. The include defines upstream `<upstream>`
 * (weighted), `<upstream>_canary` and the variable `$<upstream>_upstream`
 * that the server block passes to: `proxy_pass http://$<upstream>_upstream;`.
 */
export const NginxTraffic = Type.Object(
  {
    controller: Type.Literal('nginx'),
    includeFile: AbsolutePath,
    mainConfig: AbsolutePath,
    /** nginx's `-p` prefix, when the main configuration relies on one. */
    prefix: Type.Optional(AbsolutePath),
    upstream: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$' }),
    baselineServer: NginxServer,
    canaryServer: NginxServer,
    /** Extra parameters for both server lines, such as `max_fails=3 fail_timeout=10s`. */
    serverParameters: Type.Optional(
      Type.String({ pattern: '^[a-z_]+(=[A-Za-z0-9._]+)?( [a-z_]+(=[A-Za-z0-9._]+)?){0,9}$' })
    ),
    timeout: Type.Optional(Duration),
  },
  { additionalProperties: false }
);

/**
 * Kubernetes Gateway API: the weights of the rule named `rule` of an
 * HTTPRoute, and a header-match rule named `<rule>-header` that Sentra adds
 * and removes. Nothing else in the route is touched.
 */
export const GatewayApiTraffic = Type.Object(
  {
    controller: Type.Literal('gateway-api'),
    namespace: DnsLabel,
    httpRoute: DnsSubdomain,
    baselineService: DnsLabel,
    canaryService: DnsLabel,
    /** Service port for the canary's backendRef; the baseline's is kept as found (this is its default). */
    port: Type.Optional(Port),
    rule: Type.Optional(DnsLabel),
  },
  { additionalProperties: false }
);

/**
 * Istio: the weights of the http route named `route` of a VirtualService,
 * between two subsets of `host`, and a header-match route named
 * `<route>-header` that Sentra adds just before it and removes.
 */
export const IstioTraffic = Type.Object(
  {
    controller: Type.Literal('istio'),
    namespace: DnsLabel,
    virtualService: DnsSubdomain,
    host: DnsSubdomain,
    baselineSubset: DnsLabel,
    canarySubset: DnsLabel,
    port: Type.Optional(Port),
    route: Type.Optional(DnsLabel),
    /** networking.istio.io version the cluster serves: v1 from Istio 1.22, v1beta1 before. */
    apiVersion: Type.Optional(Type.Union([Type.Literal('v1'), Type.Literal('v1beta1')])),
  },
  { additionalProperties: false }
);

/**
 * Any other proxy: Sentra POSTs the desired state to `url`, signed with
 * HMAC-SHA256 when `secretEnv` names an environment variable of the backend
 * (only names starting with SENTRA_WEBHOOK_SECRET are accepted).
 */
export const WebhookTraffic = Type.Object(
  {
    controller: Type.Literal('webhook'),
    url: Type.String({ pattern: '^https?://[^\\s]{1,2000}$' }),
    secretEnv: Type.Optional(Type.String({ pattern: '^SENTRA_WEBHOOK_SECRET[A-Z0-9_]{0,64}$' })),
    timeout: Type.Optional(Duration),
  },
  { additionalProperties: false }
);

export const TRAFFIC_SCHEMAS = {
  router: RouterTraffic,
  haproxy: HaproxyTraffic,
  nginx: NginxTraffic,
  'gateway-api': GatewayApiTraffic,
  istio: IstioTraffic,
  webhook: WebhookTraffic,
} as const;

export type ControllerKind = keyof typeof TRAFFIC_SCHEMAS;
export const CONTROLLER_KINDS = Object.keys(TRAFFIC_SCHEMAS) as ControllerKind[];

export const TrafficConfig = Type.Union([
  RouterTraffic,
  HaproxyTraffic,
  NginxTraffic,
  GatewayApiTraffic,
  IstioTraffic,
  WebhookTraffic,
]);
export type TrafficConfig = Type.Static<typeof TrafficConfig>;

export type RouterTraffic = Type.Static<typeof RouterTraffic>;
export type HaproxyTraffic = Type.Static<typeof HaproxyTraffic>;
export type NginxTraffic = Type.Static<typeof NginxTraffic>;
export type GatewayApiTraffic = Type.Static<typeof GatewayApiTraffic>;
export type IstioTraffic = Type.Static<typeof IstioTraffic>;
export type WebhookTraffic = Type.Static<typeof WebhookTraffic>;

/** The settings of one controller kind. */
export type TrafficConfigOf<K extends ControllerKind> = Extract<TrafficConfig, { controller: K }>;

export const DEFAULT_TRAFFIC: TrafficConfig = { controller: 'router' };
