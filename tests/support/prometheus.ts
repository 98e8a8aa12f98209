/** Starts a real Prometheus for tests: the same code the demo uses. */
export {
  PrometheusStartError,
  findOnPath,
  findPrometheus,
  startPrometheus,
} from '../../backend/src/demo/prometheus.ts';
export type { RunningPrometheus, StartPrometheusOptions } from '../../backend/src/demo/prometheus.ts';
