import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;

/** Where the app's pages live inside Grafana. */
export const PLUGIN_BASE_URL = `/a/${PLUGIN_ID}`;

/**
 * Every backend call goes through Grafana's plugin proxy route `sentra`
 * (see plugin.json), which adds the API token kept in secureJsonData.
 */
export const API_BASE = `/api/plugin-proxy/${PLUGIN_ID}/sentra/api/v1`;

/** How long one long-poll for events waits on the backend, in seconds (Grafana's proxy gives up at 30). */
export const EVENTS_WAIT_SECONDS = 25;

export const ROUTES = {
  Rollouts: 'rollouts',
  StartRollout: 'start',
  Policies: 'policies',
  NewPolicy: 'policies/new',
} as const;

/** A page of the app; `route` is one of ROUTES, `id` is encoded. */
export function appUrl(route: string, id?: string): string {
  return `${PLUGIN_BASE_URL}/${route}${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;
}

export function rolloutUrl(id: string): string {
  return appUrl(ROUTES.Rollouts, id);
}

export function policyUrl(name: string): string {
  return appUrl(ROUTES.Policies, name);
}
