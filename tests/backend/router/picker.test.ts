import assert from 'node:assert/strict';
import { test } from 'node:test';

import { WeightedPicker } from '../../../backend/src/router/picker.ts';

function picks(weight: number, count: number): boolean[] {
  const picker = new WeightedPicker(weight);
  return Array.from({ length: count }, () => picker.pickCanary());
}

test('every 100 consecutive picks give the canary exactly its weight', () => {
  for (const weight of [1, 5, 15, 30, 33, 50, 99]) {
    const sequence = picks(weight, 1000);
    for (let start = 0; start + 100 <= sequence.length; start += 100) {
      const canary = sequence.slice(start, start + 100).filter(Boolean).length;
      assert.equal(canary, weight, `weight ${weight}, picks ${start}..${start + 99}`);
    }
  }
});

test('the canary picks are spread out rather than bunched together', () => {
  const sequence = picks(20, 100);
  const positions = sequence.flatMap((canary, i) => (canary ? [i] : []));
  const gaps = positions.slice(1).map((p, i) => p - positions[i]!);
  assert.deepEqual([...new Set(gaps)], [5]);
});

test('weight 0 never picks the canary and weight 100 always does', () => {
  assert.equal(picks(0, 500).filter(Boolean).length, 0);
  assert.equal(picks(100, 500).filter(Boolean).length, 500);
});
