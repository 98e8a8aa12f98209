import React, { useEffect, useState } from 'react';
import { useParams } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { Stack, Text, TextLink } from '@grafana/ui';

import type { RolloutDetail } from '../../api/types';
import { PhaseBadge, VerdictBadge } from '../../components/Badges';
import { LiveStatusNotice } from '../../components/LiveStatusNotice';
import { Loadable } from '../../components/Loadable';
import { Section } from '../../components/Section';
import { appUrl, policyUrl, ROUTES } from '../../constants';
import { useRollout } from '../../hooks/useRollout';
import { formatAge, formatTime } from '../../utils/format';
import { DecisionLog } from './DecisionLog';
import { GatesSection } from './GatesSection';
import { RolloutActions } from './RolloutActions';
import { weightSeries } from './series';
import { StepsTable } from './StepsTable';
import { WeightChart } from './WeightChart';

export function RolloutDetailPage() {
  const { id = '' } = useParams<{ id: string }>();
  const rollout = useRollout(id);
  const title = rollout.data
    ? `${rollout.data.rollout.service}: ${rollout.data.rollout.baseline} → ${rollout.data.rollout.canary}`
    : 'Rollout';

  return (
    <PluginPage
      pageNav={{ text: title, url: appUrl(ROUTES.Rollouts, id) }}
      info={rollout.data ? [{ label: 'Started', value: formatAge(rollout.data.rollout.startedAt) }] : undefined}
    >
      <Loadable query={rollout} what="the rollout">
        {(detail) => <RolloutView detail={detail} onChanged={rollout.refetch} />}
      </Loadable>
    </PluginPage>
  );
}

function RolloutView({ detail, onChanged }: { detail: RolloutDetail; onChanged: () => void }) {
  const now = useNow(detail.rollout.endedAt === null);
  const { rollout } = detail;
  return (
    <Stack direction="column" gap={3}>
      <Stack gap={3} alignItems="center" wrap="wrap">
        <PhaseBadge phase={rollout.phase} reason={rollout.pauseReason} />
        <Text element="h2" variant="h3" data-testid="current-weight">
          {rollout.weight}% on {rollout.canary}
        </Text>
        <Text color="secondary">
          step {Math.min(rollout.stepIndex + 1, rollout.stepCount)} of {rollout.stepCount}
          {rollout.appliedWeight !== null && ` · applied ${rollout.appliedWeight}%`}
        </Text>
        <span>
          worst gate <VerdictBadge verdict={rollout.worstVerdict} />
        </span>
        <Text color="secondary">
          policy <TextLink href={policyUrl(rollout.policyName)}>{rollout.policyName}</TextLink> v{rollout.policyVersion}{' '}
          · started {formatTime(rollout.startedAt)} by {rollout.createdBy}
          {rollout.endedAt !== null && ` · ended ${formatTime(rollout.endedAt)}`}
        </Text>
        <LiveStatusNotice />
      </Stack>
      {rollout.pauseReason && rollout.phase === 'paused' && <Text color="warning">Paused: {rollout.pauseReason}</Text>}
      <RolloutActions rolloutId={rollout.id} service={rollout.service} phase={rollout.phase} onDone={onChanged} />
      <Section title="Weight over time">
        <WeightChart points={weightSeries(detail, now)} />
      </Section>
      <Section title="Steps">
        <StepsTable detail={detail} now={now} />
      </Section>
      <Section title="Gates">
        <GatesSection detail={detail} />
      </Section>
      <Section title="Decision log">
        <DecisionLog decisions={detail.decisions} />
      </Section>
    </Stack>
  );
}

/** The current time, ticking every few seconds while the rollout is live. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) {
      return;
    }
    const timer = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}
