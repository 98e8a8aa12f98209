import type { StoredEvent } from '../store/types.ts';

/** Where a bus reports what it cannot throw to a caller: a failing handler, a lost connection. */
export type BusErrorHandler = (error: unknown) => void;

export const warnOnError: BusErrorHandler = (error) => {
  process.emitWarning(error instanceof Error ? error : String(error), { type: 'SentraBusWarning' });
};

/**
 * The handlers subscribed on one bus. A handler that throws is reported and
 * the others still get the event; a handler unsubscribed while an event is
 * being handed out does not get it.
 */
export class Handlers {
  readonly #handlers = new Set<(event: StoredEvent) => void>();
  readonly #onError: BusErrorHandler;

  constructor(onError: BusErrorHandler) {
    this.#onError = onError;
  }

  add(handler: (event: StoredEvent) => void): () => void {
    // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const subscription = (event: StoredEvent) => handler(event);
    this.#handlers.add(subscription);
    return () => {
      this.#handlers.delete(subscription);
    };
  }

  deliver(event: StoredEvent): void {
    for (const handler of [...this.#handlers]) {
      if (!this.#handlers.has(handler)) continue;
      try {
        handler(event);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  clear(): void {
    this.#handlers.clear();
  }
}

/** Lease arguments are checked before anything is sent, with the field named. */
export function checkLease(key: string, owner: string, ttlMs?: number): void {
  if (typeof key !== 'string' || key === '') throw new RangeError('lease key must be a non-empty string');
  if (typeof owner !== 'string' || owner === '') throw new RangeError('lease owner must be a non-empty string');
  if (ttlMs !== undefined && (!Number.isSafeInteger(ttlMs) || ttlMs < 1)) {
    throw new RangeError(`lease ttlMs must be a positive whole number of milliseconds, got ${ttlMs}`);
  }
}

export function closedError(): Error {
  return new Error('the bus is closed');
}
