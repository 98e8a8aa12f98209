import { Counter, Histogram, Registry } from 'prom-client';

import { LATENCY_BUCKETS } from '../router/stats.ts';

/** The demo service's own metrics, as it exposes them on `GET /metrics`. */
export const DEMO_REQUESTS_METRIC = 'sentra_demo_requests_total';
export const DEMO_RECEIVED_METRIC = 'sentra_demo_requests_received_total';
export const DEMO_DURATION_METRIC = 'sentra_demo_request_duration_seconds';

const SELECTOR = 'service="$service",version="$version"';

/**
 * Gate queries on the demo service's own metrics, for gates that judge a
 * rollout through Prometheus when a real proxy moves the traffic. They have
 * the same shape as the built-in router's defaults: one series per version
 * once summed over the instances Prometheus scrapes.
 */
export const DEMO_SERVICE_QUERIES = {
  requests: `sum(${DEMO_REQUESTS_METRIC}{${SELECTOR}})`,
  errors: `sum(${DEMO_REQUESTS_METRIC}{${SELECTOR},code=~"5.."})`,
  histogram: DEMO_DURATION_METRIC,
} as const;

/**
 * What one demo service instance has answered, on a registry of its own (one
 * process may run several versions side by side): requests by status code
 * and a latency histogram, both labelled with the service and the version,
 * and the requests that arrived (answered yet or not).
 *
 * It counts the answers the instance gave, so it cannot see a request that a
 * proxy in front of it failed to deliver (a refused connection, a proxy
 * timeout); those show only in the proxy's own telemetry.
 */
export class DemoMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'service' | 'version' | 'code'>;
  readonly #received: Counter<'service' | 'version'>;
  readonly #duration: Histogram<'service' | 'version'>;
  readonly #labels: { service: string; version: string };

  constructor(service: string, version: string) {
    this.#labels = { service, version };
    this.#requests = new Counter({
      name: DEMO_REQUESTS_METRIC,
      help: 'Requests the demo service answered, by service, version and status code.',
      labelNames: ['service', 'version', 'code'],
      registers: [this.registry],
    });
    this.#received = new Counter({
      name: DEMO_RECEIVED_METRIC,
      help: 'Requests that arrived at the demo service, answered yet or not, by service and version.',
      labelNames: ['service', 'version'],
      registers: [this.registry],
    });
    this.#duration = new Histogram({
      name: DEMO_DURATION_METRIC,
      help: 'Time from receiving a request to finishing its answer, by service and version.',
      labelNames: ['service', 'version'],
      buckets: [...LATENCY_BUCKETS],
      registers: [this.registry],
    });
  }

  /** Counts one request as it arrives. */
  arrived(): void {
    this.#received.inc(this.#labels);
  }

  /** Counts one answered request. */
  record(code: number, seconds: number): void {
    this.#requests.inc({ ...this.#labels, code: String(code) });
    this.#duration.observe(this.#labels, seconds);
  }

  /** Requests answered so far, whatever their status. */
  async requests(): Promise<number> {
    return total(await this.#requests.get());
  }

  /** Requests that have arrived so far, answered yet or not. */
  async received(): Promise<number> {
    return total(await this.#received.get());
  }

  /** The text exposition format, for `GET /metrics`. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function total(metric: { values: { value: number }[] }): number {
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}
