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
