import React from 'react';
import { useTheme2 } from '@grafana/ui';

import { formatTime } from '../../utils/format';
import type { WeightPoint } from './series';

const WIDTH = 800;
const HEIGHT = 180;
const PAD = { left: 40, right: 12, top: 10, bottom: 24 };

/** The canary's weight over time as a step line, 0–100 %. */
export function WeightChart({ points }: { points: WeightPoint[] }) {
  const theme = useTheme2();
  const from = points[0]!.at;
  const to = Math.max(points[points.length - 1]!.at, from + 1);
  const x = (at: number) => PAD.left + ((at - from) / (to - from)) * (WIDTH - PAD.left - PAD.right);
  const y = (weight: number) => PAD.top + (1 - weight / 100) * (HEIGHT - PAD.top - PAD.bottom);

  const path = points
    .map((p, i) => {
      if (i === 0) {
        return `M${x(p.at)},${y(p.weight)}`;
      }
      return `H${x(p.at)}V${y(p.weight)}`;
    })
    .join('');
  const last = points[points.length - 1]!;

  return (
    <svg
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      width="100%"
      role="img"
      aria-label={`Canary weight over time, now ${last.weight}%`}
      data-testid="weight-chart"
    >
      {[0, 25, 50, 75, 100].map((w) => (
        <g key={w}>
          <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(w)} y2={y(w)} stroke={theme.colors.border.weak} />
          <text x={PAD.left - 6} y={y(w) + 4} textAnchor="end" fontSize={11} fill={theme.colors.text.secondary}>
            {w}%
          </text>
        </g>
      ))}
      <path d={path} fill="none" stroke={theme.colors.primary.main} strokeWidth={2} />
      {points.slice(1, -1).map((p) => (
        <circle key={p.at} cx={x(p.at)} cy={y(p.weight)} r={3} fill={theme.colors.primary.main}>
          <title>{`${p.weight}% at ${formatTime(p.at)}`}</title>
        </circle>
      ))}
      <text x={PAD.left} y={HEIGHT - 6} fontSize={11} fill={theme.colors.text.secondary}>
        {formatTime(from)}
      </text>
      <text x={WIDTH - PAD.right} y={HEIGHT - 6} fontSize={11} textAnchor="end" fill={theme.colors.text.secondary}>
        {formatTime(to)}
      </text>
    </svg>
  );
}
