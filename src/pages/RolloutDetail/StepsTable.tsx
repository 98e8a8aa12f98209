import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import type { RolloutDetail } from '../../api/types';
import { formatDurationMs, formatTime } from '../../utils/format';

/** The policy's steps with what happened at each: when it started, ended and how. */
export function StepsTable({ detail, now }: { detail: RolloutDetail; now: number }) {
  const styles = useStyles2(getStyles);
  const records = new Map(detail.steps.map((s) => [s.index, s]));
  const { rollout } = detail;
  return (
    <table className={styles.table} aria-label="Steps">
      <thead>
        <tr>
          <th>#</th>
          <th>Weight</th>
          <th>Hold</th>
          <th>Started</th>
          <th>Ended</th>
          <th>Took</th>
          <th>Outcome</th>
        </tr>
      </thead>
      <tbody>
        {rollout.policy.steps.map((step, index) => {
          const record = records.get(index);
          const current = index === rollout.stepIndex && rollout.endedAt === null;
          return (
            <tr
              key={index}
              className={current ? styles.current : undefined}
              aria-current={current ? 'step' : undefined}
            >
              <td>{index + 1}</td>
              <td>
                {record?.weight ?? step.weight ?? '–'}
                {(record?.weight ?? step.weight) !== undefined && '%'}
                {step.headerRoute && ` + ${step.headerRoute.header}: ${step.headerRoute.value}`}
              </td>
              <td>
                {step.minDuration}
                {step.maxDuration && `–${step.maxDuration}`}
                {step.pause && ', then pause'}
              </td>
              <td>{record ? formatTime(record.startedAt) : '–'}</td>
              <td>{record?.endedAt ? formatTime(record.endedAt) : '–'}</td>
              <td>{record ? formatDurationMs((record.endedAt ?? now) - record.startedAt) : '–'}</td>
              <td>{record?.outcome ?? (current ? 'in progress' : '–')}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': {
      textAlign: 'left',
      padding: theme.spacing(0.5, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
    },
    th: { color: theme.colors.text.secondary },
  }),
  current: css({ background: theme.colors.action.selected, fontWeight: theme.typography.fontWeightMedium }),
});
