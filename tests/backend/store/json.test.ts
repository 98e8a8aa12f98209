import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decodeJson, encodeJson } from '../../../backend/src/store/json.ts';

const roundTrip = (value: unknown) => decodeJson(encodeJson(value));

test('non-finite numbers and negative zero read back as written', () => {
  const value = { a: Infinity, b: -Infinity, c: NaN, d: -0, e: [0, 1.5, -2, 1e300, Number.MIN_VALUE] };

  const back = roundTrip(value) as typeof value;

  assert.deepEqual(back, value);
  assert.ok(Object.is(back.d, -0));
  assert.ok(Object.is(back.e[0], 0));
});

test('an object that looks like the number encoding reads back as that object', () => {
  const values = [
    { $sentra: 'Infinity' },
    { $sentra: ['NaN'] },
    { $sentra: { $sentra: -0 } },
    [{ $sentra: null }],
    { $sentra: 'x', other: 1 },
  ];

  for (const value of values) assert.deepEqual(roundTrip(value), value);
});

test('plain values are written as plain JSON', () => {
  const value = { name: 'checkout', weights: [5, 50, 100], on: true, none: null };

  assert.equal(encodeJson(value), JSON.stringify(value));
  assert.equal(encodeJson(Infinity), '{"$sentra":"Infinity"}');
});
