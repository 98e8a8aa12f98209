import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { JudgeContext } from '../../../../backend/src/domain/gates/judge.ts';
import { DEFAULT_MIN_SAMPLES, judgeContext, judgeGate } from '../../../../backend/src/domain/gates/judge.ts';
import type { Counts, Histogram, Observation } from '../../../../backend/src/domain/gates/observation.ts';
import { noData, reading } from '../../../../backend/src/domain/gates/observation.ts';
import type { GateState } from '../../../../backend/src/domain/gates/result.ts';
import { freshGateState } from '../../../../backend/src/domain/gates/result.ts';
import type { Gate } from '../../../../backend/src/domain/gates/schemas.ts';
import type { Policy } from '../../../../backend/src/domain/policy.ts';

const CTX: JudgeContext = { failTicks: 2 };
const errorRate: Gate = { name: 'errors', kind: 'error-rate', provider: 'router' };
const errorRatio: Gate = { name: 'ratio', kind: 'error-ratio', provider: 'router', max: 0.01 };
const slowShare: Gate = { name: 'latency', kind: 'latency', provider: 'router', threshold: 0.5, compare: true };
const quantiles: Gate = {
  name: 'p99',
  kind: 'latency',
  provider: 'prometheus',
  threshold: 0.5,
  quantile: 0.99,
  compare: true,
};
const burn: Gate = { name: 'burn', kind: 'burn-rate', provider: 'prometheus', objective: 0.999, factor: 14.4 };

let clock = 0;
function aWindow(): { from: number; to: number } {
  clock += 5000;
  return { from: clock - 5000, to: clock };
}

function counts(canary: Counts, baseline: Counts): Observation {
  return { kind: 'counts', mode: 'increment', window: aWindow(), canary: reading(canary), baseline: reading(baseline) };
}

function histogram(le: number[], canary: number[], baseline: number[]): Observation {
  const h = (cumulative: number[]): Histogram => ({
    buckets: le.map((b, i) => ({ le: b, count: cumulative[i]! })),
    count: cumulative.at(-1)!,
  });
  return {
    kind: 'histogram',
    mode: 'increment',
    window: aWindow(),
    canary: reading(h(canary)),
    baseline: reading(h(baseline)),
  };
}

/** Judges a gate over a sequence of observations, threading its state. */
function judgeAll(gate: Gate, observations: Observation[], ctx = CTX): ReturnType<typeof judgeGate>[] {
  let state: GateState = freshGateState();
  return observations.map((obs) => {
    const judged = judgeGate(gate, obs, state, ctx);
    state = judged.state;
    return judged;
  });
}

describe('the error-rate gate', () => {
  it('fails on evidence before the minimum sample count is reached', () => {
    const [judged] = judgeAll(errorRate, [counts({ requests: 30, errors: 15 }, { requests: 570, errors: 6 })]);
    assert.ok(30 < DEFAULT_MIN_SAMPLES);
    assert.equal(judged!.result.verdict, 'fail');
    assert.match(judged!.result.reason, /canary error rate above tolerated 1× baseline: canary 15\/30/);
    assert.ok(judged!.result.evidence!.pValue < 0.005);
  });

  it('holds a pass back until the minimum sample count is reached, with the evidence so far', () => {
    const [judged] = judgeAll(errorRate, [counts({ requests: 30, errors: 0 }, { requests: 570, errors: 6 })]);
    assert.equal(judged!.result.verdict, 'inconclusive');
    assert.equal(judged!.result.inconclusive, 'too-few-samples');
    assert.ok(judged!.result.evidence !== null);
  });

  it('passes a healthy canary and reports its evidence and the samples still expected', () => {
    const [judged] = judgeAll(errorRate, [counts({ requests: 500, errors: 5 }, { requests: 9500, errors: 95 })]);
    assert.equal(judged!.result.verdict, 'pass');
    const evidence = judged!.result.evidence!;
    assert.ok(evidence.pValue > 0.05);
    assert.ok(evidence.expectedMoreSamples === null || evidence.expectedMoreSamples >= 0);
    assert.ok(judged!.state.sequential);
  });

  it('cannot compare without baseline requests in the step', () => {
    const [judged] = judgeAll(errorRate, [counts({ requests: 500, errors: 50 }, { requests: 0, errors: 0 })]);
    assert.equal(judged!.result.verdict, 'inconclusive');
    assert.equal(judged!.result.inconclusive, 'too-few-samples');
  });

  it('shares the false-rollback budget among the policy’s comparing gates', () => {
    const policy = { gates: [errorRate, slowShare, errorRatio] } as Policy;
    assert.deepEqual(judgeContext(policy), { failTicks: 2, comparingGates: 2 });
    // Evidence that clears alpha 0.005 alone but not half of it.
    const obs = counts({ requests: 500, errors: 16 }, { requests: 9500, errors: 95 });
    const [alone] = judgeAll(errorRate, [obs]);
    const [shared] = judgeAll(errorRate, [obs], { failTicks: 2, comparingGates: 2 });
    assert.ok(alone!.result.evidence!.pValue < 0.005 && alone!.result.evidence!.pValue > 0.0025);
    assert.equal(alone!.result.verdict, 'fail');
    assert.notEqual(shared!.result.verdict, 'fail');
  });
});

describe('the comparing latency gate', () => {
  const le = [0.1, 0.5, 1, Number.POSITIVE_INFINITY];

  it('fails a canary with a larger share of slow requests than the baseline', () => {
    const [judged] = judgeAll(slowShare, [histogram(le, [50, 120, 180, 200], [1800, 3700, 3780, 3800])]);
    assert.equal(judged!.result.verdict, 'fail');
    assert.match(judged!.result.reason, /share of requests slower than 0.5s/);
  });

  it('counts requests beyond the highest finite bucket as slow', () => {
    const [judged] = judgeAll(slowShare, [histogram(le, [0, 0, 0, 200], [1800, 3700, 3780, 3800])]);
    assert.equal(judged!.result.verdict, 'fail');
  });

  it('passes when both versions are equally fast', () => {
    const [judged] = judgeAll(slowShare, [histogram(le, [100, 196, 199, 200], [1900, 3724, 3790, 3800])]);
    assert.equal(judged!.result.verdict, 'pass');
  });
});

describe('the comparing latency gate on quantiles', () => {
  function pair(canary: number, baseline: number, window: { from: number; to: number }): Observation {
    return { kind: 'value', window, value: reading(canary), baseline: reading(baseline) };
  }

  it('pairs only windows that do not overlap one already paired', () => {
    const results = judgeAll(quantiles, [
      pair(0.4, 0.3, { from: 0, to: 60_000 }),
      pair(0.4, 0.3, { from: 5_000, to: 65_000 }),
      pair(0.4, 0.3, { from: 60_000, to: 120_000 }),
    ]);
    assert.deepEqual(
      results.map((r) => r.result.samples.canary),
      [1, 1, 2]
    );
  });

  it('fails once the canary was slower in enough separate windows', () => {
    const windows = Array.from({ length: 16 }, (_, i) => pair(0.45, 0.3, { from: i * 60_000, to: (i + 1) * 60_000 }));
    const verdicts = judgeAll(quantiles, windows).map((r) => r.result.verdict);
    assert.equal(verdicts[0], 'pass');
    assert.equal(verdicts.at(-1), 'fail');
  });

  it('is an error when the provider sends no baseline value', () => {
    const [judged] = judgeAll(quantiles, [{ kind: 'value', window: aWindow(), value: reading(0.4) }]);
    assert.equal(judged!.result.verdict, 'error');
    assert.match(judged!.result.reason, /no baseline value/);
  });

  it('treats a NaN quantile as no data', () => {
    const [judged] = judgeAll(quantiles, [pair(Number.NaN, 0.3, aWindow())]);
    assert.equal(judged!.result.verdict, 'inconclusive');
    assert.equal(judged!.result.inconclusive, 'no-data');
  });
});

describe('threshold gates on counts', () => {
  it('never fails on one noisy tick whose errors stay in the step’s total, and never passes while that total is over the limit', () => {
    const results = judgeAll(errorRatio, [
      counts({ requests: 100, errors: 0 }, { requests: 1900, errors: 10 }),
      counts({ requests: 100, errors: 12 }, { requests: 1900, errors: 10 }),
      counts({ requests: 100, errors: 0 }, { requests: 1900, errors: 10 }),
      counts({ requests: 100, errors: 0 }, { requests: 1900, errors: 10 }),
    ]);
    assert.deepEqual(
      results.map((r) => r.result.verdict),
      ['pass', 'inconclusive', 'inconclusive', 'inconclusive']
    );
    assert.ok(results[2]!.result.observed! > 0.01, 'the step total is still above the limit');
    assert.match(results[3]!.result.reason, /over the limit on the step's total, not on this tick/);
  });

  it('fails after the policy’s number of bad ticks in a row, with evidence', () => {
    const results = judgeAll(errorRatio, [
      counts({ requests: 100, errors: 5 }, { requests: 1900, errors: 10 }),
      counts({ requests: 100, errors: 6 }, { requests: 1900, errors: 10 }),
    ]);
    assert.deepEqual(
      results.map((r) => r.result.verdict),
      ['inconclusive', 'fail']
    );
    assert.match(results[1]!.result.reason, /for 2 ticks in a row/);
    assert.ok(results[1]!.result.evidence!.pValue < 0.01);
  });
});

describe('the burn-rate gate', () => {
  function windows(long: Counts, short: Counts): Observation {
    return { kind: 'burn', window: aWindow(), long: reading(long), short: reading(short) };
  }

  it('fails when both windows burn faster than the factor, for failTicks ticks in a row', () => {
    const hot = windows({ requests: 10_000, errors: 300 }, { requests: 1_000, errors: 40 });
    const results = judgeAll(burn, [hot, hot]);
    assert.deepEqual(
      results.map((r) => r.result.verdict),
      ['inconclusive', 'fail']
    );
    assert.match(results[1]!.result.reason, /burn 30× over 1h and 40× over 5m, both above 14.4×/);
    assert.equal(results[1]!.result.threshold, 14.4);
    assert.ok(results[1]!.result.evidence!.pValue < 0.005);
  });

  it('passes when only the short window burns fast', () => {
    const [judged] = judgeAll(burn, [windows({ requests: 10_000, errors: 50 }, { requests: 1_000, errors: 40 })]);
    assert.equal(judged!.result.verdict, 'pass');
  });

  it('is inconclusive without requests or with too few in the short window', () => {
    const [empty] = judgeAll(burn, [windows({ requests: 0, errors: 0 }, { requests: 0, errors: 0 })]);
    const [few] = judgeAll(burn, [windows({ requests: 1000, errors: 0 }, { requests: 10, errors: 0 })]);
    assert.equal(empty!.result.inconclusive, 'no-data');
    assert.equal(few!.result.inconclusive, 'too-few-samples');
  });

  it('passes a missing window on as no data', () => {
    const [judged] = judgeAll(burn, [
      { kind: 'burn', window: aWindow(), long: noData('no series'), short: reading({ requests: 5, errors: 0 }) },
    ]);
    assert.equal(judged!.result.verdict, 'inconclusive');
    assert.equal(judged!.result.reason, 'no series');
  });

  it('is an error when the provider answers something else', () => {
    const [judged] = judgeAll(burn, [counts({ requests: 10, errors: 0 }, { requests: 10, errors: 0 })]);
    assert.equal(judged!.result.verdict, 'error');
  });
});
