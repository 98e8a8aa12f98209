import { useEffect, useLayoutEffect, useRef, useState } from 'react';

import { sharedPoller, type LiveStatus } from '../api/events';
import type { SentraEvent } from '../api/types';

/**
 * Subscribes to the page's shared event poller. `onEvent` gets every new
 * event; `onSync` runs whenever fetched data may have missed some.
 */
export function useLiveEvents(onEvent: (event: SentraEvent) => void, onSync: () => void): void {
  const handlers = useRef({ onEvent, onSync });
  useLayoutEffect(() => {
    handlers.current = { onEvent, onSync };
  });

  useEffect(
    () =>
      sharedPoller.subscribe({
        onEvent: (event) => handlers.current.onEvent(event),
        onSync: () => handlers.current.onSync(),
      }),
    []
  );
}

export function useLiveStatus(): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>(sharedPoller.currentStatus);
  useEffect(() => sharedPoller.subscribe({ onStatus: setStatus }), []);
  return status;
}
