import { Redis } from 'ioredis';

import { decodeJson, encodeJson } from '../store/json.ts';
import type { StoredEvent } from '../store/types.ts';
import type { BusErrorHandler } from './common.ts';
import { Handlers, checkLease, closedError, warnOnError } from './common.ts';
import type { Bus } from './types.ts';

export interface RedisBusOptions {
  url: string;
  /** Put before every key and channel name, so that several Sentras can share one Redis. */
  prefix?: string;
  onError?: BusErrorHandler;
}

export const DEFAULT_PREFIX = 'sentra:';

/**
 * Takes the lease if it is free, or renews it if the owner already holds it.
 * In one script, so nothing can come between the check and the write.
 */
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** Deletes the lease only while it is still the owner's: after expiry it may be someone else's. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface LeaseCommands {
  sentraAcquireLease(key: string, owner: string, ttlMs: number): Promise<number>;
  sentraReleaseLease(key: string, owner: string): Promise<number>;
}

/**
 * The bus across replicas: events on one pub/sub channel, leases as keys
 * that expire. One connection publishes and runs the lease scripts; a second
 * one subscribes, since a subscribed Redis connection can do nothing else.
 */
export class RedisBus implements Bus {
  readonly kind = 'redis';
  /** Settles once this bus's subscription is active; events published before then may not reach it. */
  readonly ready: Promise<void>;
  readonly #client: Redis & LeaseCommands;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #handlers: Handlers;
  readonly #onError: BusErrorHandler;
  #closed = false;

  constructor(options: RedisBusOptions) {
    this.#prefix = options.prefix ?? DEFAULT_PREFIX;
    this.#channel = `${this.#prefix}events`;
    this.#onError = options.onError ?? warnOnError;
    this.#handlers = new Handlers(this.#onError);

    this.#client = new Redis(options.url) as Redis & LeaseCommands;
    this.#client.defineCommand('sentraAcquireLease', { numberOfKeys: 1, lua: ACQUIRE });
    this.#client.defineCommand('sentraReleaseLease', { numberOfKeys: 1, lua: RELEASE });
    this.#subscriber = this.#client.duplicate();
    for (const connection of [this.#client, this.#subscriber]) {
      connection.on('error', (error) => {
        if (!this.#closed) this.#onError(error);
      });
    }

    this.#subscriber.on('message', (channel: string, message: string) => this.#receive(channel, message));
    this.ready = this.#subscriber.subscribe(this.#channel).then(() => undefined);
    // Whoever awaits `ready` sees a failure; unawaited, it is reported rather than left unhandled.
    this.ready.catch((error) => {
      if (!this.#closed) this.#onError(error);
    });
  }

  async publish(event: StoredEvent): Promise<void> {
    if (this.#closed) throw closedError();
    await this.#client.publish(this.#channel, encodeJson(event));
  }

  subscribe(handler: (event: StoredEvent) => void): () => void {
    if (this.#closed) throw closedError();
    return this.#handlers.add(handler);
  }

  async acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    checkLease(key, owner, ttlMs);
    if (this.#closed) throw closedError();
    return (await this.#client.sentraAcquireLease(this.#leaseKey(key), owner, ttlMs)) === 1;
  }

  async releaseLease(key: string, owner: string): Promise<void> {
    checkLease(key, owner);
    if (this.#closed) throw closedError();
    await this.#client.sentraReleaseLease(this.#leaseKey(key), owner);
  }

  /** Closes both connections; leases this bus holds run out by themselves. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.clear();
    await Promise.all([disconnect(this.#subscriber), disconnect(this.#client)]);
  }

  #leaseKey(key: string): string {
    return `${this.#prefix}lease:${key}`;
  }

  #receive(channel: string, message: string): void {
    if (channel !== this.#channel) return;
    let event: StoredEvent;
    try {
      event = decodeJson<StoredEvent>(message);
    } catch (error) {
      this.#onError(new Error(`ignored a message on ${channel} that is not JSON`, { cause: error }));
      return;
    }
    this.#handlers.deliver(event);
  }
}

/** QUIT waits for replies still owed; a connection that is not up is simply dropped. */
async function disconnect(connection: Redis): Promise<void> {
  if (connection.status === 'end') return;
  if (connection.status !== 'ready') {
    connection.disconnect();
    return;
  }
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}
