import type { Logger } from 'pino';

import type { Bus } from '../bus/types.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/types.ts';
import type { Providers } from '../telemetry/types.ts';
import type { ControllerFor } from '../traffic/types.ts';

/** Everything the rollout loop talks to; tests hand in fakes for what cannot run here. */
export interface LoopDeps {
  store: Store;
  bus: Bus;
  providers: Providers;
  trafficFor: ControllerFor;
  logger: Logger;
  metrics: Metrics;
  /** Milliseconds since the epoch; a fake clock in tests. */
  clock: () => number;
  /** This replica's name, for leases. */
  owner: string;
  /** Whether decisions are also queued for Grafana as annotations. */
  annotations: boolean;
}
