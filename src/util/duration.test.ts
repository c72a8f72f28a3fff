import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, formatDurationMs, parseDurationMs } from './duration.js';

describe('durations', () => {
  it('the pattern accepts exactly what parseDurationMs reads', () => {
    const pattern = new RegExp(DURATION_PATTERN);
    for (const text of ['90s', '5m', '1h30m', '250ms', '1.5h', '0s', '', '5', 'm5', '1d', '-1s', '5m ', '1.s'])
      expect(pattern.test(text), text).toBe(parseDurationMs(text) !== undefined);
  });

  it('formats to the second, leaving out zero parts', () => {
    expect([0, 45_000, 240_000, 270_400, 600_000, 3_900_000].map(formatDurationMs)).toEqual([
      '0s',
      '45s',
      '4m',
      '4m30s',
      '10m',
      '1h5m',
    ]);
  });
});
