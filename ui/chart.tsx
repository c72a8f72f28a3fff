/**
 * A time chart (uPlot, drawn on a canvas) with its thresholds as dashed lines, inside a figure whose caption
 * and text summary say what it shows (a canvas alone says nothing to a screen reader).
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartProps {
  title: string;
  unit: string;
  thresholds: { value: number; bound: 'max' | 'min'; label: string }[];
  lines: { label: string; points: [number, number][]; error?: string }[];
}

const COLORS = ['#1d4ed8', '#b45309', '#047857', '#7c3aed'];
const THRESHOLD = '#b91c1c';

const fmt = (v: number | undefined, unit: string) =>
  v === undefined ? 'no data' : `${v >= 100 ? Math.round(v) : Number(v.toFixed(2))}${unit ? ` ${unit}` : ''}`;

/** The lines on one time axis (seconds), each value at its own time or null, plus a line per threshold. */
function aligned(p: ChartProps): uPlot.AlignedData {
  const times = [...new Set(p.lines.flatMap((l) => l.points.map(([t]) => Math.round(t / 1000))))].sort((a, b) => a - b);
  const at = (l: ChartProps['lines'][number]) => {
    const m = new Map(l.points.map(([t, v]) => [Math.round(t / 1000), v]));
    return times.map((t) => m.get(t) ?? null);
  };
  return [times, ...p.lines.map(at), ...p.thresholds.map((th) => times.map(() => th.value))];
}

export function Chart(p: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const shape = JSON.stringify([p.lines.map((l) => l.label), p.thresholds.map((t) => t.label), p.unit]);
  useEffect(() => {
    if (!box.current) return;
    const opts: uPlot.Options = {
      width: Math.max(280, box.current.clientWidth || 480),
      height: 180,
      legend: { show: true },
      axes: [{}, { size: 72, values: (_u, vals) => vals.map((v) => `${v}${p.unit ? ` ${p.unit}` : ''}`) }],
      series: [
        {},
        ...p.lines.map((l, i) => ({ label: l.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true })),
        ...p.thresholds.map((t) => ({ label: `${t.label} (${t.bound})`, stroke: THRESHOLD, dash: [6, 4], width: 1 })),
      ],
    };
    plot.current = new uPlot(opts, aligned(p), box.current);
    return () => plot.current?.destroy();
  }, [shape]);
  useEffect(() => {
    plot.current?.setData(aligned(p));
  });
  const summary = [
    ...p.lines.map((l) =>
      l.error
        ? `${l.label}: ${l.error}`
        : `${l.label} ${fmt(l.points.at(-1)?.[1], p.unit)} (${l.points.length} points)`,
    ),
    ...p.thresholds.map((t) => `${t.label}: ${t.bound === 'max' ? 'at most' : 'at least'} ${fmt(t.value, p.unit)}`),
  ].join('; ');
  return (
    <figure class="chart">
      <figcaption>{p.title}</figcaption>
      <div ref={box} class="plot" role="img" aria-label={`${p.title}: ${summary}`} />
      <p class="chart-summary">{summary}</p>
    </figure>
  );
}
