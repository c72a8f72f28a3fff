import { UsageError } from './io.js';

/** "90s", "5m", "1h30m", "250ms" → milliseconds. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = '';
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    consumed += m[0];
  }
  if (consumed !== text || text === '') throw new UsageError(`invalid duration "${text}" (use e.g. 30s, 5m, 1h)`);
  return total;
}
