import { dateTimeFormat, dateTimeFormatTimeAgo } from '@grafana/data';

import type { GateKind, WireNumber } from '../api/types';

export function formatTime(ms: number): string {
  return dateTimeFormat(ms, { format: 'YYYY-MM-DD HH:mm:ss' });
}

export function formatAge(ms: number): string {
  return dateTimeFormatTimeAgo(ms);
}

export function formatDurationMs(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) {
    return `${seconds}s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes}m ${seconds % 60}s`;
  }
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** A number from the API as a JavaScript number (infinities and NaN included). */
export function numberOf(value: WireNumber | null): number | null {
  if (value === null || typeof value === 'number') {
    return value;
  }
  return value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : NaN;
}

/** Up to four significant digits, without trailing noise; infinities and NaN as Prometheus writes them. */
export function formatNumber(value: WireNumber): string {
  if (typeof value === 'string') {
    return value;
  }
  if (!Number.isFinite(value)) {
    return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
  }
  return Number(value.toPrecision(4)).toString();
}

/**
 * A gate's observed value or threshold in its own unit: rates and fractions
 * as percentages, quantile latencies in seconds, burn rates as a multiple of
 * the budget, query values as they are.
 */
export function formatGateValue(value: WireNumber | null, kind: GateKind, quantileLatency = false): string {
  if (value === null) {
    return '–';
  }
  if (typeof value === 'string' || !Number.isFinite(value)) {
    return formatNumber(value);
  }
  if (kind === 'error-rate' || kind === 'error-ratio' || (kind === 'latency' && !quantileLatency)) {
    return `${formatNumber(value * 100)}%`;
  }
  if (kind === 'latency') {
    return `${formatNumber(value)} s`;
  }
  if (kind === 'burn-rate') {
    return `${formatNumber(value)}×`;
  }
  return formatNumber(value);
}

export function formatPValue(p: WireNumber | null): string {
  if (p === null) {
    return '–';
  }
  return typeof p === 'number' && p < 0.0001 ? '< 0.0001' : formatNumber(p);
}
