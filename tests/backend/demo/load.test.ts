import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { LoadOptionsError, startLoad } from '../../../backend/src/demo/load.ts';
import type { LoadOptions } from '../../../backend/src/demo/load.ts';
import { startDemoService } from '../../../backend/src/demo/service.ts';
import { deadUrl, startHarness } from '../../support/router-harness.ts';

test('a bounded load sends rate × duration requests and counts every answer by status', async () => {
  const demo = await startDemoService({ version: 'v1', logLevel: 'silent' });
  try {
    const counts = await startLoad({ url: `${demo.url}/work`, rate: 200, durationMs: 1000 }).done;

    assert.equal(counts.sent, 200);
    assert.deepEqual(counts.byStatus, { 200: 200 });
    assert.deepEqual([counts.failed, counts.skipped, counts.inFlight], [0, 0, 0]);
  } finally {
    await demo.close();
  }
});

test('error answers are counted under their status', async () => {
  const demo = await startDemoService({ version: 'v1', errorRatio: 1, logLevel: 'silent' });
  try {
    const counts = await startLoad({ url: demo.url, rate: 100, durationMs: 300 }).done;
    assert.deepEqual(counts.byStatus, { 500: 30 });
  } finally {
    await demo.close();
  }
});

test('stop() ends an unbounded load and every request it started is accounted for', async () => {
  const demo = await startDemoService({ version: 'v1', logLevel: 'silent' });
  try {
    const load = startLoad({ url: demo.url, rate: 200 });
    while (load.counts().sent < 40) await sleep(10);

    const counts = await load.stop();
    await sleep(50);

    assert.ok(counts.sent >= 40);
    assert.equal((counts.byStatus[200] ?? 0) + counts.failed, counts.sent);
    assert.equal(counts.inFlight, 0);
    assert.deepEqual(load.counts(), counts);
  } finally {
    await demo.close();
  }
});

test('requests to a port where nothing listens count as failed', async () => {
  const counts = await startLoad({ url: await deadUrl(), rate: 50, durationMs: 200 }).done;
  assert.deepEqual([counts.sent, counts.failed], [10, 10]);
  assert.deepEqual(counts.byStatus, {});
});

test('headers go with every request: a header route sends the whole load to the canary', async () => {
  const h = await startHarness({ v1: {}, v2: {} });
  try {
    const headerRoute = { header: 'x-canary', value: 'yes' };
    await h.admin('PUT', '/admin/services/checkout/routing', { baseline: 'v1', canary: 'v2', weight: 0, headerRoute });

    const counts = await startLoad({
      url: h.address.proxyUrl,
      rate: 100,
      durationMs: 500,
      headers: { 'x-canary': 'yes' },
    }).done;

    const stats = await h.admin('GET', '/admin/services/checkout/stats');
    assert.deepEqual(counts.byStatus, { 200: 50 });
    assert.equal(stats.body.versions.v2.requests, 50);
    assert.equal(stats.body.versions.v1, undefined);
  } finally {
    await h.close();
  }
});

test('anything but an http URL on the loopback is refused, naming the url', () => {
  const refused = [
    'http://example.com/',
    'http://10.0.0.1:8080/',
    'http://127.0.0.1.example.com/',
    'http://localhost.example.com/',
    'https://127.0.0.1/',
    'http://[::2]/',
    'not a url',
  ];
  for (const url of refused) {
    assert.throws(
      () => startLoad({ url, rate: 10, durationMs: 100 }),
      (err: unknown) => err instanceof LoadOptionsError && err.field === 'url',
      url
    );
  }
});

test('a rate, duration, method or header that cannot be used is refused, naming it', () => {
  const url = 'http://127.0.0.1:1/';
  const cases: [Partial<LoadOptions>, string][] = [
    [{ rate: 0 }, 'rate'],
    [{ rate: Number.NaN }, 'rate'],
    [{ rate: 10, durationMs: -1 }, 'durationMs'],
    [{ rate: 10, method: 'get me' }, 'method'],
    [{ rate: 10, headers: { 'bad header': 'x' } }, 'headers.bad header'],
    [{ rate: 10, headers: { 'x-ok': 'line\nbreak' } }, 'headers.x-ok'],
  ];
  for (const [options, field] of cases) {
    assert.throws(
      () => startLoad({ url, rate: 10, ...options }),
      (err: unknown) => err instanceof LoadOptionsError && err.field === field,
      field
    );
  }
});

test('moveTo sends the requests still to come to the new URL, on the same schedule', async () => {
  const first = await startDemoService({ version: 'v1', logLevel: 'silent' });
  const second = await startDemoService({ version: 'v2', logLevel: 'silent' });
  try {
    const load = startLoad({ url: first.url, rate: 200, durationMs: 1000 });
    while ((await first.served()) < 60) await sleep(10);
    load.moveTo(`${second.url}/moved`);
    const counts = await load.done;

    const [a, b] = [await first.served(), await second.served()];
    assert.equal(counts.sent, 200);
    assert.deepEqual(counts.byStatus, { 200: 200 });
    assert.ok(a >= 60 && b > 0, `served ${a} then ${b}`);
    assert.equal(a + b, 200);
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
});

test('moveTo refuses a URL off the loopback, naming the url, and the load stays where it was', async () => {
  const demo = await startDemoService({ version: 'v1', logLevel: 'silent' });
  try {
    const load = startLoad({ url: demo.url, rate: 100, durationMs: 300 });
    assert.throws(
      () => load.moveTo('http://example.com/'),
      (err: unknown) => err instanceof LoadOptionsError && err.field === 'url'
    );
    const counts = await load.done;

    assert.deepEqual(counts.byStatus, { 200: 30 });
    assert.equal(await demo.served(), 30);
  } finally {
    await demo.close();
  }
});
