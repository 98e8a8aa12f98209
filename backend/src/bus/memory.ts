import { EventEmitter } from 'node:events';

import type { StoredEvent } from '../store/types.ts';
import type { BusErrorHandler } from './common.ts';
import { Handlers, checkLease, closedError, warnOnError } from './common.ts';
import type { Bus } from './types.ts';

/**
 * What in-process buses share: the event stream and the leases. One hub
 * stands for one Redis server; buses on the same hub behave like replicas.
 * Leases expire by the hub's clock, so tests can move time by hand.
 */
export class MemoryHub {
  readonly clock: () => number;
  readonly events = new EventEmitter();
  readonly leases = new Map<string, { owner: string; expiresAt: number }>();

  constructor(options: { clock?: () => number } = {}) {
    this.clock = options.clock ?? Date.now;
    this.events.setMaxListeners(0);
  }
}

export interface MemoryBusOptions {
  hub?: MemoryHub;
  onError?: BusErrorHandler;
}

/**
 * The in-process bus, for a single replica and for tests. Like Redis, it
 * hands an event to subscribers after `publish` has returned, and each bus
 * gets its own copy.
 */
export class MemoryBus implements Bus {
  readonly kind = 'memory';
  readonly #hub: MemoryHub;
  readonly #handlers: Handlers;
  readonly #listener: (event: StoredEvent) => void;
  #closed = false;

  constructor(options: MemoryBusOptions = {}) {
    this.#hub = options.hub ?? new MemoryHub();
    this.#handlers = new Handlers(options.onError ?? warnOnError);
    this.#listener = (event) => this.#handlers.deliver(structuredClone(event));
    this.#hub.events.on('event', this.#listener);
  }

  async publish(event: StoredEvent): Promise<void> {
    if (this.#closed) throw closedError();
    const copy = structuredClone(event);
    queueMicrotask(() => this.#hub.events.emit('event', copy));
  }

  subscribe(handler: (event: StoredEvent) => void): () => void {
    if (this.#closed) throw closedError();
    return this.#handlers.add(handler);
  }

  async acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    checkLease(key, owner, ttlMs);
    if (this.#closed) throw closedError();
    const now = this.#hub.clock();
    const held = this.#hub.leases.get(key);
    if (held && held.owner !== owner && held.expiresAt > now) return false;
    this.#hub.leases.set(key, { owner, expiresAt: now + ttlMs });
    return true;
  }

  async releaseLease(key: string, owner: string): Promise<void> {
    checkLease(key, owner);
    if (this.#closed) throw closedError();
    if (this.#hub.leases.get(key)?.owner === owner) this.#hub.leases.delete(key);
  }

  /** Stops delivery to this bus; leases it holds run out as they would if a replica stopped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.events.off('event', this.#listener);
    this.#handlers.clear();
  }
}
