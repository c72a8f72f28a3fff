import { parseDurationMs } from '../util/duration.js';
import { UsageError } from './io.js';

/** "90s", "5m", "1h30m", "250ms" → milliseconds. */
export function parseDuration(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new UsageError(`invalid duration "${text}" (use e.g. 30s, 5m, 1h)`);
  return ms;
}
