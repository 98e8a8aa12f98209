import React from 'react';
import { Icon, Tooltip } from '@grafana/ui';

import { useLiveStatus } from '../hooks/useLiveEvents';
import { ErrorNotice } from './ErrorNotice';

/** A small "Live" mark while updates flow; a warning saying why when they do not. */
export function LiveStatusNotice() {
  const status = useLiveStatus();
  if (status.state === 'retrying') {
    return <ErrorNotice error={status.error} action="Live updates" severity="warning" />;
  }
  const live = status.state === 'live';
  return (
    <Tooltip content={live ? 'Changes appear as the backend makes them' : 'Connecting to live updates…'}>
      <span data-testid="live-status" aria-label={live ? 'live' : 'connecting'}>
        <Icon name={live ? 'signal' : 'circle'} style={{ color: live ? '#56a64b' : undefined }} />{' '}
        {live ? 'Live' : 'Connecting'}
      </span>
    </Tooltip>
  );
}
