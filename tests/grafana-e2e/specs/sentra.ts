import type { Page } from '@playwright/test';

/** What the specs rely on from provisioning/ and docker-compose.yml. */
export const APP_ID = 'ashsan-sentra-app';
export const DATASOURCE_UIDS = ['sentra-prometheus', 'sentra-loki', 'sentra-tempo'] as const;
export const DEMO_DASHBOARD = 'demo.json';

/** Sentra's API as the app calls it: through Grafana's plugin proxy, which adds the backend token. */
export function sentraApi(path: string): string {
  return `/api/plugin-proxy/${APP_ID}/sentra/api/v1${path}`;
}

export interface GrafanaAnnotation {
  id: number;
  time: number;
  timeEnd?: number;
  text: string;
  tags: string[];
}

/** Organization annotations carrying every one of `tags`, from Grafana's annotations API. */
export async function annotations(page: Page, tags: string[], from: number): Promise<GrafanaAnnotation[]> {
  const query = new URLSearchParams({
    type: 'annotation',
    limit: '100',
    from: String(from),
    to: String(Date.now() + 60_000),
  });
  for (const tag of tags) query.append('tags', tag);
  const response = await page.request.get(`/api/annotations?${query}`);
  if (!response.ok()) throw new Error(`GET /api/annotations answered ${response.status()}`);
  return (await response.json()) as GrafanaAnnotation[];
}
