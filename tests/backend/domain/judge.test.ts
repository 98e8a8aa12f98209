import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { increment, slowCounts } from '../../../backend/src/domain/gates/accumulate.ts';
import { judgeGate } from '../../../backend/src/domain/gates/judge.ts';
import type { Observation } from '../../../backend/src/domain/gates/observation.ts';
import { noData } from '../../../backend/src/domain/gates/observation.ts';
import { freshGateState } from '../../../backend/src/domain/gates/result.ts';
import type { Gate } from '../../../backend/src/domain/gates/schemas.ts';
import { anErrorRateGate, counts, cumulative } from '../../support/domain.ts';

const ctx = { failTicks: 1 };

function windowed(canary: [number, number], baseline: [number, number]): Observation {
  return { ...(cumulative(counts(...canary), counts(...baseline)) as object), mode: 'window' } as Observation;
}

function value(v: number): Observation {
  return { kind: 'value', window: { from: 0, to: 0 }, value: { ok: true, value: v } };
}

describe('gate judging', () => {
  it('fails a canary with 40 errors in 2,000 requests against a baseline with none in 20,000', () => {
    const { result } = judgeGate(anErrorRateGate(), windowed([2000, 40], [20000, 0]), freshGateState(), ctx);
    assert.equal(result.verdict, 'fail');
    assert.equal(result.samples.canary, 2000);
    assert.ok(result.evidence!.pValue < 0.005);
  });

  it('passes a canary with no errors in 2,000 requests against a clean baseline', () => {
    const { result } = judgeGate(anErrorRateGate(), windowed([2000, 0], [20000, 0]), freshGateState(), ctx);
    assert.equal(result.verdict, 'pass');
  });

  it('is inconclusive, not a pass, when neither version has any series', () => {
    const obs = cumulative(noData('no series for v2'), noData('no series for v1'));
    const { result } = judgeGate(anErrorRateGate(), obs, freshGateState(), ctx);
    assert.equal(result.verdict, 'inconclusive');
    assert.equal(result.inconclusive, 'no-data');
  });

  it('does not pass a healthy-looking canary below the minimum sample size', () => {
    const { result } = judgeGate(
      anErrorRateGate({ minSamples: 500 }),
      windowed([200, 0], [20000, 20]),
      freshGateState(),
      ctx
    );
    assert.equal(result.verdict, 'inconclusive');
    assert.equal(result.inconclusive, 'too-few-samples');
    assert.match(result.reason, /^200 of 500 canary requests needed/);
  });

  it('holds a canary whose errors lean above the baseline instead of passing it before the test decides', () => {
    const gate = anErrorRateGate({ minSamples: 40 });
    const { result } = judgeGate(gate, windowed([46, 3], [893, 2]), freshGateState(), ctx);
    assert.equal(result.verdict, 'inconclusive');
    assert.equal(result.inconclusive, 'unconfirmed');
    assert.match(result.reason, /leans above/);
  });

  it('fails a canary on strong evidence even below the minimum sample size', () => {
    const { result } = judgeGate(
      anErrorRateGate({ minSamples: 500 }),
      windowed([200, 100], [20000, 0]),
      freshGateState(),
      ctx
    );
    assert.equal(result.verdict, 'fail');
  });

  it('never counts a negative increment when a counter resets', () => {
    assert.deepEqual(increment({ requests: 1000, errors: 10 }, { requests: 30, errors: 1 }), {
      requests: 30,
      errors: 1,
    });
    assert.deepEqual(increment({ requests: 1000, errors: 10 }, { requests: 1100, errors: 12 }), {
      requests: 100,
      errors: 2,
    });
  });

  it('counts a canary series first seen after the start from zero', () => {
    const gate = anErrorRateGate();
    const first = judgeGate(gate, cumulative(noData('no series'), counts(5000, 5)), freshGateState(), ctx);
    const second = judgeGate(gate, cumulative(counts(80, 0), counts(6000, 6)), first.state, ctx);
    assert.deepEqual(second.state.totals.canary, { requests: 80, errors: 0 });
    assert.deepEqual(second.state.totals.baseline, { requests: 1000, errors: 1 });
  });

  it('refuses to compare NaN: a query gate answering NaN is inconclusive', () => {
    const gate: Gate = { name: 'ratio', kind: 'query', provider: 'prometheus', query: 'x', op: '<', threshold: 0.01 };
    const { result } = judgeGate(gate, value(Number.NaN), freshGateState(), ctx);
    assert.equal(result.verdict, 'inconclusive');
    assert.equal(result.inconclusive, 'no-data');
  });

  it('fails a p99 rule on an infinite latency', () => {
    const gate: Gate = { name: 'p99', kind: 'latency', provider: 'prometheus', quantile: 0.99, threshold: 0.5 };
    const { result } = judgeGate(gate, value(Number.POSITIVE_INFINITY), freshGateState(), ctx);
    assert.equal(result.verdict, 'fail');
    assert.match(result.reason, /\+Inf > 0.5/);
  });

  it('counts requests beyond the highest finite bucket as slow whatever the threshold', () => {
    const histogram = {
      buckets: [
        { le: 0.1, count: 50 },
        { le: 1, count: 60 },
        { le: Infinity, count: 100 },
      ],
      count: 100,
    };
    assert.deepEqual(slowCounts(histogram, 5).counts, { requests: 100, errors: 40 });
    assert.deepEqual(slowCounts(histogram, 0.1).counts, { requests: 100, errors: 50 });
  });
});
