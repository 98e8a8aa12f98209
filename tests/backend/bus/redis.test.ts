import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { Redis } from 'ioredis';

import { RedisBus } from '../../../backend/src/bus/redis.ts';
import { REDIS_URL } from '../../support/services.ts';
import { busSuite } from './bus-suite.ts';

// Every key and channel of a test starts with a prefix of its own.
busSuite('redis', () => {
  const prefix = `sentra-test:${randomBytes(6).toString('hex')}:`;
  const opened: RedisBus[] = [];
  return {
    open: async (onError) => {
      const bus = new RedisBus({ url: REDIS_URL, prefix, onError });
      opened.push(bus);
      await bus.ready;
      return bus;
    },
    advance: (ms) => sleep(ms),
    cleanup: async () => {
      for (const bus of opened) await bus.close();
      await deleteKeys(`${prefix}*`);
    },
  };
});

async function deleteKeys(pattern: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 100);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
