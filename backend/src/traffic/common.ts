import type { HeaderRoute } from '../domain/policy.ts';
import type { RoutingState } from '../domain/rollout.ts';
import type { ControllerKind, TrafficConfigOf } from '../domain/traffic-config.ts';
import type { TrafficTarget } from './types.ts';
import { TrafficError } from './types.ts';

/** The part of a pino logger a controller uses: fields first, a constant message. */
export interface TrafficLog {
  info(fields: Record<string, unknown>, message: string): void;
}

/** Logged once for every change a controller really makes to a proxy. */
export const TRAFFIC_CHANGED = 'traffic changed';

export const SILENT_LOG: TrafficLog = { info() {} };

/** The target's settings, refused when they belong to another controller kind. */
export function configFor<K extends ControllerKind>(kind: K, target: TrafficTarget): TrafficConfigOf<K> {
  if (target.config.controller !== kind) {
    throw new TrafficError(kind, `the ${kind} controller was handed settings for "${target.config.controller}"`);
  }
  return target.config as TrafficConfigOf<K>;
}

/**
 * Refuses a desired state no proxy could carry: a weight outside 0 to 100 (or
 * not a number), a header route with an empty or malformed name, or a value
 * that holds a control character (it could never arrive in a request).
 */
export function checkDesired(kind: ControllerKind, desired: RoutingState): void {
  const { weight, headerRoute } = desired;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 100) {
    throw new TrafficError(kind, `desired weight must be a number from 0 to 100, got ${String(weight)}`);
  }
  if (headerRoute === null) return;
  if (!/^[A-Za-z0-9-]{1,64}$/.test(headerRoute.header)) {
    throw new TrafficError(kind, `header route name "${headerRoute.header}" is not a header name`);
  }
  if (headerRoute.value.length === 0 || /[\u0000-\u001f\u007f]/.test(headerRoute.value)) {
    throw new TrafficError(kind, 'header route value must be non-empty and free of control characters');
  }
}

/**
 * Integer weights for the baseline and the canary that add up to 100, the
 * way proxies with integer server weights can carry them. A fractional
 * desired weight is rounded; the controller reports what it read back.
 */
export function integerSplit(weight: number): { baseline: number; canary: number } {
  const canary = Math.round(weight);
  return { baseline: 100 - canary, canary };
}

/** The canary's share in percent from two server weights; null when both are zero (nothing is served). */
export function shareOf(baseline: number, canary: number): number | null {
  const total = baseline + canary;
  return total > 0 ? (canary / total) * 100 : null;
}

export function sameHeaderRoute(a: HeaderRoute | null, b: HeaderRoute | null): boolean {
  if (a === null || b === null) return a === b;
  return a.header.toLowerCase() === b.header.toLowerCase() && a.value === b.value;
}

/** Fields for the `traffic changed` log line. */
export function changeFields(target: TrafficTarget, change: string, desired: RoutingState): Record<string, unknown> {
  return {
    controller: target.config.controller,
    service: target.service,
    change,
    weight: desired.weight,
    headerRoute: desired.headerRoute === null ? null : `${desired.headerRoute.header}: ${desired.headerRoute.value}`,
  };
}

/**
 * Runs one task at a time per key. Two ticks that apply to the same proxy
 * object must not interleave their read-modify-write steps.
 */
export class KeyedQueue {
  #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }
}

/** A readable reason from anything thrown. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
