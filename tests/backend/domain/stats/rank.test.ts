import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { testAgainstLimit } from '../../../../backend/src/domain/stats/limit.ts';
import { mannWhitney, signTest } from '../../../../backend/src/domain/stats/rank.ts';
import { seeded } from '../../../support/random.ts';

describe('Mann-Whitney U', () => {
  it('counts the pairs where the first sample is larger, ties as half', () => {
    // Pairs (a, b): 3>1, 3>2, 3=3 (half), 5>1, 5>2, 5>3 → U = 5.5.
    const result = mannWhitney([3, 5], [1, 2, 3]);
    assert.equal(result.u, 5.5);
  });

  it('gives a small p-value when the first sample is clearly larger and a large one when it is not', () => {
    const high = mannWhitney([10, 11, 12, 13, 14, 15, 16, 17], [1, 2, 3, 4, 5, 6, 7, 8]);
    const low = mannWhitney([1, 2, 3, 4, 5, 6, 7, 8], [10, 11, 12, 13, 14, 15, 16, 17]);
    assert.ok(high.pValue < 0.001);
    assert.ok(low.pValue > 0.999);
  });

  it('matches the normal approximation with the tie correction by hand', () => {
    const a = [0, 0, 1, 2];
    const b = [0, 1, 1, 3];
    // Mid-ranks: 0,0,0 → 2; 1,1,1 → 5; 2 → 7; 3 → 8. Rank sum of a: 2+2+5+7 = 16, U = 16 − 10 = 6.
    const result = mannWhitney(a, b);
    const variance = (16 / 12) * (9 - (24 + 24) / 56);
    assert.equal(result.u, 6);
    assert.ok(Math.abs(result.z - (6 - 8 - 0.5) / Math.sqrt(variance)) < 1e-12);
  });

  it('reports no evidence when every value is tied or a sample is empty', () => {
    assert.equal(mannWhitney([1, 1], [1, 1, 1]).pValue, 1);
    assert.equal(mannWhitney([], [1, 2]).pValue, 1);
  });
});

describe('the sequential sign test on paired windows', () => {
  it('rejects once the canary is worse in nearly every window', () => {
    assert.equal(signTest(14, 14, 0.005, 0.05, null).decision, 'reject');
    assert.equal(signTest(6, 6, 0.005, 0.05, null).decision, 'continue');
  });

  it('keeps at most alpha of identical versions from being failed, looked at after every window', () => {
    const rng = seeded(21);
    const runs = 2000;
    let rejected = 0;
    for (let i = 0; i < runs; i++) {
      let worse = 0;
      for (let n = 1; n <= 200; n++) {
        if (rng.next() < 0.5) worse++;
        if (signTest(n, worse, 0.005, 0.05, null).decision === 'reject') {
          rejected++;
          break;
        }
      }
    }
    assert.ok(rejected <= runs * 0.005, `${rejected} of ${runs} rejected`);
  });

  it('accepts when the canary is worse in few windows', () => {
    assert.equal(signTest(30, 5, 0.005, 0.05, null).decision, 'accept');
  });
});

describe('evidence against a fixed limit', () => {
  it('is strong when the rate is well above the limit and weak when below', () => {
    const above = testAgainstLimit({ requests: 1000, errors: 40 }, 0.01, 0.005, 0.05);
    const below = testAgainstLimit({ requests: 5000, errors: 10 }, 0.01, 0.005, 0.05);
    assert.ok(above.pValue < 1e-6);
    assert.equal(below.pValue, 1);
    assert.equal(below.accepted, true);
    assert.equal(above.accepted, false);
  });

  it('treats one error as conclusive against a limit of zero, and no count of good requests as acceptance', () => {
    assert.equal(testAgainstLimit({ requests: 10, errors: 1 }, 0, 0.005, 0.05).pValue, 0);
    const clean = testAgainstLimit({ requests: 10_000, errors: 0 }, 0, 0.005, 0.05);
    assert.equal(clean.accepted, false);
    assert.equal(clean.pValue, 1);
  });

  it('keeps evidence finite, so it survives being stored as JSON', () => {
    const evidence = testAgainstLimit({ requests: 10, errors: 1 }, 0, 0.005, 0.05);
    assert.ok(Number.isFinite(evidence.logLikelihoodRatio));
    assert.deepEqual(JSON.parse(JSON.stringify(evidence)), evidence);
  });

  it('estimates the requests still needed while undecided', () => {
    const undecided = testAgainstLimit({ requests: 200, errors: 4 }, 0.01, 0.005, 0.05);
    assert.equal(undecided.accepted, false);
    assert.ok(undecided.expectedMoreSamples !== null && undecided.expectedMoreSamples > 0);
  });
});
