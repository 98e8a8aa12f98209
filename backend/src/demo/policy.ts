import type { Gate } from '../domain/gates/schemas.ts';
import type { Policy } from '../domain/policy.ts';
import { ROUTER_REQUESTS_METRIC } from '../telemetry/prometheus.ts';
import { DEMO_REQUESTS_METRIC, DEMO_SERVICE_QUERIES } from './service-metrics.ts';

/**
 * What the demo's gates read:
 * - `router`: the built-in router's per-version counters, straight from it;
 * - `prometheus`: the same counters, as the router's metrics scraped by Prometheus;
 * - `service-metrics`: the demo service's own metrics scraped by Prometheus,
 *   for when a real proxy (HAProxy, NGINX) moves the traffic and no router counts it.
 */
export type DemoTelemetry = 'router' | 'prometheus' | 'service-metrics';

/**
 * The demo's policy: four short steps (5% → 15% → 30% → 50%, then all traffic
 * on completion), judged every second, with the same gates whatever they read.
 */
export function demoPolicy(telemetry: DemoTelemetry, stepSeconds = 10): Policy {
  const step = (weight: number) => ({ weight, minDuration: `${stepSeconds}s` });
  return {
    name: 'demo-canary',
    description: 'Short steps for the demo: about ten seconds each, judged every second.',
    steps: [step(5), step(15), step(30), step(50)],
    gates: demoGates(telemetry),
    limits: {
      tickInterval: '1s',
      noDataTicks: 15,
      errorTicks: 5,
      failTicks: 2,
      telemetryLag: '1s',
      queryTimeout: '2s',
    },
  };
}

function demoGates(telemetry: DemoTelemetry): Gate[] {
  const provider = telemetry === 'router' ? 'router' : 'prometheus';
  // The router's metrics are the Prometheus provider's defaults; the demo service's own need queries.
  const own = telemetry === 'service-metrics';
  const counts = own ? { query: { requests: DEMO_SERVICE_QUERIES.requests, errors: DEMO_SERVICE_QUERIES.errors } } : {};
  const histogram = own ? { query: { histogram: DEMO_SERVICE_QUERIES.histogram } } : {};
  const gates: Gate[] = [
    { name: 'error-rate', kind: 'error-rate', provider, minSamples: 40, alpha: 0.005, ...counts },
    { name: 'error-ratio', kind: 'error-ratio', provider, max: 0.05, minSamples: 40, ...counts },
    // Slow requests judged canary against baseline: a machine slowed down for both
    // versions (a busy host, a noisy neighbour) is no reason to roll the canary back.
    {
      name: 'slow-requests',
      kind: 'latency',
      provider,
      threshold: 0.25,
      compare: true,
      minSamples: 40,
      ...histogram,
    },
  ];
  if (provider === 'prometheus') {
    // A custom PromQL gate: the canary's share of 5xx over the last 10 s. With no
    // canary traffic the division has no series, which holds the rollout (never a pass).
    const metric = own ? DEMO_REQUESTS_METRIC : ROUTER_REQUESTS_METRIC;
    const rate = (codes: string) => `sum(rate(${metric}{service="$service",version="$version"${codes}}[10s]))`;
    gates.push({
      name: 'recent-5xx',
      kind: 'query',
      provider,
      query: `(${rate(',code=~"5.."')} or vector(0)) / ${rate('')}`,
      op: '<',
      threshold: 0.25,
    });
  }
  return gates;
}

/**
 * The gates on the demo service's logs in Loki, added to the policy by
 * `--loki`. `log-error-rate` compares error lines per request with the
 * baseline and tolerates 6 points more: it guards against a flood of error
 * lines, not against a few. `new-errors` fails once the canary has written
 * an error template five times that the baseline never wrote, over the
 * rollout and the ten minutes before it; until then a new template holds the
 * rollout where it is.
 */
export function logGates(): Gate[] {
  return [
    {
      name: 'log-error-rate',
      kind: 'error-rate',
      provider: 'loki',
      minSamples: 40,
      alpha: 0.005,
      tolerance: { absolute: 0.06 },
    },
    { name: 'new-errors', kind: 'new-errors', provider: 'loki', minOccurrences: 5, baselineLookback: '10m' },
  ];
}
