import { normalCdf, normalQuantile } from '../../backend/src/domain/stats/normal.ts';
import type { Rng } from './rng.ts';
import { logUniform, makeRng, poisson, seedOf, uniform } from './rng.ts';

/**
 * The simulated world a rollout runs in. A scenario fixes everything that is
 * not sampling noise: traffic, both versions' error rates and latency over
 * time, shared error and latency bursts, diurnal drift, the fault. Requests
 * arrive as a Poisson process and are routed at random, so over any interval
 * at a fixed weight each version's requests, errors and slow requests are
 * Poisson counts; their means come from prefix sums, so a sample over any
 * interval costs the same.
 */

/** Canary weights of the steps every rule walks through; the rollout completes after the last. */
export const WEIGHTS = [5, 15, 30, 50] as const;
export const SLICE_MS = 5_000;
export const HORIZON_MS = 2 * 3_600_000;
/** Requests slower than this many seconds are slow (the SLO bucket every latency check uses). */
export const SLO_BUCKET = 0.5;
export const TRAFFIC_LEVELS = [1, 10, 100, 1000] as const;

const DAY_MS = 86_400_000;
/** A slow burn's canary error rate grows linearly: twice the baseline's after this long, three times after twice this long. */
const SLOW_BURN_DOUBLING_MS = 300_000;
const SLICES = HORIZON_MS / SLICE_MS;

export type ScenarioKind = 'healthy' | 'traffic-drop' | 'error' | 'latency' | 'slow-burn' | 'under-weight';

export interface Burst {
  from: number;
  to: number;
  /** Multiplies both versions' error rates. */
  errors: number;
  /** Multiplies both versions' latencies. */
  latency: number;
}

export interface Scenario {
  index: number;
  kind: ScenarioKind;
  /** Canary requests per second at the first step's weight. */
  traffic: number;
  /** The baseline's usual error rate (what a person would read off a dashboard). */
  baselineError: number;
  /** The baseline's usual share of requests slower than SLO_BUCKET. */
  baselineSlow: number;
  /** Spread of log-latency; with baselineSlow it fixes the latency distribution. */
  latencySigma: number;
  /** Canary error rate over baseline error rate (error, under-weight faults). */
  errorRatio: number;
  /** Canary latency multiplier (latency faults). */
  latencyShift: number;
  /** Weight from which the under-weight fault shows. */
  faultFromWeight: number;
  diurnal: { phase: number; trafficAmp: number; errorAmp: number };
  bursts: Burst[];
  /** Traffic stops at this time (traffic-drop scenarios). */
  dropAt: number | null;
}

export interface Cell {
  kind: ScenarioKind;
  size: number;
  baselineError: number;
  traffic: number;
}

export interface CorpusSizes {
  healthyPerLevel: number;
  dropPerLevel: number;
  perCell: number;
}

export const FULL_SIZES: CorpusSizes = { healthyPerLevel: 5000, dropPerLevel: 250, perCell: 400 };
export const QUICK_SIZES: CorpusSizes = { healthyPerLevel: 200, dropPerLevel: 25, perCell: 40 };

export const ERROR_RATIOS = [1.5, 2, 5, 20];
export const ERROR_BASELINES = [0.001, 0.01];
export const LATENCY_SHIFTS = [1.1, 1.25, 1.5, 2];

/** The bad cells: fault kind and size, baseline error rate, traffic. */
export function badCells(): Cell[] {
  const cells: Cell[] = [];
  for (const traffic of TRAFFIC_LEVELS) {
    for (const baselineError of ERROR_BASELINES) {
      for (const size of ERROR_RATIOS) cells.push({ kind: 'error', size, baselineError, traffic });
    }
    for (const size of LATENCY_SHIFTS) cells.push({ kind: 'latency', size, baselineError: 0.005, traffic });
    cells.push({ kind: 'slow-burn', size: 1, baselineError: 0.01, traffic });
    cells.push({ kind: 'under-weight', size: 5, baselineError: 0.01, traffic });
  }
  return cells;
}

/** The whole corpus, deterministic in `seed`: scenarios and, for bad ones, their cell. */
export function makeCorpus(seed: number, sizes: CorpusSizes): { scenarios: Scenario[]; cellOf: (Cell | null)[] } {
  const scenarios: Scenario[] = [];
  const cellOf: (Cell | null)[] = [];
  const add = (kind: ScenarioKind, traffic: number, cell: Cell | null) => {
    const rng = makeRng(seedOf(seed, scenarios.length, 0xc0));
    scenarios.push(scenario(rng, scenarios.length, kind, traffic, cell));
    cellOf.push(cell);
  };
  for (const traffic of TRAFFIC_LEVELS) {
    for (let i = 0; i < sizes.healthyPerLevel; i++) add('healthy', traffic, null);
    for (let i = 0; i < sizes.dropPerLevel; i++) add('traffic-drop', traffic, null);
  }
  for (const cell of badCells()) {
    for (let i = 0; i < sizes.perCell; i++) add(cell.kind, cell.traffic, cell);
  }
  return { scenarios, cellOf };
}

function scenario(rng: Rng, index: number, kind: ScenarioKind, traffic: number, cell: Cell | null): Scenario {
  const healthyLike = kind === 'healthy' || kind === 'traffic-drop';
  const latency = kind === 'latency';
  return {
    index,
    kind,
    traffic,
    baselineError: healthyLike ? logUniform(rng, 0.001, 0.01) : cell!.baselineError,
    baselineSlow: latency ? 0.02 : uniform(rng, 0.01, 0.05),
    latencySigma: latency ? 0.6 : uniform(rng, 0.4, 0.8),
    errorRatio: kind === 'error' || kind === 'under-weight' ? cell!.size : 1,
    latencyShift: latency ? cell!.size : 1,
    faultFromWeight: 30,
    diurnal: { phase: uniform(rng, 0, 2 * Math.PI), trafficAmp: 0.3, errorAmp: 0.2 },
    bursts: makeBursts(rng),
    dropAt: kind === 'traffic-drop' ? Math.round(uniform(rng, 60_000, 150_000) / SLICE_MS) * SLICE_MS : null,
  };
}

/**
 * Shared bursts, about one every half hour: a dependency failing (errors ×3
 * to ×15), slowing down (latency ×1.3 to ×2.5), or both, for 10 to 90 seconds.
 * They hit both versions alike.
 */
function makeBursts(rng: Rng): Burst[] {
  const count = poisson(rng, HORIZON_MS / 1_800_000);
  const bursts: Burst[] = [];
  for (let i = 0; i < count; i++) {
    const from = Math.floor(uniform(rng, 0, HORIZON_MS) / SLICE_MS) * SLICE_MS;
    const to = from + Math.round(uniform(rng, 10_000, 90_000) / SLICE_MS) * SLICE_MS;
    const type = rng.next();
    const errors = type < 0.7 ? uniform(rng, 3, 15) : 1;
    const latency = type >= 0.4 ? uniform(rng, 1.3, 2.5) : 1;
    bursts.push({ from, to, errors, latency });
  }
  return bursts;
}

/** Counts of one version over one interval. */
export interface VersionCounts {
  requests: number;
  errors: number;
  slow: number;
}

export interface Sample {
  canary: VersionCounts;
  baseline: VersionCounts;
}

/** Expected rates of one scenario, slice by slice, as prefix sums. */
export interface Prepared {
  scenario: Scenario;
  requests: Float64Array;
  baselineErrors: Float64Array;
  baselineSlow: Float64Array;
  canaryErrors: Float64Array;
  canarySlow: Float64Array;
  /** Per slice: the canary's error and slow rates when healthy and when faulty, and the baseline's. */
  rates: {
    baselineError: Float64Array;
    canaryError: Float64Array;
    baselineSlow: Float64Array;
    canarySlow: Float64Array;
  };
}

export function prepare(s: Scenario): Prepared {
  const prefix = () => new Float64Array(SLICES + 1);
  const p = {
    scenario: s,
    requests: prefix(),
    baselineErrors: prefix(),
    baselineSlow: prefix(),
    canaryErrors: prefix(),
    canarySlow: prefix(),
    rates: {
      baselineError: new Float64Array(SLICES),
      canaryError: new Float64Array(SLICES),
      baselineSlow: new Float64Array(SLICES),
      canarySlow: new Float64Array(SLICES),
    },
  };
  const z0 = normalQuantile(1 - s.baselineSlow);
  for (let i = 0; i < SLICES; i++) {
    const t = i * SLICE_MS + SLICE_MS / 2;
    const day = Math.sin((2 * Math.PI * t) / DAY_MS + s.diurnal.phase);
    const burst = burstAt(s.bursts, t);
    const lam =
      s.dropAt !== null && t >= s.dropAt
        ? 0
        : (s.traffic / 0.05) * (1 + s.diurnal.trafficAmp * day) * (SLICE_MS / 1000);
    const pb = Math.min(0.9, s.baselineError * (1 + s.diurnal.errorAmp * day) * burst.errors);
    const pc = Math.min(0.95, pb * canaryRatio(s, t));
    const qb = 1 - normalCdf(z0 - Math.log(burst.latency) / s.latencySigma);
    const qc = 1 - normalCdf(z0 - Math.log(burst.latency * s.latencyShift) / s.latencySigma);
    p.rates.baselineError[i] = pb;
    p.rates.canaryError[i] = pc;
    p.rates.baselineSlow[i] = qb;
    p.rates.canarySlow[i] = qc;
    p.requests[i + 1] = p.requests[i]! + lam;
    p.baselineErrors[i + 1] = p.baselineErrors[i]! + lam * pb;
    p.baselineSlow[i + 1] = p.baselineSlow[i]! + lam * qb;
    p.canaryErrors[i + 1] = p.canaryErrors[i]! + lam * pc;
    p.canarySlow[i + 1] = p.canarySlow[i]! + lam * qc;
  }
  return p;
}

/**
 * The scenario's usual rates without bursts or drift: baseline and canary
 * error rates, and shares of slow requests, once the fault is in force (the
 * slow burn's canary rate is the one at time t).
 */
export function meanRates(s: Scenario, t = 0): { error0: number; error1: number; slow0: number; slow1: number } {
  const z0 = normalQuantile(1 - s.baselineSlow);
  const slow1 = 1 - normalCdf(z0 - Math.log(s.latencyShift) / s.latencySigma);
  const ratio = s.kind === 'healthy' || s.kind === 'traffic-drop' ? 1 : canaryRatio(s, t);
  return { error0: s.baselineError, error1: Math.min(0.95, s.baselineError * ratio), slow0: s.baselineSlow, slow1 };
}

/** Canary error rate over the baseline's at time t (weight-dependent faults are applied in `sample`). */
function canaryRatio(s: Scenario, t: number): number {
  if (s.kind === 'error' || s.kind === 'under-weight') return s.errorRatio;
  if (s.kind === 'slow-burn') return 1 + t / SLOW_BURN_DOUBLING_MS;
  return 1;
}

function burstAt(bursts: Burst[], t: number): { errors: number; latency: number } {
  let errors = 1;
  let latency = 1;
  for (const b of bursts) {
    if (t >= b.from && t < b.to) {
      errors *= b.errors;
      latency *= b.latency;
    }
  }
  return { errors, latency };
}

/** Whether the scenario's fault is in force at this weight. */
export function faultActive(s: Scenario, weight: number): boolean {
  if (s.kind === 'under-weight') return weight >= s.faultFromWeight;
  return s.kind === 'error' || s.kind === 'latency' || s.kind === 'slow-burn';
}

/**
 * Counts over [from, to) (multiples of SLICE_MS) with the canary at `weight` percent.
 * `rng` supplies the sampling noise.
 */
export function sample(p: Prepared, rng: Rng, from: number, to: number, weight: number): Sample {
  const i0 = Math.max(0, Math.min(SLICES, Math.round(from / SLICE_MS)));
  const i1 = Math.max(i0, Math.min(SLICES, Math.round(to / SLICE_MS)));
  const w = weight / 100;
  const lam = p.requests[i1]! - p.requests[i0]!;
  const faulty = faultActive(p.scenario, weight);
  const canaryErrors = faulty ? p.canaryErrors : p.baselineErrors;
  const canarySlow = faulty ? p.canarySlow : p.baselineSlow;
  return {
    canary: draw(rng, w * lam, w * (canaryErrors[i1]! - canaryErrors[i0]!), w * (canarySlow[i1]! - canarySlow[i0]!)),
    baseline: draw(
      rng,
      (1 - w) * lam,
      (1 - w) * (p.baselineErrors[i1]! - p.baselineErrors[i0]!),
      (1 - w) * (p.baselineSlow[i1]! - p.baselineSlow[i0]!)
    ),
  };
}

function draw(rng: Rng, requests: number, errors: number, slow: number): VersionCounts {
  const e = poisson(rng, errors);
  const total = e + poisson(rng, Math.max(0, requests - errors));
  return { requests: total, errors: e, slow: Math.min(total, poisson(rng, slow)) };
}
