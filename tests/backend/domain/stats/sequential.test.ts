import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Counts } from '../../../../backend/src/domain/gates/observation.ts';
import type { SequentialSettings, SequentialState } from '../../../../backend/src/domain/stats/sequential.ts';
import {
  RATIO_ALTERNATIVES,
  carryOver,
  compareRates,
  freshSequential,
  logMixture,
  toleratedRatio,
} from '../../../../backend/src/domain/stats/sequential.ts';
import { waldExpectedSamples } from '../../../../backend/src/domain/stats/wald.ts';
import type { Random } from '../../../support/random.ts';
import { seeded } from '../../../support/random.ts';

const STRICT: SequentialSettings = { alpha: 0.005, beta: 0.05, relative: 0, absolute: 0 };

interface Rollout {
  /** Canary weight of each step, in percent. */
  weights: number[];
  ticksPerStep: number;
  /** Requests per tick over both versions. */
  perTick: number;
  baselineRate: number;
  /** Canary rate over baseline rate, per step. */
  ratio: (step: number) => number;
  /** Multiplies both versions' rates on a tick (a shared burst). */
  burst?: (rng: Random) => number;
}

/**
 * Drives the test as the gate does: step totals judged every tick, evidence
 * carried over at each step boundary. Returns the canary requests seen when
 * the test rejected, or null.
 */
function simulate(rng: Random, r: Rollout, settings = STRICT): number | null {
  let state: SequentialState | null = null;
  let seen = 0;
  for (let step = 0; step < r.weights.length; step++) {
    if (state) state = carryOver(state, true);
    const w = r.weights[step]! / 100;
    const canary: Counts = { requests: 0, errors: 0 };
    const baseline: Counts = { requests: 0, errors: 0 };
    for (let tick = 0; tick < r.ticksPerStep; tick++) {
      const shared = r.burst ? r.burst(rng) : 1;
      const pb = Math.min(0.9, r.baselineRate * shared);
      const pc = Math.min(0.9, pb * r.ratio(step));
      const ce = rng.poisson(r.perTick * w * pc);
      const be = rng.poisson(r.perTick * (1 - w) * pb);
      canary.errors += ce;
      canary.requests += ce + rng.poisson(r.perTick * w * (1 - pc));
      baseline.errors += be;
      baseline.requests += be + rng.poisson(r.perTick * (1 - w) * (1 - pb));
      const test = compareRates(canary, baseline, settings, state);
      state = test.state;
      if (test.decision === 'reject') return seen + canary.requests;
    }
    seen += canary.requests;
  }
  return null;
}

const HEALTHY: Rollout = {
  weights: [5, 15, 30, 50],
  ticksPerStep: 30,
  perTick: 400,
  baselineRate: 0.01,
  ratio: () => 1,
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('comparing canary and baseline error rates', () => {
  it('rolls back at most alpha of healthy canaries over whole four-step rollouts, looked at every tick', () => {
    const rng = seeded(11);
    const runs = 2000;
    let rejected = 0;
    for (let i = 0; i < runs; i++) if (simulate(rng, HEALTHY) !== null) rejected++;
    assert.ok(rejected <= runs * STRICT.alpha, `${rejected} of ${runs} healthy rollouts rolled back`);
  });

  it('is not fooled by error bursts that hit both versions at once', () => {
    const rng = seeded(12);
    const bursty = { ...HEALTHY, burst: (r: Random) => (r.next() < 0.05 ? 20 : 1) };
    const runs = 1000;
    let rejected = 0;
    for (let i = 0; i < runs; i++) if (simulate(rng, bursty) !== null) rejected++;
    assert.ok(rejected <= runs * STRICT.alpha, `${rejected} of ${runs} bursty healthy rollouts rolled back`);
  });

  it('catches a 5× canary over a 1% baseline within about twice Wald’s expected sample size', () => {
    const rng = seeded(13);
    const bad: Rollout = { weights: [5], ticksPerStep: 400, perTick: 200, baselineRate: 0.01, ratio: () => 5 };
    const caught: number[] = [];
    let missed = 0;
    for (let i = 0; i < 300; i++) {
      const n = simulate(rng, bad);
      if (n === null) missed++;
      else caught.push(n);
    }
    const wald = waldExpectedSamples(0.01, 0.05, 0.005, 0.05).fault;
    assert.equal(missed, 0);
    assert.ok(median(caught) <= 2 * wald, `median ${median(caught)} canary requests against Wald's ${wald.toFixed(0)}`);
    assert.ok(median(caught) >= wald / 2, `median ${median(caught)} is faster than an oracle could be`);
  });

  it('catches a fault that only shows at the third step, after healthy steps piled up evidence for the canary', () => {
    const rng = seeded(14);
    const late: Rollout = { ...HEALTHY, ticksPerStep: 60, ratio: (step) => (step >= 2 ? 5 : 1) };
    let caught = 0;
    for (let i = 0; i < 200; i++) if (simulate(rng, late) !== null) caught++;
    assert.ok(caught >= 196, `${caught} of 200 late faults caught`);
  });

  it('fails a canary with errors where the baseline has none, judged on counts', () => {
    const test = compareRates({ requests: 2000, errors: 40 }, { requests: 20000, errors: 0 }, STRICT, null);
    assert.equal(test.decision, 'reject');
    assert.ok(test.pValue < 0.005);
  });

  it('does not fail when neither version has errors', () => {
    const test = compareRates({ requests: 2000, errors: 0 }, { requests: 20000, errors: 0 }, STRICT, null);
    assert.notEqual(test.decision, 'reject');
    assert.equal(test.pValue, 1);
  });

  it('accepts a clearly healthy canary so a step may end early', () => {
    const test = compareRates({ requests: 20000, errors: 200 }, { requests: 380000, errors: 3800 }, STRICT, null);
    assert.equal(test.decision, 'accept');
    assert.equal(test.expectedMoreSamples, 0);
  });

  it('tolerates the configured relative increase and no more', () => {
    const tolerant = { ...STRICT, relative: 0.5 };
    const baseline = { requests: 1_900_000, errors: 19_000 };
    const within = compareRates({ requests: 100_000, errors: 1_300 }, baseline, tolerant, null);
    const beyond = compareRates({ requests: 100_000, errors: 2_000 }, baseline, tolerant, null);
    assert.notEqual(within.decision, 'reject');
    assert.equal(beyond.decision, 'reject');
    assert.equal(within.toleratedRatio, 1.5);
  });

  it('turns an absolute tolerance into a ratio over the baseline’s rate', () => {
    const ratio = toleratedRatio({ requests: 99_999, errors: 99.5 }, { ...STRICT, absolute: 0.001 });
    assert.ok(Math.abs(ratio - 2) < 1e-9);
    assert.equal(
      toleratedRatio({ requests: 100_000, errors: 5_000 }, { ...STRICT, relative: 0.2, absolute: 0.001 }),
      1.2
    );
  });

  it('expects fewer samples to go as evidence against the canary grows', () => {
    const baseline = { requests: 19_000, errors: 190 };
    const early = compareRates({ requests: 400, errors: 12 }, baseline, STRICT, null);
    const later = compareRates({ requests: 600, errors: 20 }, baseline, STRICT, null);
    assert.equal(early.decision, 'continue');
    assert.ok(early.expectedMoreSamples !== null && later.expectedMoreSamples !== null);
    assert.ok(later.logLikelihoodRatio > early.logLikelihoodRatio);
    assert.ok(later.expectedMoreSamples < early.expectedMoreSamples);
  });
});

describe('carrying evidence between steps', () => {
  it('starts with a mixture worth exactly 1', () => {
    assert.ok(Math.abs(logMixture(freshSequential(), RATIO_ALTERNATIVES)) < 1e-12);
  });

  it('keeps the mixture’s value when a step ends, whether or not a new copy starts', () => {
    const judged = compareRates({ requests: 1000, errors: 20 }, { requests: 19_000, errors: 190 }, STRICT, null).state;
    const before = logMixture(judged, RATIO_ALTERNATIVES);
    assert.ok(Math.abs(logMixture(carryOver(judged, true), RATIO_ALTERNATIVES) - before) < 1e-9);
    assert.ok(Math.abs(logMixture(carryOver(judged, false), RATIO_ALTERNATIVES) - before) < 1e-9);
    assert.equal(carryOver(judged, true).starts, 2);
    assert.equal(carryOver(judged, false).starts, 1);
  });

  it('keeps evidence against the canary from one step to the next', () => {
    const first = compareRates({ requests: 1000, errors: 16 }, { requests: 19_000, errors: 190 }, STRICT, null);
    assert.equal(first.decision, 'continue');
    const second = compareRates(
      { requests: 3000, errors: 40 },
      { requests: 17_000, errors: 170 },
      STRICT,
      carryOver(first.state, true)
    );
    const alone = compareRates({ requests: 3000, errors: 40 }, { requests: 17_000, errors: 170 }, STRICT, null);
    assert.ok(second.logLikelihoodRatio > alone.logLikelihoodRatio);
  });

  it('starts over from a state made for another set of alternatives', () => {
    const stale = { carried: [0, 0], step: [1, 1], starts: 3 };
    const test = compareRates({ requests: 10, errors: 0 }, { requests: 190, errors: 0 }, STRICT, stale);
    assert.equal(test.state.carried.length, RATIO_ALTERNATIVES.length);
    assert.equal(test.state.starts, 1);
  });
});
