import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The backend's own metrics, on a registry of its own so that tests can build many apps. */
export interface Metrics {
  registry: Registry;
  decisions: Counter<'service' | 'decision' | 'actor'>;
  verdicts: Counter<'service' | 'gate' | 'verdict'>;
  tickSeconds: Histogram<'outcome'>;
  weight: Gauge<'service' | 'rollout'>;
  trafficErrors: Counter<'controller'>;
}

export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaults) collectDefaultMetrics({ register: registry, prefix: 'sentra_' });
  const registers = [registry];
  return {
    registry,
    decisions: new Counter({
      name: 'sentra_decisions_total',
      help: 'Decisions recorded, by service, decision and actor kind (controller or operator).',
      labelNames: ['service', 'decision', 'actor'],
      registers,
    }),
    verdicts: new Counter({
      name: 'sentra_gate_verdicts_total',
      help: 'Gate verdicts, by service, gate and verdict.',
      labelNames: ['service', 'gate', 'verdict'],
      registers,
    }),
    tickSeconds: new Histogram({
      name: 'sentra_tick_duration_seconds',
      help: 'Time to judge one rollout tick, from the first query to the stored decision.',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    weight: new Gauge({
      name: 'sentra_rollout_canary_weight',
      help: 'Canary weight in force for each live rollout, in percent.',
      labelNames: ['service', 'rollout'],
      registers,
    }),
    trafficErrors: new Counter({
      name: 'sentra_traffic_errors_total',
      help: 'Traffic changes that failed or could not be confirmed, by controller.',
      labelNames: ['controller'],
      registers,
    }),
  };
}
