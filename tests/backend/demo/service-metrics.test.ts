import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { RunningPrometheus } from '../../../backend/src/demo/prometheus.ts';
import { startPrometheus } from '../../../backend/src/demo/prometheus.ts';
import type { DemoService, DemoServiceOptions } from '../../../backend/src/demo/service.ts';
import { startDemoService } from '../../../backend/src/demo/service.ts';
import { DEMO_SERVICE_QUERIES } from '../../../backend/src/demo/service-metrics.ts';
import { fillTemplate } from '../../../backend/src/telemetry/types.ts';

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text exposition, one per line that is not a comment. */
function parseExposition(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `not an exposition line: ${line}`);
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    series.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return series;
}

function valueOf(series: Series[], name: string, labels: Record<string, string>): number | undefined {
  const found = series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `several series match ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

async function metricsOf(demo: DemoService): Promise<{ contentType: string; series: Series[] }> {
  const res = await fetch(`${demo.url}/metrics`);
  assert.equal(res.status, 200);
  return { contentType: res.headers.get('content-type') ?? '', series: parseExposition(await res.text()) };
}

async function send(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await (await fetch(`${url}/orders/${i}`)).arrayBuffer();
}

function aDemo(options: Partial<DemoServiceOptions> = {}): Promise<DemoService> {
  return startDemoService({ version: 'v2', service: 'checkout', logLevel: 'silent', ...options });
}

test('GET /metrics counts the answered requests by service, version and status code', async () => {
  const demo = await aDemo();
  try {
    await send(demo.url, 3);
    demo.setKnobs({ errorRatio: 1 });
    await send(demo.url, 2);
    const { contentType, series } = await metricsOf(demo);

    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    const labels = { service: 'checkout', version: 'v2' };
    assert.equal(valueOf(series, 'sentra_demo_requests_total', { ...labels, code: '200' }), 3);
    assert.equal(valueOf(series, 'sentra_demo_requests_total', { ...labels, code: '500' }), 2);
    assert.equal(await demo.served(), 5);
  } finally {
    await demo.close();
  }
});

test('the latency histogram puts each answer in the bucket of its delay', async () => {
  const demo = await aDemo({ latencyMs: 30 });
  try {
    await send(demo.url, 4);
    const { series } = await metricsOf(demo);

    const bucket = (le: string) =>
      valueOf(series, 'sentra_demo_request_duration_seconds_bucket', { version: 'v2', le });
    assert.equal(bucket('0.025'), 0);
    assert.equal(bucket('0.05'), 4);
    assert.equal(bucket('+Inf'), 4);
    assert.equal(valueOf(series, 'sentra_demo_request_duration_seconds_count', { version: 'v2' }), 4);
    const sum = valueOf(series, 'sentra_demo_request_duration_seconds_sum', { version: 'v2' }) ?? 0;
    assert.ok(sum >= 4 * 0.03 && sum < 4 * 0.05, `sum ${sum}`);
  } finally {
    await demo.close();
  }
});

test('health checks, knob changes and scrapes are not counted as requests', async () => {
  const demo = await aDemo();
  try {
    await fetch(`${demo.url}/healthz`).then((r) => r.arrayBuffer());
    await fetch(`${demo.url}/knobs`).then((r) => r.arrayBuffer());
    await metricsOf(demo);
    const { series } = await metricsOf(demo);

    assert.equal(valueOf(series, 'sentra_demo_requests_total', { version: 'v2' }), undefined);
    assert.equal(valueOf(series, 'sentra_demo_request_duration_seconds_count', { version: 'v2' }), undefined);
    assert.equal(valueOf(series, 'sentra_demo_requests_received_total', { version: 'v2' }), undefined);
    assert.deepEqual([await demo.served(), await demo.received()], [0, 0]);
  } finally {
    await demo.close();
  }
});

test('a request is counted as received when it arrives, and as answered once its answer is sent', async () => {
  const demo = await aDemo({ latencyMs: 300 });
  try {
    const answer = fetch(`${demo.url}/slow`).then((r) => r.arrayBuffer());
    while ((await demo.received()) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const during = (await metricsOf(demo)).series;
    assert.equal(await demo.served(), 0);
    assert.equal(valueOf(during, 'sentra_demo_requests_received_total', { service: 'checkout', version: 'v2' }), 1);
    assert.equal(valueOf(during, 'sentra_demo_requests_total', { version: 'v2' }), undefined);

    await answer;
    assert.deepEqual([await demo.received(), await demo.served()], [1, 1]);
  } finally {
    await demo.close();
  }
});

test('two versions in one process each expose only their own counts', async () => {
  const [v1, v2] = await Promise.all([aDemo({ version: 'v1' }), aDemo({ version: 'v2' })]);
  try {
    await send(v1.url, 2);
    await send(v2.url, 5);

    const one = (await metricsOf(v1)).series.filter((s) => s.name === 'sentra_demo_requests_total');
    const two = (await metricsOf(v2)).series.filter((s) => s.name === 'sentra_demo_requests_total');
    assert.deepEqual(one, [
      { name: 'sentra_demo_requests_total', labels: { service: 'checkout', version: 'v1', code: '200' }, value: 2 },
    ]);
    assert.deepEqual(two, [
      { name: 'sentra_demo_requests_total', labels: { service: 'checkout', version: 'v2', code: '200' }, value: 5 },
    ]);
  } finally {
    await Promise.all([v1.close(), v2.close()]);
  }
});

test('anything but GET on /metrics answers 405 and is not counted', async () => {
  const demo = await aDemo();
  try {
    const res = await fetch(`${demo.url}/metrics`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 405);
    assert.deepEqual(await res.json(), { error: 'use GET on /metrics' });
    assert.equal(await demo.served(), 0);
  } finally {
    await demo.close();
  }
});

/** Polls an instant query until it answers `want` series, or gives up after 20 s. */
async function query(prometheus: RunningPrometheus, promql: string, want: number): Promise<number[]> {
  let last = '';
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
    last = JSON.stringify(body);
    if (body.data.result.length === want) return body.data.result.map((r) => Number(r.value[1]));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${promql} did not answer ${want} series: ${last}`);
}

test('a real Prometheus scraping two instances answers the gate queries with one series per version', async () => {
  const [v1, v2] = await Promise.all([aDemo({ version: 'v1' }), aDemo({ version: 'v2', errorRatio: 1 })]);
  const targets = [v1, v2].map((s) => new URL(s.url).host);
  const prometheus = await startPrometheus({ scrapeTargets: targets, scrapeInterval: '1s' });
  try {
    await send(v1.url, 7);
    await send(v2.url, 3);
    const fill = (template: string, version: string) => fillTemplate(template, { service: 'checkout', version });

    // The counters settle once both instances have been scraped after the requests.
    const settled = async (template: string, version: string, value: number) => {
      for (let i = 0; i < 100; i++) {
        const [found] = await query(prometheus, fill(template, version), 1);
        if (found === value) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.fail(`${fill(template, version)} never answered ${value}`);
    };
    await settled(DEMO_SERVICE_QUERIES.requests, 'v1', 7);
    await settled(DEMO_SERVICE_QUERIES.requests, 'v2', 3);
    await settled(DEMO_SERVICE_QUERIES.errors, 'v2', 3);
    assert.deepEqual(await query(prometheus, fill(DEMO_SERVICE_QUERIES.errors, 'v1'), 0), []);
    const histogram = `sum by (le) (${DEMO_SERVICE_QUERIES.histogram}_bucket{service="checkout",version="v1"})`;
    assert.equal((await query(prometheus, histogram, 12)).length, 12);
  } finally {
    await prometheus.stop();
    await Promise.all([v1.close(), v2.close()]);
  }
});
