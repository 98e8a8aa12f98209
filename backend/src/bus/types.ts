import type { StoredEvent } from '../store/types.ts';

/**
 * Carries rollout events between backend replicas and to their WebSocket and
 * long-poll clients, and hands out leases so that one replica at a time ticks
 * a rollout. The events themselves are kept by the store; the bus only tells
 * everyone that they exist.
 */
export interface Bus {
  readonly kind: 'redis' | 'memory';
  publish(event: StoredEvent): Promise<void>;
  /** Calls `handler` for every event published by any replica; returns the unsubscribe function. */
  subscribe(handler: (event: StoredEvent) => void): () => void;

  /**
   * Takes the lease `key` for `owner` if it is free or already `owner`'s, for
   * `ttlMs`. Answers whether `owner` holds it now.
   */
  acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it. */
  releaseLease(key: string, owner: string): Promise<void>;
  close(): Promise<void>;
}
