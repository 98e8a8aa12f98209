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
    gates.push({
      name: 'canary-traffic',
      kind: 'query',
      provider,
      query: 'sum(rate(sentra_router_requests_total{service="$service",version="$version"}[5s]))',
      op: '>',
      threshold: 0.5,
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
