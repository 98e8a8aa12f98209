import type { Observation } from '../domain/gates/observation.ts';
import type { Gate, ProviderName } from '../domain/gates/schemas.ts';

/** What a provider needs to answer one gate on one tick. */
export interface ObserveContext {
  service: string;
  baseline: string;
  canary: string;
  /**
   * Time of the tick, in milliseconds: the wall clock in the live loop, a past
   * instant in a replay. A provider that reads history answers as of this time
   * and reads no clock of its own.
   */
  now: number;
  /** Telemetry newer than `now - lagMs` is still arriving: windows end there, and newer points are dropped. */
  lagMs: number;
  /** Per-query timeout; the provider must really abort a query that runs longer. */
  timeoutMs: number;
  /**
   * Where the last judged window ended: increments start there, and a sliding
   * window's provider checks that the canary served requests since; null at first.
   */
  windowEnd: number | null;
  /** Start of the rollout: no window reaches further back. */
  since: number;
}

/**
 * One telemetry backend. `observe` never throws for anything the backend or
 * the network can do: an HTTP error, a timeout, an unparseable body or an
 * unexpected number of series all come back as readings of kind `error`; an
 * empty result or NaN as `no-data`.
 */
export interface TelemetryProvider {
  readonly name: ProviderName;
  observe(gate: Gate, ctx: ObserveContext): Promise<Observation>;
}

export type Providers = Partial<Record<ProviderName, TelemetryProvider>>;

/** Replaces `$service`, `$version`, `$window` and `$threshold` in a query template. */
export function fillTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\$(service|version|window|threshold)\b/g, (whole, key: string) =>
    key in values ? String(values[key]) : whole
  );
}
