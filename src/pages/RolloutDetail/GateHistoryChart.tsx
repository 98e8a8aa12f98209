import React from 'react';
import { useTheme2 } from '@grafana/ui';

import { VERDICT_CSS_COLORS } from '../../components/Badges';
import { numberOf } from '../../utils/format';
import type { GatePoint } from './series';

const WIDTH = 320;
const HEIGHT = 60;
const PAD = 6;

/**
 * A gate's observed value over time, with its threshold as a dashed line and
 * each tick's verdict as the colour of its dot. Ticks without a value (no
 * data, query errors) sit on the bottom edge.
 */
export function GateHistoryChart({ gate, points }: { gate: string; points: GatePoint[] }) {
  const theme = useTheme2();
  if (points.length === 0) {
    return null;
  }
  const values = points
    .flatMap((p) => [numberOf(p.result.observed), numberOf(p.result.threshold)])
    .filter(isFiniteNumber);
  const top = Math.max(...values, 0) * 1.1 || 1;
  const from = points[0]!.at;
  const to = Math.max(points[points.length - 1]!.at, from + 1);
  const x = (at: number) => PAD + ((at - from) / (to - from)) * (WIDTH - 2 * PAD);
  const y = (v: number | null) =>
    v === null || !Number.isFinite(v) ? HEIGHT - PAD : PAD + (1 - v / top) * (HEIGHT - 2 * PAD);
  const threshold = numberOf(points[points.length - 1]!.result.threshold);

  return (
    <svg
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      width={WIDTH}
      height={HEIGHT}
      role="img"
      aria-label={`History of gate ${gate}`}
    >
      {threshold !== null && (
        <line
          x1={PAD}
          x2={WIDTH - PAD}
          y1={y(threshold)}
          y2={y(threshold)}
          stroke={theme.colors.error.main}
          strokeDasharray="4 3"
        />
      )}
      <polyline
        fill="none"
        stroke={theme.colors.text.secondary}
        points={points
          .filter((p) => isFiniteNumber(numberOf(p.result.observed)))
          .map((p) => `${x(p.at)},${y(numberOf(p.result.observed))}`)
          .join(' ')}
      />
      {points.map((p) => (
        <circle
          key={p.at}
          cx={x(p.at)}
          cy={y(numberOf(p.result.observed))}
          r={2.5}
          fill={VERDICT_CSS_COLORS[p.result.verdict]}
        >
          <title>{p.result.reason}</title>
        </circle>
      ))}
    </svg>
  );
}

function isFiniteNumber(v: number | null): v is number {
  return v !== null && Number.isFinite(v);
}
