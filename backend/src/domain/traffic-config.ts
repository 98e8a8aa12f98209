import Type from 'typebox';

/**
 * How Sentra moves a service's traffic, set per policy and overridable per
 * rollout. Each controller kind has its own schema; `controller` tells them apart.
 */

/** The built-in router; `url` is its admin address (the backend's default router when left out). */
export const RouterTraffic = Type.Object(
  {
    controller: Type.Literal('router'),
    url: Type.Optional(Type.String({ format: 'uri', maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const TRAFFIC_SCHEMAS = {
  router: RouterTraffic,
} as const;

export type ControllerKind = keyof typeof TRAFFIC_SCHEMAS;
export const CONTROLLER_KINDS = Object.keys(TRAFFIC_SCHEMAS) as ControllerKind[];

export const TrafficConfig = Type.Union([RouterTraffic]);
export type TrafficConfig = Type.Static<typeof TrafficConfig>;

export const DEFAULT_TRAFFIC: TrafficConfig = { controller: 'router' };
