import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Histogram } from '../../../backend/src/domain/gates/observation.ts';
import { histogramQuantile } from '../../../backend/src/telemetry/quantile.ts';

function aHistogram(pairs: [number, number][]): Histogram {
  const buckets = pairs.map(([le, count]) => ({ le, count }));
  return { buckets, count: buckets.at(-1)?.count ?? 0 };
}

const typical = aHistogram([
  [0.05, 10],
  [0.1, 30],
  [0.25, 80],
  [Infinity, 100],
]);

test('the quantile is interpolated linearly inside the bucket that reaches its rank', () => {
  assert.equal(histogramQuantile(0.5, typical), 0.1 + 0.15 * (20 / 50));
  assert.equal(histogramQuantile(0.2, typical), 0.05 + 0.05 * (10 / 20));
});

test('the lowest bucket is taken to start at zero', () => {
  assert.equal(histogramQuantile(0.05, typical), 0.025);
  assert.equal(histogramQuantile(0.1, typical), 0.05);
});

test('a rank only the +Inf bucket reaches gives the highest finite bound, not infinity', () => {
  assert.equal(histogramQuantile(0.95, typical), 0.25);
  assert.equal(histogramQuantile(1, typical), 0.25);
});

test('an empty histogram, a single bucket or a missing +Inf bucket give NaN', () => {
  assert.ok(
    Number.isNaN(
      histogramQuantile(
        0.5,
        aHistogram([
          [0.1, 0],
          [Infinity, 0],
        ])
      )
    )
  );
  assert.ok(Number.isNaN(histogramQuantile(0.5, aHistogram([[Infinity, 4]]))));
  assert.ok(
    Number.isNaN(
      histogramQuantile(
        0.5,
        aHistogram([
          [0.1, 2],
          [0.5, 4],
        ])
      )
    )
  );
  assert.ok(Number.isNaN(histogramQuantile(Number.NaN, typical)));
});

test('a quantile outside 0..1 is an infinity of the matching sign', () => {
  assert.equal(histogramQuantile(1.5, typical), Infinity);
  assert.equal(histogramQuantile(-0.5, typical), -Infinity);
});

test('buckets are read in bound order, and a count lower than the one before it is raised to it', () => {
  const shuffled = { buckets: [...typical.buckets].reverse(), count: 100 };
  assert.equal(histogramQuantile(0.5, shuffled), histogramQuantile(0.5, typical));

  const dipping = aHistogram([
    [0.05, 10],
    [0.1, 8],
    [Infinity, 20],
  ]);
  assert.equal(histogramQuantile(0.5, dipping), 0.05);
});

test('a lowest bound at or below zero is answered as is', () => {
  const negative = aHistogram([
    [-1, 5],
    [1, 10],
    [Infinity, 10],
  ]);
  assert.equal(histogramQuantile(0.2, negative), -1);
});
