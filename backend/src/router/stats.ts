import { Counter, Histogram, Registry } from 'prom-client';

import { formatDuration } from '../domain/duration.ts';
import { RouterError } from './errors.ts';
import type { StatsAnswer, VersionStats } from './schemas.ts';

/** Latency bucket bounds in seconds, suited to web requests. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Counts for one version; `buckets[i]` counts requests in bucket i alone, the last one above every bound. */
interface Tally {
  requests: number;
  errors: number;
  buckets: number[];
}

type Tallies = Map<string, Map<string, Tally>>;

interface Snapshot {
  at: number;
  tallies: Tallies;
}

export interface RouterStatsOptions {
  /** When the router started counting, in milliseconds since the epoch. */
  startedAt: number;
  /** How far back a windowed read may reach. */
  retentionMs: number;
}

/**
 * What the router has served, per service and version: plain counters for the
 * admin stats endpoint and the same numbers as Prometheus metrics on a registry
 * of the router's own. Snapshots taken at a steady interval let a read answer
 * the increase over a sliding window instead of the totals since start.
 */
export class RouterStats {
  readonly registry = new Registry();
  readonly #requests: Counter<'service' | 'version' | 'code'>;
  readonly #duration: Histogram<'service' | 'version'>;
  readonly #tallies: Tallies = new Map();
  readonly #snapshots: Snapshot[] = [];
  readonly #startedAt: number;
  readonly #retentionMs: number;
  #evicted = false;

  constructor(options: RouterStatsOptions) {
    this.#startedAt = options.startedAt;
    this.#retentionMs = options.retentionMs;
    this.#requests = new Counter({
      name: 'sentra_router_requests_total',
      help: 'Requests proxied by the Sentra router, by service, version and status code.',
      labelNames: ['service', 'version', 'code'],
      registers: [this.registry],
    });
    this.#duration = new Histogram({
      name: 'sentra_router_request_duration_seconds',
      help: 'Time from receiving a request to finishing its answer, by service and version.',
      labelNames: ['service', 'version'],
      buckets: [...LATENCY_BUCKETS],
      registers: [this.registry],
    });
  }

  /** Counts one finished request. `error` marks 5xx answers and requests that could not be delivered. */
  record(service: string, version: string, code: string, seconds: number, error: boolean): void {
    const tally = this.#tally(service, version);
    tally.requests += 1;
    if (error) tally.errors += 1;
    tally.buckets[bucketIndex(seconds)]! += 1;

    this.#requests.inc({ service, version, code });
    this.#duration.observe({ service, version }, seconds);
  }

  /** Remembers the counts as they are at `at`, and forgets what is older than the retention. */
  snapshot(at: number): void {
    this.#snapshots.push({ at, tallies: copy(this.#tallies) });
    const horizon = at - this.#retentionMs;
    while (this.#snapshots.length > 1 && this.#snapshots[1]!.at <= horizon) {
      this.#snapshots.shift();
      this.#evicted = true;
    }
  }

  /** Counts since the router started, or the increase over the last `windowMs`. */
  read(service: string, now: number, windowMs?: number): StatsAnswer {
    if (windowMs !== undefined && windowMs > this.#retentionMs) {
      const message = `must not be longer than ${formatDuration(this.#retentionMs)}, the history the router keeps`;
      throw new RouterError('SENTRA_ROUTER_INVALID', `/window ${message}`, [{ field: '/window', message }]);
    }
    const current = this.#tallies.get(service) ?? new Map<string, Tally>();
    const base = windowMs === undefined ? null : this.#baseFor(now - windowMs);
    const before = base?.tallies.get(service);

    const versions: Record<string, VersionStats> = {};
    for (const [version, tally] of current) {
      versions[version] = toStats(subtract(tally, before?.get(version)));
    }
    return { service, window: { from: base?.at ?? this.#startedAt, to: now }, versions };
  }

  /** The newest snapshot at or before `at`; before the first one, the empty start of the router. */
  #baseFor(at: number): Snapshot {
    let found: Snapshot | null = null;
    for (const snapshot of this.#snapshots) {
      if (snapshot.at > at) break;
      found = snapshot;
    }
    if (found) return found;
    if (this.#evicted && this.#snapshots[0]) return this.#snapshots[0];
    return { at: this.#startedAt, tallies: new Map() };
  }

  #tally(service: string, version: string): Tally {
    let versions = this.#tallies.get(service);
    if (!versions) {
      versions = new Map();
      this.#tallies.set(service, versions);
    }
    let tally = versions.get(version);
    if (!tally) {
      tally = { requests: 0, errors: 0, buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0) };
      versions.set(version, tally);
    }
    return tally;
  }
}

function bucketIndex(seconds: number): number {
  for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
    if (seconds <= LATENCY_BUCKETS[i]!) return i;
  }
  return LATENCY_BUCKETS.length;
}

function subtract(tally: Tally, before: Tally | undefined): Tally {
  if (!before) return tally;
  return {
    requests: tally.requests - before.requests,
    errors: tally.errors - before.errors,
    buckets: tally.buckets.map((count, i) => count - (before.buckets[i] ?? 0)),
  };
}

function toStats(tally: Tally): VersionStats {
  let running = 0;
  const buckets = tally.buckets.map((count, i) => {
    running += count;
    const le = i < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[i]! : ('+Inf' as const);
    return { le, count: running };
  });
  return { requests: tally.requests, errors: tally.errors, buckets, count: tally.requests };
}

function copy(tallies: Tallies): Tallies {
  const out: Tallies = new Map();
  for (const [service, versions] of tallies) {
    const inner = new Map<string, Tally>();
    for (const [version, t] of versions) inner.set(version, { ...t, buckets: [...t.buckets] });
    out.set(service, inner);
  }
  return out;
}
