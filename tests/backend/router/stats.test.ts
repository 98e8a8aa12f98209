import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RouterError } from '../../../backend/src/router/errors.ts';
import { RouterStats } from '../../../backend/src/router/stats.ts';

const START = 1_700_000_000_000;

function aStats(retentionMs = 600_000): RouterStats {
  return new RouterStats({ startedAt: START, retentionMs });
}

test('a read without a window answers the totals since the router started', () => {
  const stats = aStats();
  stats.record('shop', 'v1', '200', 0.02, false);
  stats.record('shop', 'v1', '500', 0.3, true);
  stats.record('shop', 'v2', '200', 20, false);

  const read = stats.read('shop', START + 1000);

  assert.deepEqual(read.window, { from: START, to: START + 1000 });
  assert.equal(read.versions.v1!.requests, 2);
  assert.equal(read.versions.v1!.errors, 1);
  const v1 = Object.fromEntries(read.versions.v1!.buckets.map((b) => [String(b.le), b.count]));
  assert.equal(v1['0.01'], 0);
  assert.equal(v1['0.025'], 1);
  assert.equal(v1['0.25'], 1);
  assert.equal(v1['0.5'], 2);
  assert.equal(v1['+Inf'], 2);
  const v2 = read.versions.v2!.buckets;
  assert.deepEqual(v2.at(-2), { le: 10, count: 0 });
  assert.deepEqual(v2.at(-1), { le: '+Inf', count: 1 });
});

test('a windowed read answers only what was counted since the newest snapshot old enough', () => {
  const stats = aStats();
  stats.snapshot(START);
  stats.record('shop', 'v2', '500', 0.1, true);
  stats.snapshot(START + 30_000);
  stats.record('shop', 'v2', '200', 0.1, false);
  stats.record('shop', 'v2', '200', 0.1, false);
  stats.snapshot(START + 60_000);
  stats.record('shop', 'v2', '200', 0.1, false);

  const read = stats.read('shop', START + 65_000, 30_000);

  assert.deepEqual(read.window, { from: START + 30_000, to: START + 65_000 });
  assert.deepEqual([read.versions.v2!.requests, read.versions.v2!.errors, read.versions.v2!.count], [3, 0, 3]);
});

test('a version that served nothing inside the window reads as zero, and one never served is absent', () => {
  const stats = aStats();
  stats.record('shop', 'v1', '200', 0.1, false);
  stats.snapshot(START + 10_000);

  const read = stats.read('shop', START + 80_000, 60_000);

  assert.equal(read.versions.v1!.requests, 0);
  assert.equal(read.versions.v1!.buckets.at(-1)!.count, 0);
  assert.equal(read.versions.v2, undefined);
});

test('a window longer than the history kept is refused, naming the window', () => {
  const stats = aStats(60_000);
  assert.throws(
    () => stats.read('shop', START, 120_000),
    (err: unknown) => err instanceof RouterError && err.statusCode === 400 && err.fields?.[0]?.field === '/window'
  );
});

test('snapshots older than the history kept are forgotten without losing the window base', () => {
  const stats = aStats(60_000);
  for (let t = 0; t <= 300_000; t += 10_000) {
    stats.record('shop', 'v1', '200', 0.1, false);
    stats.snapshot(START + t);
  }

  const read = stats.read('shop', START + 300_000, 60_000);

  assert.deepEqual(read.window, { from: START + 240_000, to: START + 300_000 });
  assert.equal(read.versions.v1!.requests, 6);
});
