import React, { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { EmptyState, Field, Input, LinkButton, RadioButtonGroup, Stack, TextLink, useStyles2 } from '@grafana/ui';

import { PHASES } from '../../../backend/src/domain/vocabulary.ts';
import type { Phase, RolloutSummary } from '../../api/types';
import { PhaseBadge, phaseText, VerdictBadge } from '../../components/Badges';
import { LiveStatusNotice } from '../../components/LiveStatusNotice';
import { Loadable } from '../../components/Loadable';
import { appUrl, ROUTES, rolloutUrl } from '../../constants';
import { useRollouts } from '../../hooks/useRollouts';
import { formatAge } from '../../utils/format';

const PHASE_OPTIONS = [
  { label: 'All', value: '' },
  ...PHASES.map((phase) => ({ label: phaseText(phase), value: phase })),
];

export function RolloutsPage() {
  const [service, setService] = useState('');
  const [phase, setPhase] = useState<Phase | ''>('');
  const filter = useMemo(() => ({ phase: phase || undefined, limit: 200 }), [phase]);
  const rollouts = useRollouts(filter);
  const needle = service.trim().toLowerCase();
  const shown = { ...rollouts, data: rollouts.data?.filter((r) => r.service.toLowerCase().includes(needle)) };

  return (
    <PluginPage
      actions={
        <LinkButton icon="plus" href={appUrl(ROUTES.StartRollout)}>
          Start a rollout
        </LinkButton>
      }
    >
      <Stack direction="column" gap={2}>
        <Stack gap={2} alignItems="flex-end" wrap="wrap">
          <Field label="Service" noMargin>
            <Input
              width={30}
              placeholder="All services"
              value={service}
              onChange={(e) => setService(e.currentTarget.value)}
              aria-label="Filter by service"
            />
          </Field>
          <Field label="Phase" noMargin>
            <RadioButtonGroup options={PHASE_OPTIONS} value={phase} onChange={(v) => setPhase(v as Phase | '')} />
          </Field>
          <LiveStatusNotice />
        </Stack>
        <Loadable
          query={shown}
          what="rollouts"
          isEmpty={(list) => list.length === 0}
          empty={<NoRollouts filtered={Boolean(needle || phase)} />}
        >
          {(list) => <RolloutsTable rollouts={list} />}
        </Loadable>
      </Stack>
    </PluginPage>
  );
}

function NoRollouts({ filtered }: { filtered: boolean }) {
  if (filtered) {
    return <EmptyState variant="not-found" message="No rollout matches these filters" />;
  }
  return (
    <EmptyState
      variant="call-to-action"
      message="No rollouts yet"
      button={
        <LinkButton icon="plus" href={appUrl(ROUTES.StartRollout)}>
          Start a rollout
        </LinkButton>
      }
    >
      A rollout moves a service from its baseline to a canary version step by step, judged on live telemetry.
    </EmptyState>
  );
}

function RolloutsTable({ rollouts }: { rollouts: RolloutSummary[] }) {
  const styles = useStyles2(getStyles);
  return (
    <table className={styles.table} aria-label="Rollouts">
      <thead>
        <tr>
          <th>Service</th>
          <th>Baseline → canary</th>
          <th>Phase</th>
          <th>Weight</th>
          <th>Worst gate</th>
          <th>Age</th>
        </tr>
      </thead>
      <tbody>
        {rollouts.map((r) => (
          <tr key={r.id} data-testid={`rollout-row-${r.id}`}>
            <td>
              <TextLink href={rolloutUrl(r.id)} inline={false}>
                {r.service}
              </TextLink>
            </td>
            <td>
              {r.baseline} → {r.canary}
            </td>
            <td>
              <PhaseBadge phase={r.phase} reason={r.pauseReason} />
            </td>
            <td data-testid="weight">
              {r.weight}%{' '}
              <span className={styles.weak}>
                step {Math.min(r.stepIndex + 1, r.stepCount)}/{r.stepCount}
                {r.appliedWeight !== null && r.appliedWeight !== r.weight ? ` · applied ${r.appliedWeight}%` : ''}
              </span>
            </td>
            <td>
              <VerdictBadge verdict={r.worstVerdict} />
            </td>
            <td title={new Date(r.startedAt).toISOString()}>{formatAge(r.startedAt)}</td>
          </tr>
        ))}
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
      padding: theme.spacing(1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
    },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
  }),
  weak: css({ color: theme.colors.text.secondary }),
});
