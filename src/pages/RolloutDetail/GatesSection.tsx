import React, { useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Button, Card, LinkButton, Stack, Text, useStyles2 } from '@grafana/ui';

import type { Gate, GateResult, RolloutDetail, WireNumber } from '../../api/types';
import { VerdictBadge } from '../../components/Badges';
import { exploreUrl } from '../../utils/explore';
import { formatGateValue, formatNumber, formatPValue, formatTime } from '../../utils/format';
import { GateHistoryChart } from './GateHistoryChart';
import { gateHistory, type GatePoint } from './series';

export function GatesSection({ detail }: { detail: RolloutDetail }) {
  const latest = new Map(detail.gates.map((g) => [g.gate, g]));
  return (
    <Stack direction="column" gap={1}>
      {detail.rollout.policy.gates.map((gate) => (
        <GateCard key={gate.name} gate={gate} result={latest.get(gate.name) ?? null} detail={detail} />
      ))}
    </Stack>
  );
}

interface GateCardProps {
  gate: Gate;
  result: GateResult | null;
  detail: RolloutDetail;
}

function GateCard({ gate, result, detail }: GateCardProps) {
  const styles = useStyles2(getStyles);
  const history = gateHistory(detail.decisions, gate.name);
  const link = exploreUrl(gate, detail.rollout, result?.window ?? null);
  const quantile = gate.kind === 'latency' && gate.quantile !== undefined;
  const value = (v: WireNumber | null) => formatGateValue(v, gate.kind, quantile);

  return (
    <Card data-testid={`gate-${gate.name}`}>
      <Card.Heading>{gate.name}</Card.Heading>
      <Card.Meta>{[gate.kind, gate.provider, gate.datasourceUid && `data source ${gate.datasourceUid}`]}</Card.Meta>
      <Card.Tags>
        <VerdictBadge verdict={result?.verdict ?? null} tooltip={result?.inconclusive} />
      </Card.Tags>
      <Card.Description>
        {result === null ? (
          <Text color="secondary">Not judged yet: the first tick of this step has not run.</Text>
        ) : (
          <Stack direction="column" gap={1}>
            <Text>{result.reason}</Text>
            <dl className={styles.facts}>
              <dt>Observed (canary)</dt>
              <dd>{value(result.observed)}</dd>
              <dt>Baseline</dt>
              <dd>{value(result.baselineObserved)}</dd>
              <dt>Threshold</dt>
              <dd>{value(result.threshold)}</dd>
              <dt>Samples</dt>
              <dd>
                {result.samples.canary} canary
                {result.samples.baseline !== null && ` · ${result.samples.baseline} baseline`}
              </dd>
              <dt>Window</dt>
              <dd>
                {formatTime(result.window.from)} → {formatTime(result.window.to)}
              </dd>
              {result.evidence && <EvidenceFacts evidence={result.evidence} />}
            </dl>
          </Stack>
        )}
        {history.length > 0 && <GateHistory gate={gate.name} points={history} value={value} />}
      </Card.Description>
      {link && (
        <Card.Actions>
          <LinkButton size="sm" variant="secondary" icon="compass" href={link} target="_blank">
            Open in Explore
          </LinkButton>
        </Card.Actions>
      )}
    </Card>
  );
}

function GateHistory({
  gate,
  points,
  value,
}: {
  gate: string;
  points: GatePoint[];
  value: (v: WireNumber | null) => string;
}) {
  const [open, setOpen] = useState(false);
  return (
    <Stack direction="column" gap={1}>
      <div>
        <Button
          size="sm"
          variant="secondary"
          fill="text"
          icon={open ? 'angle-down' : 'angle-right'}
          onClick={() => setOpen(!open)}
        >
          History ({points.length} ticks)
        </Button>
      </div>
      {open && (
        <>
          <GateHistoryChart gate={gate} points={points} />
          <GateHistoryTable points={points.slice(-20).reverse()} value={value} />
        </>
      )}
    </Stack>
  );
}

function EvidenceFacts({ evidence }: { evidence: NonNullable<GateResult['evidence']> }) {
  return (
    <>
      <dt>p-value</dt>
      <dd>{formatPValue(evidence.pValue)}</dd>
      <dt>Log likelihood ratio</dt>
      <dd>{evidence.logLikelihoodRatio === null ? '–' : formatNumber(evidence.logLikelihoodRatio)}</dd>
      <dt>Expected more samples</dt>
      <dd>{evidence.expectedMoreSamples === null ? '–' : Math.ceil(evidence.expectedMoreSamples)}</dd>
      <dt>Healthy accepted</dt>
      <dd>{evidence.accepted ? 'yes' : 'not yet'}</dd>
    </>
  );
}

function GateHistoryTable({ points, value }: { points: GatePoint[]; value: (v: WireNumber | null) => string }) {
  const styles = useStyles2(getStyles);
  return (
    <table className={styles.history}>
      <thead>
        <tr>
          <th>Time</th>
          <th>Verdict</th>
          <th>Observed</th>
          <th>Threshold</th>
          <th>Samples</th>
        </tr>
      </thead>
      <tbody>
        {points.map((p) => (
          <tr key={p.at}>
            <td>{formatTime(p.at)}</td>
            <td>
              <VerdictBadge verdict={p.result.verdict} tooltip={p.result.reason} />
            </td>
            <td>{value(p.result.observed)}</td>
            <td>{value(p.result.threshold)}</td>
            <td>{p.result.samples.canary}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  facts: css({
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.25),
    margin: 0,
    dt: { color: theme.colors.text.secondary },
    dd: { margin: 0 },
  }),
  history: css({
    'th, td': { paddingRight: theme.spacing(2), textAlign: 'left' },
    th: { color: theme.colors.text.secondary },
  }),
});
