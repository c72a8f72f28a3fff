import { describe, expect, it } from 'vitest';
import type { StateSummary } from '../gitops/store/release-store.js';
import { type CanaryProgress, progressLine } from '../traits/canary/progress.js';
import { statusTable } from './releases.js';
import { rolloutReport, stepBar, watchEnd, watchRollout } from './rollout.js';

const now = Date.parse('2026-12-01T00:05:00Z');
const canary = (x: Partial<CanaryProgress> = {}): CanaryProgress => ({
  commit: 'c1c1c1c1c1c1c1c1c1c1',
  component: 'web',
  workload: 'web',
  canary: 'web-canary',
  mode: 'replicas',
  step: 1,
  steps: 4,
  weight: 50,
  actualWeight: 50,
  phase: 'Progressing',
  stepStartedAt: '2026-12-01T00:04:30Z',
  startedAt: '2026-12-01T00:00:00Z',
  failures: 0,
  analysis: [],
  ...x,
});
/** A release's state; `delivery` is its canary's progress, kept as the canary trait's state entry. */
const s = ({ delivery, ...x }: Partial<StateSummary> & { delivery?: CanaryProgress } = {}): StateSummary => ({
  app: 'web',
  env: 'prod',
  status: 'delivering',
  commit: 'c1c1c1c1c1c1c1c1c1c1',
  updatedAt: '2026-12-01T00:04:00Z',
  source: 'aaaaaaaaaaaa',
  ...(delivery
    ? {
        traits: [
          {
            component: delivery.component,
            trait: 'canary',
            commit: delivery.commit,
            progress: delivery,
            status: progressLine(delivery),
          },
        ],
      }
    : {}),
  ...x,
});

describe('ferry rollout status report', () => {
  it(
    'a header, the step bar with the weight asked for and in force, ' +
      'and a row per analysis run with a column per metric',
    () => {
      const p = canary({
        failures: 1,
        analysis: [
          {
            time: '2026-12-01T00:03:00.123Z',
            step: 0,
            weight: 20,
            result: 'Successful',
            measurements: [
              { name: 'success-rate', value: 99.6, unit: '%', ok: true, message: 'success-rate 99.6 % ≥ 99 %' },
            ],
          },
          {
            time: '2026-12-01T00:04:40Z',
            step: 1,
            weight: 50,
            result: 'Failed',
            measurements: [
              { name: 'success-rate', value: 97.1, unit: '%', ok: false, message: 'success-rate 97.1 % < 99 %' },
              { name: 'latency', value: 120.4, unit: 'ms', ok: true, message: 'latency 120 ms ≤ 500 ms' },
            ],
          },
        ],
      });
      expect(rolloutReport(s({ delivery: p }), now)).toEqual([
        'web (prod) commit c1c1c1c1c1c1  progressing 2/4 (weight 50)',
        'steps  [#>..] 2/4  weight 50 % (actual 50 %)',
        'component web: web (stable), web-canary (canary), by replicas; ' +
          'started 5m ago, this step 30s ago; 1 failed analysis',
        '',
        'TIME                  STEP  WEIGHT  RESULT      SUCCESS-RATE                LATENCY',
        '2026-12-01T00:03:00Z  1/4   20 %    Successful  success-rate 99.6 % ≥ 99 %  -',
        '2026-12-01T00:04:40Z  2/4   50 %    Failed      success-rate 97.1 % < 99 %  latency 120 ms ≤ 500 ms',
      ]);
    },
  );

  it('no analysis yet; no actual weight known; a paused step says why', () => {
    const lines = rolloutReport(
      s({
        delivery: canary({
          phase: 'Paused',
          step: 3,
          actualWeight: undefined,
          message: 'waiting for ferry rollout promote',
        }),
      }),
      now,
    );
    expect(lines[0]).toBe('web (prod) commit c1c1c1c1c1c1  paused 4/4 (weight 50): waiting for ferry rollout promote');
    expect(lines[1]).toBe('steps  [###>] 4/4  weight 50 %');
    expect(lines.at(-1)).toBe('no analysis runs yet');
  });

  it("promoting: the weight asked for is still the last step's, on its way to 100", () => {
    const lines = rolloutReport(s({ delivery: canary({ phase: 'Promoting', step: 4, weight: 50 }) }), now);
    expect(lines.slice(0, 2)).toEqual([
      'web (prod) commit c1c1c1c1c1c1  promoting (weight 50 → 100)',
      'steps  [####] 4/4  weight 50 % (actual 50 %)',
    ]);
  });

  it("an earlier commit's canary says the release has moved on to another commit", () => {
    const lines = rolloutReport(
      s({ status: 'applying', commit: 'c3c3c3c3c3c3c3c3', delivery: canary({ phase: 'Aborted' }) }),
      now,
    );
    expect(lines.slice(0, 2)).toEqual([
      'web (prod) commit c1c1c1c1c1c1  aborted at 2/4 (weight 50)',
      "an earlier commit's canary: the release is at commit c3c3c3c3c3c3 now (applying)",
    ]);
    // Held after that canary's abort, the release is at the canary's commit (the newest), not the one running.
    const held = s({ status: 'held', commit: 'c0', newest: canary().commit, delivery: canary({ phase: 'Aborted' }) });
    expect(rolloutReport(held, now)[1]).toMatch(/^steps /);
  });

  it('the step bar: done, promoting, aborted', () => {
    expect(stepBar(canary({ phase: 'Succeeded', step: 4 }))).toBe('[####]');
    expect(stepBar(canary({ phase: 'Promoting', step: 1 }))).toBe('[#>>>]');
    expect(stepBar(canary({ phase: 'Aborted', step: 2 }))).toBe('[##x.]');
    expect(stepBar(canary({ step: 0 }))).toBe('[>...]');
  });

  it('no canary: says so with the release status', () => {
    expect(rolloutReport(s({ status: 'synced' }), now)).toEqual(['no canary for web in prod (status: synced)']);
  });
});

describe('ferry rollout status --watch', () => {
  it('ends on the canary (0 promoted, 1 aborted) or, with none under way, when the release settles', () => {
    expect(watchEnd(s({ delivery: canary({ phase: 'Succeeded', step: 4 }) }))).toBe(0);
    expect(watchEnd(s({ status: 'failed', delivery: canary({ phase: 'Aborted' }) }))).toBe(1);
    expect(watchEnd(s({ delivery: canary({ phase: 'Paused' }) }))).toBeUndefined();
    expect(watchEnd(s({ status: 'failed', delivery: canary({ phase: 'Inconclusive' }) }))).toBeUndefined();
    expect(watchEnd(s({ status: 'applying' }))).toBeUndefined();
    expect(watchEnd(s({ status: 'delivering' }))).toBeUndefined();
    expect(watchEnd(s({ status: 'synced' }))).toBe(0);
    expect(watchEnd(s({ status: 'held' }))).toBe(0);
    expect(watchEnd(s({ status: 'failed' }))).toBe(1);
    // An earlier commit's canary is not under way: the release at its new commit decides.
    const earlier = (status: string) => s({ status, commit: 'c3', delivery: canary({ phase: 'Aborted' }) });
    expect(watchEnd(earlier('delivering'))).toBeUndefined();
    expect(watchEnd(earlier('synced'))).toBe(0);
  });

  it('prints a block only when the canary changed, separated by a blank line off a terminal', async () => {
    const reads = [
      s({ delivery: canary({ step: 0, weight: 20 }) }),
      s({ delivery: canary({ step: 0, weight: 20 }), updatedAt: '2026-12-01T00:04:59Z' }),
      s({ delivery: canary() }),
      s({ status: 'verifying', delivery: canary({ phase: 'Succeeded', step: 4, weight: 100 }) }),
    ];
    let out = '';
    const waits: number[] = [];
    const code = await watchRollout(
      'web',
      'prod',
      async () => reads.shift(),
      { out: (t) => (out += t), err: () => {} },
      { now: () => now, wait: async (ms) => void waits.push(ms) },
    );
    expect(code).toBe(0);
    expect(waits).toEqual([1000, 1000, 1000]);
    const blocks = out.split('\n\n').filter((b) => b.startsWith('web (prod)'));
    expect(blocks.map((b) => b.split('\n')[0])).toEqual([
      'web (prod) commit c1c1c1c1c1c1  progressing 1/4 (weight 20)',
      'web (prod) commit c1c1c1c1c1c1  progressing 2/4 (weight 50)',
      'web (prod) commit c1c1c1c1c1c1  promoted',
    ]);
  });

  it('on a terminal each block clears the screen; JSON lines with -o json; an aborted canary exits 1', async () => {
    let out = '';
    const io = { out: (t: string) => (out += t), err: () => {} };
    const reads = [
      s({ delivery: canary() }),
      s({ status: 'failed', delivery: canary({ phase: 'Aborted', message: 'success-rate failed' }) }),
    ];
    expect(
      await watchRollout('web', 'prod', async () => reads.shift(), io, {
        tty: true,
        now: () => now,
        wait: async () => {},
      }),
    ).toBe(1);
    expect(out.split('\x1b[H\x1b[2J').length).toBe(3);
    expect(out).toContain('aborted at 2/4 (weight 50): success-rate failed');
    out = '';
    // A change of the release's state alone prints no second, identical JSON line.
    const again = [s({ delivery: canary() }), s({ status: 'verifying', delivery: canary() }), s({ status: 'synced' })];
    expect(await watchRollout('web', 'prod', async () => again.shift(), io, { json: true, wait: async () => {} })).toBe(
      0,
    );
    expect(
      out
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([canary(), null]);
  });

  it('a release that stops being recorded ends the watch with exit 1', async () => {
    let err = '';
    expect(
      await watchRollout(
        'web',
        'prod',
        async () => undefined,
        { out: () => {}, err: (t) => (err += t) },
        { wait: async () => {} },
      ),
    ).toBe(1);
    expect(err).toContain('web in prod is no longer recorded');
  });
});

describe('ferry status with a canary', () => {
  it('a delivering release shows its canary step and weight; an aborted one keeps its state and error', () => {
    const rows = statusTable(
      [
        s({ delivery: canary() }),
        s({
          app: 'api',
          status: 'failed',
          lastError: 'DeliveryFailed: canary aborted: success-rate 97.1 % < 99 %',
          delivery: canary({ phase: 'Aborted' }),
        }),
        s({ app: 'old', status: 'synced', delivery: canary({ phase: 'Succeeded', step: 4 }) }),
      ],
      now,
    );
    expect(rows.map((r) => r[3])).toEqual(['STATE', 'progressing 2/4 (weight 50)', 'failed', 'synced']);
    expect(rows[2]!.at(-1)).toBe('DeliveryFailed: canary aborted: success-rate 97.1 % < 99 %');
  });
});
