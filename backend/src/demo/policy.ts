import type { Gate } from '../domain/gates/schemas.ts';
import type { Policy } from '../domain/policy.ts';

/**
 * The demo's policy: four short steps (5% → 15% → 30% → 50%, then all traffic
 * on completion), judged every second. The gates read the built-in router's
 * per-version metrics, through Prometheus when it runs, or straight from the
 * router otherwise.
 */
export function demoPolicy(provider: 'prometheus' | 'router', stepSeconds = 10): Policy {
  const step = (weight: number) => ({ weight, minDuration: `${stepSeconds}s` });
  const gates: Gate[] = [
    {
      name: 'error-rate',
      kind: 'error-rate',
      provider,
      minSamples: 40,
      alpha: 0.005,
    },
    { name: 'error-ratio', kind: 'error-ratio', provider, max: 0.05, minSamples: 40 },
    { name: 'slow-requests', kind: 'latency', provider, threshold: 0.25, maxFraction: 0.05, minSamples: 40 },
  ];
  if (provider === 'prometheus') {
    // A custom PromQL gate: the canary's share of 5xx over the last 10 s. With no
    // canary traffic the division has no series, which holds the rollout (never a pass).
    const rate = (codes: string) =>
      `sum(rate(sentra_router_requests_total{service="$service",version="$version"${codes}}[10s]))`;
    gates.push({
      name: 'recent-5xx',
      kind: 'query',
      provider,
      query: `(${rate(',code=~"5.."')} or vector(0)) / ${rate('')}`,
      op: '<',
      threshold: 0.25,
    });
  }
  return {
    name: 'demo-canary',
    description: 'Short steps for the demo: about ten seconds each, judged every second.',
    steps: [step(5), step(15), step(30), step(50)],
    gates,
    limits: { tickInterval: '1s', noDataTicks: 15, errorTicks: 5, failTicks: 2, telemetryLag: '1s', queryTimeout: '2s' },
  };
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
