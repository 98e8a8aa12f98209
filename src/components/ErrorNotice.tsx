import React from 'react';
import { Alert, Button } from '@grafana/ui';

import { describeError } from '../api/errors';

interface Props {
  error: unknown;
  /** What was being done, e.g. "Loading rollouts". */
  action?: string;
  onRetry?: () => void;
  severity?: 'error' | 'warning';
}

/** Shows one failure the way every Sentra page shows failures: what happened, then what to do. */
export function ErrorNotice({ error, action, onRetry, severity = 'error' }: Props) {
  const { title, detail } = describeError(error);
  return (
    <Alert severity={severity} title={action ? `${action} failed: ${title}` : title}>
      <div>{detail}</div>
      {onRetry && (
        <Button size="sm" variant="secondary" icon="sync" onClick={onRetry} style={{ marginTop: 8 }}>
          Try again
        </Button>
      )}
    </Alert>
  );
}
