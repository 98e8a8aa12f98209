import { fixedHorizonCritical, fixedHorizonSamples, waldBounds } from '../../../backend/src/domain/stats/wald.ts';
import type { Outcome, Rule, Run } from '../outcome.ts';
import type { Prepared } from '../world.ts';
import { HORIZON_MS, SLICE_MS, WEIGHTS, meanRates } from '../world.ts';

/**
 * The reference tests, which no real rule can be: they know the healthy and
 * the faulty rate exactly, slice by slice, and watch the canary at the weight
 * where the fault shows, without ever changing it. Wald's sequential test is
 * checked every slice (one Sentra tick); the fixed-horizon test decides once,
 * after the number of canary requests its formula asks for.
 */
const ALPHA = 0.005;
const BETA = 0.05;

/** The weight the oracles watch at, and whether the fault is in errors or in slow requests. */
function setting(world: Prepared): { weight: number; metric: 'errors' | 'slow' } {
  const s = world.scenario;
  const weight = s.kind === 'under-weight' ? s.faultFromWeight : WEIGHTS[0];
  return { weight, metric: s.kind === 'latency' ? 'slow' : 'errors' };
}

function rates(world: Prepared, metric: 'errors' | 'slow', slice: number): { p0: number; p1: number } {
  const r = world.rates;
  return metric === 'errors'
    ? { p0: r.baselineError[slice]!, p1: r.canaryError[slice]! }
    : { p0: r.baselineSlow[slice]!, p1: r.canarySlow[slice]! };
}

export const waldRule: Rule = {
  id: 'wald',
  family: 'oracle',
  label: 'Wald SPRT (knows p0, p1)',
  isDefault: true,
  knobs: [0],
  run: (r: Run): Outcome => {
    const { weight, metric } = setting(r.world);
    const bounds = waldBounds(ALPHA, BETA);
    let llr = 0;
    for (let t = SLICE_MS; t <= HORIZON_MS; t += SLICE_MS) {
      const s = r.sample(t - SLICE_MS, t, weight).canary;
      const hits = metric === 'errors' ? s.errors : s.slow;
      const { p0, p1 } = rates(r.world, metric, t / SLICE_MS - 1);
      llr += hits * Math.log(p1 / p0) + (s.requests - hits) * Math.log((1 - p1) / (1 - p0));
      if (llr >= bounds.upper) return r.end('rollback', t);
      if (llr <= bounds.lower) return r.end('complete', t);
    }
    return r.end('running', HORIZON_MS);
  },
};

export const fixedRule: Rule = {
  id: 'fixed',
  family: 'oracle',
  label: 'Fixed horizon (knows p0, p1)',
  isDefault: true,
  knobs: [0],
  run: (r: Run): Outcome => {
    const { weight, metric } = setting(r.world);
    const s = r.world.scenario;
    // A slow burn has no single faulty rate to size a fixed horizon for.
    if (s.kind === 'slow-burn') return r.end('running', HORIZON_MS);
    const mean = meanRates(s);
    const p0 = metric === 'errors' ? mean.error0 : mean.slow0;
    const p1 = metric === 'errors' ? mean.error1 : mean.slow1;
    if (!(p1 > p0)) return r.end('running', HORIZON_MS);
    const n = fixedHorizonSamples(p0, p1, ALPHA, BETA);
    let requests = 0;
    let hits = 0;
    for (let t = SLICE_MS; t <= HORIZON_MS; t += SLICE_MS) {
      const c = r.sample(t - SLICE_MS, t, weight).canary;
      requests += c.requests;
      hits += metric === 'errors' ? c.errors : c.slow;
      if (requests >= n) return r.end(hits > fixedHorizonCritical(requests, p0, ALPHA) ? 'rollback' : 'complete', t);
    }
    return r.end('running', HORIZON_MS);
  },
};
