import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2, PanelProps } from '@grafana/data';
import { Stack, Text, TextLink, useStyles2 } from '@grafana/ui';

import { isTerminal } from '../../../backend/src/domain/vocabulary.ts';
import type { GateResult, RolloutSummary } from '../../api/types';
import { PhaseBadge, phaseText, VerdictBadge } from '../../components/Badges';
import { Loadable } from '../../components/Loadable';
import { rolloutUrl } from '../../constants';
import { useRollout } from '../../hooks/useRollout';
import { useRollouts } from '../../hooks/useRollouts';
import { formatAge } from '../../utils/format';

export interface RolloutStatusOptions {
  service?: string;
}

/** One service's current rollout: weight, phase and each gate's verdict, live. */
export function RolloutStatusPanel({ options, replaceVariables }: PanelProps<RolloutStatusOptions>) {
  const styles = useStyles2(getStyles);
  const service = replaceVariables(options.service ?? '').trim();
  if (service === '') {
    return <div className={styles.empty}>Choose a service in the panel options to show its rollout.</div>;
  }
  return <ServiceStatus service={service} />;
}

function ServiceStatus({ service }: { service: string }) {
  const styles = useStyles2(getStyles);
  const rollouts = useRollouts({ service, limit: 1 });
  const latest = rollouts.data?.[0];
  const live = latest !== undefined && !isTerminal(latest.phase);
  const detail = useRollout(live ? latest.id : null);

  return (
    <Loadable query={rollouts} what={`rollouts of ${service}`}>
      {() =>
        live ? (
          <LiveRollout rollout={latest} gates={detail.data?.gates ?? []} />
        ) : (
          <div className={styles.empty} data-testid="no-rollout">
            <Text element="p">No rollout of {service} in progress.</Text>
            {latest && (
              <Text color="secondary">
                Last: {latest.baseline} → {latest.canary} {phaseText(latest.phase)}{' '}
                {formatAge(latest.endedAt ?? latest.startedAt)}.
              </Text>
            )}
          </div>
        )
      }
    </Loadable>
  );
}

function LiveRollout({ rollout, gates }: { rollout: RolloutSummary; gates: GateResult[] }) {
  const styles = useStyles2(getStyles);
  return (
    <Stack direction="column" gap={1}>
      <Stack gap={2} alignItems="center" wrap="wrap">
        <TextLink href={rolloutUrl(rollout.id)} inline={false}>
          {`${rollout.service}: ${rollout.baseline} → ${rollout.canary}`}
        </TextLink>
        <PhaseBadge phase={rollout.phase} reason={rollout.pauseReason} />
      </Stack>
      <div className={styles.weight} data-testid="panel-weight">
        {rollout.weight}%
        <span className={styles.step}>
          {' '}
          on canary · step {Math.min(rollout.stepIndex + 1, rollout.stepCount)}/{rollout.stepCount}
        </span>
      </div>
      <div
        className={styles.bar}
        role="progressbar"
        aria-valuenow={rollout.weight}
        aria-valuemin={0}
        aria-valuemax={100}
      >
        <div className={styles.fill} style={{ width: `${rollout.weight}%` }} />
      </div>
      <Stack gap={1} wrap="wrap">
        {gates.map((g) => (
          <span key={g.gate} title={g.reason}>
            {g.gate} <VerdictBadge verdict={g.verdict} tooltip={g.reason} />
          </span>
        ))}
      </Stack>
    </Stack>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  empty: css({
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'center',
    justifyContent: 'center',
    height: '100%',
    textAlign: 'center',
    color: theme.colors.text.secondary,
  }),
  weight: css({ fontSize: theme.typography.h2.fontSize, fontWeight: theme.typography.fontWeightMedium }),
  step: css({ fontSize: theme.typography.body.fontSize, color: theme.colors.text.secondary }),
  bar: css({ height: 8, borderRadius: 4, background: theme.colors.background.secondary, overflow: 'hidden' }),
  fill: css({ height: '100%', background: theme.colors.primary.main, transition: 'width 0.5s' }),
});
