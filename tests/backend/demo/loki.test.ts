import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';

import { parseLokiChoice, startDemoLoki } from '../../../backend/src/demo/loki.ts';
import { createLokiProvider } from '../../../backend/src/telemetry/loki.ts';
import type { CountsObservation } from '../../../backend/src/domain/gates/observation.ts';

/** A server on loopback that answers `GET /ready` with this status and body, as Loki does while starting. */
async function aReadyEndpoint(status: number, body: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const known = req.url === '/ready';
    res
      .writeHead(known ? status : 404, { 'content-type': 'text/plain; charset=utf-8' })
      .end(known ? body : '404 page not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('--loki takes "fake" or an http(s) URL, without its trailing slash', () => {
  assert.equal(parseLokiChoice('fake'), 'fake');
  assert.equal(parseLokiChoice('http://127.0.0.1:3100/'), 'http://127.0.0.1:3100');
  assert.equal(parseLokiChoice('https://logs.example.test/loki'), 'https://logs.example.test/loki');
});

test('--loki refuses anything else, naming the option and the value', () => {
  for (const bad of ['', 'loki', 'localhost:3100', 'ftp://127.0.0.1/', 'FAKE']) {
    assert.throws(
      () => parseLokiChoice(bad),
      (error: Error) => error.message.startsWith('--loki must be') && error.message.includes(`"${bad}"`)
    );
  }
});

test('"fake" starts the stand-in, says so in one line naming it a test fake, and it answers as Loki', async () => {
  const said: string[] = [];
  const loki = await startDemoLoki('fake', (line) => said.push(line));
  try {
    assert.equal(loki.fake, true);
    assert.equal(said.length, 1);
    assert.match(said[0]!, /stand-in that follows Loki's documented HTTP API/);
    assert.match(said[0]!, /test fake tests\/fixtures\/loki\/server\.ts/);
    assert.ok(said[0]!.includes(loki.url));

    const now = Date.now();
    const line = (msg: string, level: number) => JSON.stringify({ level, msg });
    const values = [
      [`${(now - 500) * 1e6}`, line('request completed', 20)],
      [`${(now - 400) * 1e6}`, line('request failed', 50)],
    ];
    const push = await fetch(`${loki.url}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ streams: [{ stream: { service: 'demo', version: 'v4' }, values }] }),
    });
    assert.equal(push.status, 204);
    const obs = (await createLokiProvider({ url: loki.url }).observe(
      { name: 'e', kind: 'error-rate', provider: 'loki' },
      {
        service: 'demo',
        baseline: 'v2',
        canary: 'v4',
        now: now + 1000,
        lagMs: 0,
        timeoutMs: 2000,
        windowEnd: null,
        since: now - 1000,
      }
    )) as CountsObservation;
    assert.deepEqual(obs.canary, { ok: true, value: { requests: 1, errors: 1 } });
  } finally {
    await loki.close();
  }
});

test('a real Loki is used once GET /ready answers 200, and said in one line', async () => {
  const ready = await aReadyEndpoint(200, 'ready\n');
  try {
    const said: string[] = [];
    const loki = await startDemoLoki(ready.url, (line) => said.push(line));
    assert.deepEqual([loki.url, loki.fake], [ready.url, false]);
    assert.deepEqual(said, [`Loki: ${ready.url}; the demo service pushes its logs there.`]);
  } finally {
    await ready.close();
  }
});

test('a Loki that is not ready stops the demo before it starts, with its answer and the way out', async () => {
  const starting = await aReadyEndpoint(503, 'Ingester not ready: waiting for 15s after being ready\n');
  try {
    await assert.rejects(
      startDemoLoki(starting.url, () => undefined),
      (error: Error) =>
        error.message.includes(`Loki at ${starting.url} is not ready`) &&
        error.message.includes('HTTP 503: Ingester not ready') &&
        error.message.includes('--loki fake')
    );
  } finally {
    await starting.close();
  }

  const gone = await aReadyEndpoint(200, 'ready\n');
  await gone.close();
  await assert.rejects(
    startDemoLoki(gone.url, () => undefined),
    /is not ready \(GET \/ready: fetch failed\)/
  );
});
