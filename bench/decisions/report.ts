/**
 * Tables and a plot from the benchmark's numbers: plain text for the console,
 * markdown and CSV for files, and an SVG chart.
 */

export interface Table {
  title: string;
  head: string[];
  rows: string[][];
  notes?: string[];
}

export function text(table: Table): string {
  const widths = table.head.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [table.title, line(table.head), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)];
  if (table.notes) out.push(...table.notes.map((n) => `  ${n}`));
  return out.join('\n');
}

export function markdown(table: Table): string {
  const row = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const out = [
    `### ${table.title}`,
    '',
    row(table.head),
    row(table.head.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...table.rows.map(row),
  ];
  if (table.notes) out.push('', ...table.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

export function csv(table: Table): string {
  const cell = (c: string) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return [table.head, ...table.rows].map((r) => r.map(cell).join(',')).join('\n');
}

/** Seconds as a short duration: 4.2s, 95s, 12m, never. */
export function seconds(value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return 'never';
  if (value < 10) return `${value.toFixed(1)}s`;
  if (value < 600) return `${Math.round(value)}s`;
  if (value < 7200) return `${(value / 60).toFixed(0)}m`;
  return `${(value / 3600).toFixed(1)}h`;
}

export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  /** y per x; Infinity is drawn at the top as "never". */
  points: number[];
}

export interface Panel {
  title: string;
  series: Series[];
}

/**
 * Small multiples: one panel per fault, x the canary's traffic (log), y the
 * median time to rollback (log), a line per rule.
 */
export function svgPlot(title: string, xs: readonly number[], panels: Panel[]): string {
  const cols = 4;
  const pw = 260;
  const ph = 190;
  const margin = { left: 46, top: 26, right: 12, bottom: 30 };
  const rows = Math.ceil(panels.length / cols);
  const legendHeight = 40;
  const width = cols * pw + 24;
  const height = rows * ph + legendHeight + 30;
  const yMin = 1;
  const yMax = 7200;
  const x = (v: number, i: number) =>
    margin.left +
    ((pw - margin.left - margin.right) * Math.log10(v / xs[0]!)) / Math.log10(xs.at(-1)! / xs[0]!) +
    (i % cols) * pw;
  const y = (v: number, i: number) => {
    const clamped = Math.min(yMax, Math.max(yMin, Number.isFinite(v) ? v : yMax));
    const top = 30 + Math.floor(i / cols) * ph + margin.top;
    return top + (ph - margin.top - margin.bottom) * (1 - Math.log10(clamped / yMin) / Math.log10(yMax / yMin));
  };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="10">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ];
  panels.forEach((panel, i) => {
    const left = (i % cols) * pw + margin.left;
    const right = (i % cols) * pw + pw - margin.right;
    parts.push(`<text x="${left}" y="${y(yMax, i) - 6}" font-weight="bold">${escape(panel.title)}</text>`);
    for (const tick of [1, 10, 60, 600, 3600]) {
      parts.push(`<line x1="${left}" x2="${right}" y1="${y(tick, i)}" y2="${y(tick, i)}" stroke="#ddd"/>`);
      parts.push(
        `<text x="${left - 4}" y="${y(tick, i) + 3}" text-anchor="end">${tick < 60 ? `${tick}s` : `${tick / 60}m`}</text>`
      );
    }
    parts.push(`<text x="${left - 4}" y="${y(yMax, i) + 3}" text-anchor="end">never</text>`);
    for (const xv of xs) parts.push(`<text x="${x(xv, i)}" y="${y(yMin, i) + 14}" text-anchor="middle">${xv}/s</text>`);
    for (const s of panel.series) {
      const path = s.points
        .map((v, j) => `${j === 0 ? 'M' : 'L'}${x(xs[j]!, i).toFixed(1)},${y(v, i).toFixed(1)}`)
        .join(' ');
      const dash = s.dashed ? ' stroke-dasharray="4 3"' : '';
      parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="1.6"${dash}/>`);
      s.points.forEach((v, j) =>
        parts.push(`<circle cx="${x(xs[j]!, i).toFixed(1)}" cy="${y(v, i).toFixed(1)}" r="2" fill="${s.color}"/>`)
      );
    }
  });
  const legendTop = 30 + rows * ph + 10;
  panels[0]?.series.forEach((s, j) => {
    const lx = 10 + (j % 4) * 250;
    const ly = legendTop + Math.floor(j / 4) * 16;
    const dash = s.dashed ? ' stroke-dasharray="4 3"' : '';
    parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${lx + 30}" y="${ly + 3}">${escape(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
