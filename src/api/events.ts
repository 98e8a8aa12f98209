import { EVENTS_WAIT_SECONDS } from '../constants';
import { isCancelled, sentraRequest } from './client';
import type { EventsPage, SentraEvent } from './types';

export type LiveStatus = { state: 'connecting' } | { state: 'live' } | { state: 'retrying'; error: unknown };

export interface EventListener {
  /** Called for each new event, in order. */
  onEvent?: (event: SentraEvent) => void;
  /**
   * Called when the poller has (re)established its place in the event log:
   * whatever was fetched before may have missed events, so fetch again.
   */
  onSync?: () => void;
  onStatus?: (status: LiveStatus) => void;
}

const RETRY_DELAYS_MS = [1000, 2000, 5000, 10_000];

/**
 * Long-polls `GET /events` and hands every event to its listeners. Plain
 * HTTP through Grafana's proxy: no WebSocket needed. One poller serves every
 * listener on the page.
 */
export class EventPoller {
  private readonly listeners = new Set<EventListener>();
  private abort: AbortController | null = null;
  private cursor: number | null = null;
  private status: LiveStatus = { state: 'connecting' };

  get currentStatus(): LiveStatus {
    return this.status;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    listener.onStatus?.(this.status);
    if (this.listeners.size === 1) {
      this.start();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.stop();
      }
    };
  }

  private start(): void {
    const abort = new AbortController();
    this.abort = abort;
    this.cursor = null;
    void this.run(abort.signal);
  }

  private stop(): void {
    this.abort?.abort();
    this.abort = null;
    this.setStatus({ state: 'connecting' });
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.pollOnce(signal, failures > 0);
        failures = 0;
      } catch (error) {
        if (signal.aborted || isCancelled(error)) {
          return;
        }
        this.setStatus({ state: 'retrying', error });
        await sleep(RETRY_DELAYS_MS[Math.min(failures, RETRY_DELAYS_MS.length - 1)]!, signal);
        failures += 1;
      }
    }
  }

  /**
   * The first poll only learns where the log ends (pages fetch the current
   * state themselves); later polls wait for what comes after it.
   */
  private async pollOnce(signal: AbortSignal, recovering: boolean): Promise<void> {
    const first = this.cursor === null;
    const page = await sentraRequest<EventsPage>('/events', {
      params: { after: this.cursor ?? undefined, wait: first ? 0 : EVENTS_WAIT_SECONDS },
      signal,
    });
    if (signal.aborted) {
      return;
    }
    if (!first) {
      for (const event of page.events) {
        this.emit((l) => l.onEvent?.(event));
      }
    }
    this.cursor = page.lastId;
    if (first || recovering || this.status.state !== 'live') {
      this.setStatus({ state: 'live' });
      this.emit((l) => l.onSync?.());
    }
  }

  private setStatus(status: LiveStatus): void {
    this.status = status;
    this.emit((l) => l.onStatus?.(status));
  }

  private emit(call: (listener: EventListener) => void): void {
    for (const listener of [...this.listeners]) {
      call(listener);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** The page's one poller: everything on a page (the app, or all Sentra panels of a dashboard) shares it. */
export const sharedPoller = new EventPoller();
