import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { Redis } from 'ioredis';

import { createBus } from '../../../backend/src/bus/index.ts';
import { RedisBus } from '../../../backend/src/bus/redis.ts';
import type { StoredEvent } from '../../../backend/src/store/types.ts';
import { anEventToPublish } from './bus-suite.ts';
import { REDIS_URL } from '../../support/services.ts';

const run = promisify(execFile);
const busModule = new URL('../../../backend/src/bus/index.ts', import.meta.url).href;

test('createBus gives the in-process bus without a URL and a Redis bus with one', async () => {
  const memory = createBus();
  const redis = createBus(REDIS_URL, { prefix: `sentra-test:${randomBytes(6).toString('hex')}:` });

  assert.equal(memory.kind, 'memory');
  assert.equal(redis.kind, 'redis');
  await Promise.all([memory.close(), redis.close()]);
});

test('createBus refuses a URL that is not a Redis URL, naming its scheme', () => {
  assert.throws(() => createBus('http://127.0.0.1:6379'), /redis:\/\/.*"http:"/);
});

/**
 * Runs a bus's whole life in a child process: publish, deliver, lease, close.
 * A connection or timer left open would keep that process alive until the
 * time limit kills it.
 */
for (const [kind, url] of [
  ['memory', ''],
  ['redis', REDIS_URL],
] as const) {
  test(`a ${kind} bus leaves nothing open once closed, so its process exits by itself`, async () => {
    const prefix = `sentra-test:${randomBytes(6).toString('hex')}:`;
    const script = `
      import { createBus } from ${JSON.stringify(busModule)};
      const options = { prefix: ${JSON.stringify(prefix)} };
      const [a, b] = [createBus(${JSON.stringify(url)}, options), createBus(${JSON.stringify(url)}, options)];
      await Promise.all([a.ready, b.ready]);
      const delivered = new Promise((resolve) => a.subscribe(resolve));
      await a.publish({ id: 1, at: 0, type: 'ping', rolloutId: null, service: null, payload: {} });
      await delivered;
      await b.acquireLease('k', 'owner', 60000);
      await b.releaseLease('k', 'owner');
      await Promise.all([a.close(), b.close()]);
      console.log('closed');
    `;

    const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', script], { timeout: 20_000 });

    assert.equal(stdout.trim(), 'closed');
  });
}

test('a Redis bus keeps its leases under its prefix and renews them to the full time', async () => {
  const prefix = `sentra-test:${randomBytes(6).toString('hex')}:`;
  const bus = new RedisBus({ url: REDIS_URL, prefix });
  const redis = new Redis(REDIS_URL);
  try {
    await bus.acquireLease('rollout-1', 'replica-a', 60_000);
    await redis.pexpire(`${prefix}lease:rollout-1`, 1_000);

    await bus.acquireLease('rollout-1', 'replica-a', 60_000);

    assert.equal(await redis.get(`${prefix}lease:rollout-1`), 'replica-a');
    assert.ok((await redis.pttl(`${prefix}lease:rollout-1`)) > 1_000);
  } finally {
    await redis.del(`${prefix}lease:rollout-1`);
    await Promise.all([bus.close(), redis.quit()]);
  }
});

test('a Redis bus reports a message that is not JSON and goes on delivering', async () => {
  const prefix = `sentra-test:${randomBytes(6).toString('hex')}:`;
  const errors: unknown[] = [];
  const bus = new RedisBus({ url: REDIS_URL, prefix, onError: (error) => errors.push(error) });
  const redis = new Redis(REDIS_URL);
  try {
    await bus.ready;
    const delivered = new Promise<StoredEvent>((resolve) => bus.subscribe(resolve));

    await redis.publish(`${prefix}events`, 'not json');
    await bus.publish(anEventToPublish());

    assert.deepEqual(await delivered, anEventToPublish());
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /not JSON/);
  } finally {
    await Promise.all([bus.close(), redis.quit()]);
  }
});
