/** The durations `parseDurationMs` reads, as a JSON Schema `pattern`: "90s", "5m", "1h30m", "250ms", "1.5h". */
export const DURATION_PATTERN = '^(\\d+(\\.\\d+)?(ms|s|m|h))+$';

/** Durations as Kubernetes tools write them: "90s", "5m", "1h30m", "250ms" → milliseconds; undefined when not one. */
export function parseDurationMs(text: unknown): number | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  let total = 0;
  let consumed = '';
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    consumed += m[0];
  }
  return consumed === text ? total : undefined;
}

/** Milliseconds as a short duration, to the second: "45s", "4m", "4m30s", "1h5m". */
export function formatDurationMs(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const [h, m, rest] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${rest ? `${rest}s` : ''}`;
}
