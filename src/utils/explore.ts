import { urlUtil } from '@grafana/data';
import { config } from '@grafana/runtime';

import { formatDuration } from '../../backend/src/domain/duration.ts';
import type { Gate } from '../api/types';

interface RolloutVersions {
  service: string;
  canary: string;
}

interface Window {
  from: number;
  to: number;
}

/**
 * A link that opens a gate's query in Grafana Explore on the gate's own data
 * source, filled in for the canary and the gate's last judged window. Only
 * for gates that name a data source; the built-in router has none.
 */
export function exploreUrl(gate: Gate, rollout: RolloutVersions, window: Window | null): string | null {
  if (!gate.datasourceUid || gate.provider === 'router') {
    return null;
  }
  const queries = gateQueries(gate);
  if (queries.length === 0) {
    return null;
  }
  const windowText = 'window' in gate && gate.window ? gate.window : formatDuration(windowLength(window));
  const values: Record<string, string> = {
    service: rollout.service,
    version: rollout.canary,
    window: windowText,
    threshold: 'threshold' in gate ? String(gate.threshold) : '',
  };
  const uid = gate.datasourceUid;
  const pane = {
    datasource: uid,
    queries: queries.map((query, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: { uid },
      ...queryFields(gate.provider, fillTemplate(query, values)),
    })),
    range: window ? { from: String(window.from), to: String(window.to) } : { from: 'now-1h', to: 'now' },
  };
  return urlUtil.renderUrl(`${config.appSubUrl ?? ''}/explore`, {
    schemaVersion: 1,
    panes: JSON.stringify({ sentra: pane }),
  });
}

function windowLength(window: Window | null): number {
  const length = window ? window.to - window.from : 0;
  return length > 0 ? length : 60_000;
}

/** The queries a gate sends, still as templates. */
export function gateQueries(gate: Gate): string[] {
  switch (gate.kind) {
    case 'query':
      return [gate.query];
    case 'error-rate':
    case 'error-ratio':
    case 'burn-rate':
      return gate.query ? [gate.query.errors, gate.query.requests] : [];
    case 'latency':
      return gate.query ? [latencyQuery(gate.query.histogram, gate.query.selector ?? '', gate)] : [];
    case 'new-errors':
      return gate.query ? [gate.query.errors] : [];
    default:
      return [];
  }
}

function latencyQuery(histogram: string, selector: string, gate: Extract<Gate, { kind: 'latency' }>): string {
  const buckets = `sum by (le) (rate(${histogram}_bucket{${selector}}[$window]))`;
  if (gate.quantile !== undefined) {
    return `histogram_quantile(${gate.quantile}, ${buckets})`;
  }
  const fast = `sum(rate(${histogram}_bucket{${[selector, `le="${gate.threshold}"`].filter(Boolean).join(',')}}[$window]))`;
  return `1 - ${fast} / sum(rate(${histogram}_count{${selector}}[$window]))`;
}

export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\$([a-z]+)/g, (whole, name: string) => values[name] ?? whole);
}

function queryFields(provider: Gate['provider'], query: string): Record<string, string> {
  if (provider === 'tempo') {
    return { queryType: 'traceql', query };
  }
  return { expr: query };
}
