import type { BusErrorHandler } from './common.ts';
import { MemoryBus } from './memory.ts';
import { RedisBus } from './redis.ts';
import type { Bus } from './types.ts';

export type { Bus } from './types.ts';

export interface BusOptions {
  /** Put before every Redis key and channel name; `sentra:` when left out. */
  prefix?: string;
  /** Where failing subscribers and lost connections are reported; a process warning when left out. */
  onError?: BusErrorHandler;
}

/** A Redis bus when a URL is given (`redis://host:port/db`), otherwise the in-process one. */
export function createBus(redisUrl?: string, options: BusOptions = {}): Bus {
  if (redisUrl === undefined || redisUrl === '') return new MemoryBus({ onError: options.onError });
  if (!/^rediss?:\/\//i.test(redisUrl)) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(redisUrl)?.[1];
    throw new Error(`the bus URL must start with redis:// or rediss://${scheme ? `, not "${scheme}:"` : ''}`);
  }
  return new RedisBus({ url: redisUrl, prefix: options.prefix, onError: options.onError });
}
