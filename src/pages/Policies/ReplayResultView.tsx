import React, { useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { EmptyState, InlineSwitch, Stack, Text, useStyles2 } from '@grafana/ui';

import type { GateResult, Phase, ReplayResult, ReplayTick, WireNumber } from '../../api/types';
import { DecisionBadge, PhaseBadge, VerdictBadge } from '../../components/Badges';
import { formatDurationMs, formatGateValue, formatTime } from '../../utils/format';
import type { PolicyDraft } from './policyForm';

interface Props {
  result: ReplayResult;
  /** The policy that was replayed, for how each gate's numbers read. */
  policy: PolicyDraft;
}

export function ReplayResultView({ result, policy }: Props) {
  if (result.ticks.length === 0) {
    return <EmptyState variant="not-found" message="The range held no tick to judge" />;
  }
  return (
    <Stack direction="column" gap={2}>
      <ReplayOutcome result={result} />
      <ReplayTicks ticks={result.ticks} policy={policy} />
    </Stack>
  );
}

const ENDED: Record<Exclude<Phase, 'progressing'>, string> = {
  completed: 'completed',
  rolled_back: 'rolled back',
  paused: 'paused for an operator',
  aborted: 'been aborted',
};

/** What the rollout would have come to, when, and why, in one place. */
function ReplayOutcome({ result }: { result: ReplayResult }) {
  const last = result.ticks[result.ticks.length - 1]!;
  const { outcome, decidedAt } = result;
  const headline =
    outcome === 'progressing' || decidedAt === null
      ? `Still progressing when the range ended at ${formatTime(result.to)}: step ${last.stepIndex + 1} at ${last.toWeight}%`
      : `Would have ${ENDED[outcome]} at ${formatTime(decidedAt)}, ${formatDurationMs(decidedAt - result.from)} after the start`;

  return (
    <section aria-label="Replay outcome">
      <Stack direction="column" gap={1}>
        <Stack gap={1} alignItems="center">
          <PhaseBadge phase={outcome} />
          <Text weight="medium">{headline}</Text>
        </Stack>
        {decidedAt !== null && <Text>{last.reason}</Text>}
        <Text color="secondary" variant="bodySmall">
          Policy {result.policy || '(unnamed)'}, {formatTime(result.from)} → {formatTime(result.to)}, a tick every{' '}
          {result.tickInterval}: {result.ticks.length === 1 ? '1 tick' : `${result.ticks.length} ticks`}.
        </Text>
      </Stack>
    </section>
  );
}

/**
 * Every replayed tick, oldest first, with each gate's verdict. A step holds
 * on every tick until it may move, so holds are hidden unless asked for; the
 * last tick always shows, since it is where the replay ended.
 */
function ReplayTicks({ ticks, policy }: { ticks: ReplayTick[]; policy: PolicyDraft }) {
  const styles = useStyles2(getStyles);
  const [showHolds, setShowHolds] = useState(false);
  const last = ticks[ticks.length - 1];
  const holds = ticks.filter((t) => t.decision === 'hold').length;
  const gates = gateNames(ticks);

  return (
    <Stack direction="column" gap={1}>
      <InlineSwitch
        label={`Show every hold (${holds})`}
        showLabel
        value={showHolds}
        onChange={(e) => setShowHolds(e.currentTarget.checked)}
      />
      <table className={styles.table} aria-label="Replayed ticks">
        <thead>
          <tr>
            <th>Time</th>
            <th>Step</th>
            <th>Weight</th>
            <th>Decision</th>
            {gates.map((gate) => (
              <th key={gate}>{gate}</th>
            ))}
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {ticks.map(
            (tick, i) =>
              (showHolds || tick.decision !== 'hold' || tick === last) && (
                <tr key={tick.at} data-testid={`replay-tick-${i}`}>
                  <td className={styles.nowrap}>{formatTime(tick.at)}</td>
                  <td>{tick.stepIndex + 1}</td>
                  <td className={styles.nowrap}>
                    {tick.weight === tick.toWeight ? `${tick.weight}%` : `${tick.weight}% → ${tick.toWeight}%`}
                  </td>
                  <td>
                    <DecisionBadge kind={tick.decision} />
                  </td>
                  {gates.map((gate) => (
                    <td key={gate}>
                      <GateCell result={tick.verdicts.find((v) => v.gate === gate)} policy={policy} />
                    </td>
                  ))}
                  <td>{tick.reason}</td>
                </tr>
              )
          )}
        </tbody>
      </table>
    </Stack>
  );
}

/** One gate on one tick: its verdict (the reason on hover), observed value against threshold, and samples. */
function GateCell({ result, policy }: { result: GateResult | undefined; policy: PolicyDraft }) {
  const styles = useStyles2(getStyles);
  if (result === undefined) {
    return <Text color="secondary">not judged</Text>;
  }
  const quantile = isQuantileGate(policy, result.gate);
  const value = (v: WireNumber | null) => formatGateValue(v, result.kind, quantile);
  return (
    <div className={styles.gate}>
      <VerdictBadge verdict={result.verdict} tooltip={result.reason} />
      <span>
        observed {value(result.observed)} · threshold {value(result.threshold)}
      </span>
      <span className={styles.samples}>
        samples {result.samples.canary} canary
        {result.samples.baseline !== null && ` · ${result.samples.baseline} baseline`}
      </span>
    </div>
  );
}

/** Every gate judged in the replay, in the order they were first judged. */
function gateNames(ticks: ReplayTick[]): string[] {
  const names = new Set<string>();
  ticks.forEach((tick) => tick.verdicts.forEach((v) => names.add(v.gate)));
  return [...names];
}

/** A latency gate judged on a quantile reads in seconds, not as a share of slow requests. */
function isQuantileGate(policy: PolicyDraft, name: string): boolean {
  const gates = Array.isArray(policy.gates) ? (policy.gates as Array<Record<string, unknown>>) : [];
  const gate = gates.find((g) => g.name === name);
  return gate?.kind === 'latency' && gate.quantile !== undefined;
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
  gate: css({
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'flex-start',
    gap: theme.spacing(0.25),
    whiteSpace: 'nowrap',
  }),
  samples: css({ color: theme.colors.text.secondary }),
});
