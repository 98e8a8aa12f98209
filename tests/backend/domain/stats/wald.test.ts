import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { normalCdf, normalQuantile } from '../../../../backend/src/domain/stats/normal.ts';
import {
  bernoulliKL,
  fixedHorizonCritical,
  fixedHorizonSamples,
  waldBounds,
  waldExpectedSamples,
} from '../../../../backend/src/domain/stats/wald.ts';

describe('Wald bounds', () => {
  it('needs about 117 samples to catch a 5× canary over a 1% baseline at alpha 0.005 and beta 0.05', () => {
    const { fault } = waldExpectedSamples(0.01, 0.05, 0.005, 0.05);
    assert.equal(Math.round(fault), 117);
  });

  it('needs about 23 samples to catch a 20× canary over a 0.5% baseline', () => {
    const { fault } = waldExpectedSamples(0.005, 0.1, 0.005, 0.05);
    assert.equal(Math.round(fault), 23);
  });

  it('needs more samples to accept a healthy canary than the divergence alone suggests when alpha is small', () => {
    const { healthy } = waldExpectedSamples(0.01, 0.05, 0.005, 0.05);
    const bounds = waldBounds(0.005, 0.05);
    const byHand = ((1 - 0.005) * -bounds.lower - 0.005 * bounds.upper) / bernoulliKL(0.01, 0.05);
    assert.ok(Math.abs(healthy - byHand) < 1e-9);
    assert.equal(Math.round(healthy), 119);
  });

  it('puts the boundaries at log((1 - beta) / alpha) and log(beta / (1 - alpha))', () => {
    const { upper, lower } = waldBounds(0.005, 0.05);
    assert.ok(Math.abs(upper - Math.log(190)) < 1e-12);
    assert.ok(Math.abs(lower - Math.log(0.05 / 0.995)) < 1e-12);
  });

  it('sizes the fixed-horizon test at about twice the sequential expectation', () => {
    const n = fixedHorizonSamples(0.01, 0.05, 0.005, 0.05);
    const spread = 2.5758293035489 * Math.sqrt(0.01 * 0.99) + 1.6448536269514722 * Math.sqrt(0.05 * 0.95);
    assert.equal(n, Math.ceil((spread / 0.04) ** 2));
    assert.equal(n, 237);
    assert.ok(n > 2 * 117 && n < 2.2 * 117);
  });

  it('rejects in the fixed-horizon test above n·p0 plus z(1 - alpha) standard deviations', () => {
    const critical = fixedHorizonCritical(237, 0.01, 0.005);
    assert.ok(Math.abs(critical - (2.37 + 2.5758293035489 * Math.sqrt(237 * 0.01 * 0.99))) < 1e-6);
  });

  it('measures divergence in nats, zero between equal rates', () => {
    assert.equal(bernoulliKL(0.2, 0.2), 0);
    assert.ok(Math.abs(bernoulliKL(0.05, 0.01) - (0.05 * Math.log(5) + 0.95 * Math.log(0.95 / 0.99))) < 1e-12);
  });
});

describe('the normal distribution', () => {
  it('matches tabulated values of the cdf', () => {
    assert.ok(Math.abs(normalCdf(1.959963984540054) - 0.975) < 1e-12);
    assert.ok(Math.abs(normalCdf(-3) - 0.0013498980316301) < 1e-14);
    assert.ok(Math.abs(normalCdf(-6) - 9.865876450377e-10) < 1e-20);
    assert.equal(normalCdf(0), 0.5);
  });

  it('inverts the cdf', () => {
    for (const p of [1e-9, 0.005, 0.05, 0.3, 0.5, 0.9, 0.995])
      assert.ok(Math.abs(normalCdf(normalQuantile(p)) - p) < 1e-12 * Math.max(1, 1 / p));
    assert.ok(Number.isNaN(normalQuantile(1.5)));
    assert.equal(normalQuantile(0), Number.NEGATIVE_INFINITY);
  });
});
