import { failed, reading } from '../domain/gates/observation.ts';
import type { Reading } from '../domain/gates/observation.ts';
import { formatLabels, parseSampleValue } from './prometheus-api.ts';

/**
 * What one instant query answered: one number, `null` when the answer holds
 * no series at all, or why there is no answer. More than one series is an
 * error: Sentra never picks one of several, nor averages them silently.
 */
export type Scalar = Reading<number | null>;

/** Runs one instant query evaluated at `atMs`; the same for a backend's own API and for Grafana's. */
export type InstantRunner = (query: string, atMs: number) => Promise<Scalar>;

/** One series of a Prometheus-style vector: its labels and its value as written on the wire. */
export interface VectorSample {
  metric: Record<string, string>;
  raw: unknown;
}

/** Reduces a vector to one number, saying which series were there when there are several. */
export function oneValue(samples: VectorSample[], what: string): Scalar {
  if (samples.length === 0) return reading(null);
  if (samples.length > 1) {
    const shown = samples
      .slice(0, 3)
      .map((s) => formatLabels(s.metric))
      .join(', ');
    return failed(`expected 1 series for ${what}, got ${samples.length}: ${shown}`);
  }
  const raw = samples[0]!.raw;
  // Loki writes values as strings (`"NaN"`, `"+Inf"` among them); Grafana's frames as numbers.
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseSampleValue(raw) : null;
  if (value === null) return failed(`unreadable sample value ${JSON.stringify(samples[0]!.raw)} for ${what}`);
  return reading(value);
}
