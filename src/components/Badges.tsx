import React from 'react';
import { Badge, type BadgeColor } from '@grafana/ui';

import type { Phase, Verdict } from '../api/types';
import type { DecisionKind } from '../../backend/src/domain/vocabulary.ts';

const PHASE_COLORS: Record<Phase, BadgeColor> = {
  progressing: 'blue',
  paused: 'orange',
  completed: 'green',
  rolled_back: 'red',
  aborted: 'darkgrey',
};

const PHASE_TEXT: Record<Phase, string> = {
  progressing: 'progressing',
  paused: 'paused',
  completed: 'completed',
  rolled_back: 'rolled back',
  aborted: 'aborted',
};

export function phaseText(phase: Phase): string {
  return PHASE_TEXT[phase];
}

export function PhaseBadge({ phase, reason }: { phase: Phase; reason?: string | null }) {
  return <Badge color={PHASE_COLORS[phase]} text={PHASE_TEXT[phase]} tooltip={reason ?? undefined} />;
}

const VERDICT_COLORS: Record<Verdict, BadgeColor> = {
  pass: 'green',
  fail: 'red',
  inconclusive: 'orange',
  error: 'purple',
};

export function VerdictBadge({ verdict, tooltip }: { verdict: Verdict | null; tooltip?: string }) {
  if (verdict === null) {
    return <Badge color="darkgrey" text="not judged yet" tooltip={tooltip} />;
  }
  return <Badge color={VERDICT_COLORS[verdict]} text={verdict} tooltip={tooltip} />;
}

const DECISION_COLORS: Record<DecisionKind, BadgeColor> = {
  advance: 'blue',
  hold: 'darkgrey',
  pause: 'orange',
  rollback: 'red',
  complete: 'green',
  resume: 'purple',
  abort: 'red',
};

export function DecisionBadge({ kind }: { kind: DecisionKind }) {
  return <Badge color={DECISION_COLORS[kind]} text={kind} />;
}

export const VERDICT_CSS_COLORS: Record<Verdict, string> = {
  pass: '#56a64b',
  fail: '#e02f44',
  inconclusive: '#ff9830',
  error: '#a352cc',
};
