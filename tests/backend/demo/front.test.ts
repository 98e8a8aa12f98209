import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { DemoFront } from '../../../backend/src/demo/front.ts';
import { missingForTraffic, PROXY_BINARIES, startProxyFront } from '../../../backend/src/demo/front.ts';
import type { DemoService } from '../../../backend/src/demo/service.ts';
import { startDemoService } from '../../../backend/src/demo/service.ts';

test('the router needs nothing, and a proxy needs nothing more when its binary and prometheus are installed', async () => {
  assert.equal(await missingForTraffic('router'), null);
  assert.equal(await missingForTraffic('haproxy'), null);
  assert.equal(await missingForTraffic('nginx'), null);
});

test('a missing proxy binary is named in one line with its Debian package', async () => {
  const binaries = { ...PROXY_BINARIES, nginx: '/nonexistent-sentra-path/nginx' };

  assert.equal(
    await missingForTraffic('nginx', binaries),
    '--traffic nginx needs NGINX: /nonexistent-sentra-path/nginx is missing (Debian package "nginx").'
  );
  assert.equal(await missingForTraffic('haproxy', binaries), null);
});

test('a missing prometheus binary is named in one line: the gates read the demo service through it', async () => {
  const saved = process.env.PATH;
  const empty = await mkdtemp(join(tmpdir(), 'sentra-empty-path-'));
  process.env.PATH = empty;
  try {
    assert.equal(
      await missingForTraffic('haproxy'),
      `--traffic haproxy needs Prometheus to read the demo service's own metrics: no prometheus binary on PATH (Debian package "prometheus").`
    );
    assert.equal(await missingForTraffic('router'), null);
  } finally {
    process.env.PATH = saved;
    await rm(empty, { recursive: true, force: true });
  }
});

async function send(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await (await fetch(`${url}/orders/${i}`)).arrayBuffer();
}

function listens(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('a proxy front with a real HAProxy', () => {
  let services: Record<string, DemoService>;
  let front: DemoFront;
  const moves: string[] = [];
  const said: string[] = [];

  before(async () => {
    const started = await Promise.all(
      ['v1', 'v2', 'v3'].map((version) => startDemoService({ version, service: 'demo', logLevel: 'silent' }))
    );
    services = Object.fromEntries(started.map((s) => [s.version, s]));
    front = await startProxyFront({
      kind: 'haproxy',
      service: 'demo',
      services,
      first: { baseline: 'v1', canary: 'v2' },
      moveLoad: (url) => moves.push(url),
      say: (line) => said.push(line),
    });
  });
  after(async () => {
    await front.close();
    await Promise.all(Object.values(services).map((s) => s.close()));
  });

  test('starts with all traffic on the first baseline, and hands the first rollout of that pair its proxy', async () => {
    const first = front.url();
    await send(first, 10);
    const traffic = await front.prepare('v1', 'v2');

    assert.equal(traffic?.controller, 'haproxy');
    assert.equal(front.url(), first);
    assert.deepEqual(moves, []);
    assert.deepEqual([await front.requests('v1'), await front.requests('v2')], [10, 0]);
  });

  test('a rollout of another pair gets a fresh proxy with all traffic on its baseline, and the load moves to it', async () => {
    const before = front.url();
    const traffic = await front.prepare('v2', 'v3');

    assert.notEqual(front.url(), before);
    assert.deepEqual(moves, [front.url()]);
    assert.match(
      said.at(-1) ?? '',
      /^HAProxy: http:\/\/127\.0\.0\.1:\d+ \(pid \d+\) in front of v2 \(baseline\) and v3 \(canary\); the load moved to it\.$/
    );
    assert.equal(traffic?.controller, 'haproxy');
    await send(front.url(), 10);
    assert.deepEqual([await front.requests('v2'), await front.requests('v3')], [10, 0]);
    assert.equal(await front.requests('v2'), await services.v2!.served());
  });

  test('a pair that a rollout already steered gets a fresh proxy too, and close stops every proxy', async () => {
    const steered = front.url();
    await front.prepare('v2', 'v3');
    assert.notEqual(front.url(), steered);

    const urls = [...moves, steered];
    await front.close();
    for (const url of urls) assert.equal(await listens(url), false, url);
  });
});
