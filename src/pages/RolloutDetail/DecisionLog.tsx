import React, { useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { InlineSwitch, Stack, useStyles2 } from '@grafana/ui';

import type { Decision } from '../../api/types';
import { DecisionBadge } from '../../components/Badges';
import { formatTime } from '../../utils/format';

/**
 * Every decision with its reason, newest first. A hold is taken on every
 * tick a step is not ready to move, so holds are hidden unless asked for
 * (the latest one always shows: it says what the rollout is waiting for).
 */
export function DecisionLog({ decisions }: { decisions: Decision[] }) {
  const styles = useStyles2(getStyles);
  const [showHolds, setShowHolds] = useState(false);
  const latest = decisions[decisions.length - 1];
  const shown = decisions.filter((d) => showHolds || d.kind !== 'hold' || d === latest).reverse();
  const holds = decisions.filter((d) => d.kind === 'hold').length;

  return (
    <Stack direction="column" gap={1}>
      <InlineSwitch
        label={`Show every hold (${holds})`}
        showLabel
        value={showHolds}
        onChange={(e) => setShowHolds(e.currentTarget.checked)}
      />
      <table className={styles.table} aria-label="Decision log">
        <thead>
          <tr>
            <th>Time</th>
            <th>Decision</th>
            <th>By</th>
            <th>Step</th>
            <th>Weight</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((d) => (
            <tr key={d.seq} data-testid={`decision-${d.seq}`}>
              <td className={styles.nowrap}>{formatTime(d.at)}</td>
              <td>
                <DecisionBadge kind={d.kind} />
              </td>
              <td className={styles.nowrap}>{d.actor}</td>
              <td>{d.stepIndex + 1}</td>
              <td className={styles.nowrap}>
                {d.fromWeight === d.toWeight ? `${d.toWeight}%` : `${d.fromWeight}% → ${d.toWeight}%`}
              </td>
              <td>{d.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Stack>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': {
      textAlign: 'left',
      verticalAlign: 'top',
      padding: theme.spacing(0.5, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
    },
    th: { color: theme.colors.text.secondary },
  }),
  nowrap: css({ whiteSpace: 'nowrap' }),
});
