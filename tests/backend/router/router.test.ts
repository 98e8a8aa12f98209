import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import type { Harness } from '../../support/router-harness.ts';
import { call, deadUrl, startHarness } from '../../support/router-harness.ts';

const routing = (weight: number, headerRoute: { header: string; value: string } | null = null) => ({
  baseline: 'v1',
  canary: 'v2',
  weight,
  headerRoute,
});

describe('the router splits traffic', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ v1: {}, v2: {} });
  });
  after(() => h.close());

  for (const weight of [5, 15, 30, 50]) {
    test(`a weight of ${weight}% sends ${weight}% of 2,000 requests to the canary, within one point`, async () => {
      const set = await h.admin('PUT', '/admin/services/checkout/routing', routing(weight));
      assert.equal(set.status, 200);

      const tally = await h.send(2000);

      const share = ((tally.byVersion.v2 ?? 0) / 2000) * 100;
      assert.ok(Math.abs(share - weight) <= 1, `canary got ${share}% at weight ${weight}`);
      assert.equal((tally.byVersion.v1 ?? 0) + (tally.byVersion.v2 ?? 0), 2000);
      assert.deepEqual(tally.byStatus, { 200: 2000 });
    });
  }

  test('a request carrying the header route always reaches the canary, and others follow the weight', async () => {
    await h.admin('PUT', '/admin/services/checkout/routing', routing(0, { header: 'X-Canary', value: '1' }));

    const flagged = await h.send(200, { 'x-canary': '1' });
    const other = await h.send(200, { 'x-canary': '2' });

    assert.deepEqual(flagged.byVersion, { v2: 200 });
    assert.deepEqual(other.byVersion, { v1: 200 });
  });

  test('a routing change takes effect on the very next request', async () => {
    await h.admin('PUT', '/admin/services/checkout/routing', routing(0));
    assert.deepEqual((await h.send(1)).byVersion, { v1: 1 });

    await h.admin('PUT', '/admin/services/checkout/routing', routing(100));
    assert.deepEqual((await h.send(1)).byVersion, { v2: 1 });

    await h.admin('PUT', '/admin/services/checkout/routing', routing(0));
    assert.deepEqual((await h.send(1)).byVersion, { v1: 1 });
  });

  test('weight 0 without a header route sends nothing at all to the canary', async () => {
    await h.admin('PUT', '/admin/services/checkout/routing', routing(0));
    const before = await h.admin('GET', '/admin/services/checkout/stats');

    const tally = await h.send(500);

    const afterwards = await h.admin('GET', '/admin/services/checkout/stats');
    assert.deepEqual(tally.byVersion, { v1: 500 });
    assert.equal(afterwards.body.versions.v2?.requests ?? 0, before.body.versions.v2?.requests ?? 0);
  });

  test('routing the state already in force changes nothing and keeps its revision', async () => {
    const first = await h.admin(
      'PUT',
      '/admin/services/checkout/routing',
      routing(30, { header: 'x-canary', value: '1' })
    );
    const again = await h.admin(
      'PUT',
      '/admin/services/checkout/routing',
      routing(30, { header: 'X-Canary', value: '1' })
    );
    const read = await h.admin('GET', '/admin/services/checkout/routing');

    assert.equal(again.body.revision, first.body.revision);
    assert.deepEqual(read.body, first.body);
    assert.deepEqual(read.body.headerRoute, { header: 'x-canary', value: '1' });
  });
});

describe('the router counts what it serves', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ v1: {}, v2: { errorRatio: 1 } });
    await h.admin('PUT', '/admin/services/checkout/routing', routing(25));
    await h.send(400);
  });
  after(() => h.close());

  test('stats count requests, errors and cumulative latency buckets per version', async () => {
    const stats = await h.admin('GET', '/admin/services/checkout/stats');

    assert.equal(stats.status, 200);
    const { v1, v2 } = stats.body.versions;
    assert.deepEqual([v1.requests, v1.errors, v1.count], [300, 0, 300]);
    assert.deepEqual([v2.requests, v2.errors, v2.count], [100, 100, 100]);
    for (const version of [v1, v2]) {
      const counts = version.buckets.map((b: { count: number }) => b.count);
      assert.deepEqual(
        counts,
        [...counts].sort((a, b) => a - b),
        'bucket counts are cumulative'
      );
      assert.deepEqual(version.buckets.at(-1), { le: '+Inf', count: version.requests });
    }
    assert.ok(stats.body.window.from <= stats.body.window.to);
  });

  test('the metrics page exposes the request counter and the latency histogram by version', async () => {
    const metrics = await call(`${h.address.adminUrl}/metrics`, 'GET');
    const text = String(metrics.body);

    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(text, /^sentra_router_requests_total\{service="checkout",version="v1",code="200"\} 300$/m);
    assert.match(text, /^sentra_router_requests_total\{service="checkout",version="v2",code="500"\} 100$/m);
    assert.match(text, /^# TYPE sentra_router_request_duration_seconds histogram$/m);
    for (const le of ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf']) {
      const bound = le.replace('+', '\\+');
      const labels = `le="${bound}",service="checkout",version="v1"`;
      assert.match(text, new RegExp(`^sentra_router_request_duration_seconds_bucket\\{${labels}\\} \\d+$`, 'm'));
    }
    assert.match(text, /^sentra_router_request_duration_seconds_count\{service="checkout",version="v2"\} 100$/m);
  });

  test('stats for a service with no upstreams answer 404', async () => {
    const stats = await h.admin('GET', '/admin/services/nowhere/stats');
    assert.equal(stats.status, 404);
    assert.equal(stats.body.code, 'SENTRA_ROUTER_UNKNOWN_SERVICE');
  });
});

describe('the router and broken upstreams', () => {
  test('a dead canary upstream answers 502, counted as canary errors, while the baseline keeps serving', async () => {
    const h = await startHarness({ v1: {} });
    try {
      const versions = { v1: h.upstreams.v1!.url, v2: await deadUrl() };
      await h.admin('PUT', '/admin/services/checkout/upstreams', { versions });
      await h.admin('PUT', '/admin/services/checkout/routing', routing(50));

      const tally = await h.send(100);

      assert.deepEqual(tally.byStatus, { 200: 50, 502: 50 });
      assert.deepEqual(tally.byVersion, { v1: 50, v2: 50 });
      const stats = await h.admin('GET', '/admin/services/checkout/stats');
      assert.deepEqual(pick(stats.body.versions.v2), { requests: 50, errors: 50 });
      assert.deepEqual(pick(stats.body.versions.v1), { requests: 50, errors: 0 });

      await h.admin('PUT', '/admin/services/checkout/routing', routing(0));
      assert.deepEqual((await h.send(50)).byStatus, { 200: 50 });
    } finally {
      await h.close();
    }
  });

  test('an upstream that breaks off in the middle of an answer is counted as a 502 error', async () => {
    const broken = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setImmediate(() => res.socket?.destroy());
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', () => resolve()));
    const h = await startHarness({ v1: {} });
    try {
      const versions = { v1: h.upstreams.v1!.url, v2: `http://127.0.0.1:${(broken.address() as AddressInfo).port}` };
      await h.admin('PUT', '/admin/services/checkout/upstreams', { versions });
      await h.admin('PUT', '/admin/services/checkout/routing', routing(100));

      const outcome = await fetch(`${h.address.proxyUrl}/work`)
        .then((res) => res.text())
        .then(
          () => 'complete',
          () => 'broken off'
        );

      assert.equal(outcome, 'broken off');
      const stats = await h.admin('GET', '/admin/services/checkout/stats');
      assert.deepEqual(pick(stats.body.versions.v2), { requests: 1, errors: 1 });
      const metrics = await call(`${h.address.adminUrl}/metrics`, 'GET');
      assert.match(
        String(metrics.body),
        /^sentra_router_requests_total\{service="checkout",version="v2",code="502"\} 1$/m
      );
    } finally {
      await h.close();
      await new Promise<void>((resolve) => broken.close(() => resolve()));
    }
  });

  test('an upstream slower than the timeout answers 504 and counts as an error', async () => {
    const h = await startHarness({ v1: {}, v2: { latencyMs: 2000 } }, { upstreamTimeoutMs: 100 });
    try {
      await h.admin('PUT', '/admin/services/checkout/routing', routing(100));

      const tally = await h.send(3);

      assert.deepEqual(tally.byStatus, { 504: 3 });
      const stats = await h.admin('GET', '/admin/services/checkout/stats');
      assert.deepEqual(pick(stats.body.versions.v2), { requests: 3, errors: 3 });
    } finally {
      await h.close();
    }
  });
});

describe('the router picks the service by host', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ v1: {}, v2: {} });
    const urls = { v1: h.upstreams.v1!.url, v2: h.upstreams.v2!.url };
    await h.admin('PUT', '/admin/services/payments/upstreams', { versions: urls });
    await h.admin('PUT', '/admin/services/checkout/routing', routing(0));
    await h.admin('PUT', '/admin/services/payments/routing', routing(100));
  });
  after(() => h.close());

  test("the Host header's first label names the service", async () => {
    assert.deepEqual((await h.send(5, { host: 'checkout.shop.test' })).byVersion, { v1: 5 });
    assert.deepEqual((await h.send(5, { host: 'payments.shop.test:8080' })).byVersion, { v2: 5 });
  });

  test('a host naming no service, among several, answers 404', async () => {
    const tally = await h.send(2, { host: 'unknown.shop.test' });
    assert.deepEqual(tally.byStatus, { 404: 2 });
  });
});

describe('the admin API checks its input', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ v1: {}, v2: {} }, { adminToken: 'sesame' });
  });
  after(() => h.close());

  const badRoutings: [string, unknown, string][] = [
    ['a weight above 100', { ...routing(0), weight: 101 }, '/weight'],
    ['a fractional weight', { ...routing(0), weight: 12.5 }, '/weight'],
    ['a missing canary', { baseline: 'v1', weight: 5, headerRoute: null }, '/canary'],
    ['an unknown field', { ...routing(5), mirror: true }, '/mirror'],
    ['a header route without a value', routing(5, { header: 'x-canary' } as never), '/headerRoute/value'],
    ['a header name with a space', routing(5, { header: 'x canary', value: '1' }), '/headerRoute/header'],
    ['the canary equal to the baseline', { ...routing(5), canary: 'v1' }, '/canary'],
  ];
  for (const [what, body, field] of badRoutings) {
    test(`a routing with ${what} answers 400 naming ${field}`, async () => {
      const res = await h.admin('PUT', '/admin/services/checkout/routing', body);
      assert.equal(res.status, 400);
      assert.ok(
        res.body.fields.some((f: { field: string }) => f.field === field),
        JSON.stringify(res.body)
      );
      assert.match(res.body.message, new RegExp(field));
    });
  }

  test('a routing to a version with no upstream answers 409 naming the version', async () => {
    const res = await h.admin('PUT', '/admin/services/checkout/routing', { ...routing(5), canary: 'v9' });
    assert.equal(res.status, 409);
    assert.match(res.body.message, /v9/);
    assert.deepEqual(
      res.body.fields.map((f: { field: string }) => f.field),
      ['/canary']
    );
  });

  test('upstreams that are not http URLs answer 400 naming the version', async () => {
    const res = await h.admin('PUT', '/admin/services/checkout/upstreams', { versions: { v1: 'ftp://x', v2: 'ok' } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.fields.map((f: { field: string }) => f.field).sort(), ['/versions/v1', '/versions/v2']);
  });

  test('an upstream that receives traffic cannot be removed', async () => {
    await h.admin('PUT', '/admin/services/checkout/routing', routing(20));
    const res = await h.admin('PUT', '/admin/services/checkout/upstreams', { versions: { v1: h.upstreams.v1!.url } });
    assert.equal(res.status, 409);
    assert.match(res.body.message, /v2/);
    const kept = await h.admin('GET', '/admin/services/checkout/upstreams');
    assert.deepEqual(Object.keys(kept.body.versions).sort(), ['v1', 'v2']);
  });

  test('a malformed service name, a bad window and a body that is not JSON answer 400', async () => {
    const name = await h.admin('GET', '/admin/services/Bad_Name/routing');
    assert.equal(name.status, 400);
    assert.deepEqual(
      name.body.fields.map((f: { field: string }) => f.field),
      ['/service']
    );

    const window = await h.admin('GET', '/admin/services/checkout/stats?window=soon');
    assert.equal(window.status, 400);
    assert.deepEqual(
      window.body.fields.map((f: { field: string }) => f.field),
      ['/window']
    );

    const res = await fetch(`${h.address.adminUrl}/admin/services/checkout/routing`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sesame' },
      body: '{"weight": ',
    });
    assert.equal(res.status, 400);
  });

  test('routing for a service without any answers 404', async () => {
    const res = await h.admin('GET', '/admin/services/ghost/routing');
    assert.equal(res.status, 404);
  });

  test('the admin API refuses a missing or wrong token, while /metrics stays open', async () => {
    const none = await h.admin('GET', '/admin/services/checkout/routing', undefined, '');
    const wrong = await h.admin('GET', '/admin/services/checkout/routing', undefined, 'open');
    const metrics = await call(`${h.address.adminUrl}/metrics`, 'GET');

    assert.equal(none.status, 401);
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, 'SENTRA_ROUTER_UNAUTHORIZED');
    assert.equal(metrics.status, 200);
  });
});

describe('the router before any routing', () => {
  test('a service with upstreams but no routing answers 503 on the proxy and 404 on the routing read', async () => {
    const h = await startHarness({ v1: {}, v2: {} });
    try {
      const read = await h.admin('GET', '/admin/services/checkout/routing');
      const tally = await h.send(2);

      assert.equal(read.status, 404);
      assert.equal(read.body.code, 'SENTRA_ROUTER_NO_ROUTING');
      assert.deepEqual(tally.byStatus, { 503: 2 });
    } finally {
      await h.close();
    }
  });
});

function pick(stats: { requests: number; errors: number }) {
  return { requests: stats.requests, errors: stats.errors };
}
