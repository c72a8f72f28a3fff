/**
 * `ferry status` tells the truth across canaries: `ferry serve` with a real Git server, the real local
 * cluster, Prometheus and the traffic simulator (an image tag ending in `-errors` answers 20 % 500s). A good
 * v1, then v2-errors, aborted: LAST ERROR shows the abort and its commit. Then a good v3 whose canary pauses
 * (`pause: {}`): while it waits, `ferry status` (table and JSON) shows v3's paused canary and no error of
 * v2, and `ferry rollout status` shows v3's canary paused; `ferry rollout promote` finishes it. Timing is
 * never asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory, type StateSummary } from '../../src/gitops/store/release-store.js';
import { type CanaryProgress, canaryOf } from '../../src/traits/canary/progress.js';
import { CanaryWorld } from './canary-support.js';

/** Its own repository and controller: the test checks exact commits (no other test commits beside it). */
const w = new CanaryWorld();
const s = w.scenario('status');
const { app } = s;
const ferry = (...args: string[]) => w.ferry(...args);
/** A canary that waits at weight 20 for `ferry rollout promote`, judged on the success rate every 5 s. */
const CANARY = {
  steps: [{ weight: 20 }, { pause: {} }],
  analysis: { interval: '5s', failureLimit: 1, metrics: [{ name: 'success-rate', min: 99 }] },
};
const commit = (image: string) => w.commit(s, image, CANARY);
const until = (what: string, ok: (x: StateSummary) => boolean) => w.until(s, what, ok);

/** This app's row of `ferry status` (the table), and its entry of `ferry status -o json`. */
async function status(): Promise<{ row: string; json: StateSummary }> {
  const table = await ferry('status');
  expect(table.code, table.stderr).toBe(0);
  const row = table.stdout.split('\n').find((l) => l.startsWith(`${app} `));
  const json = await ferry('status', '-o', 'json');
  expect(json.code, json.stderr).toBe(0);
  const entry = (JSON.parse(json.stdout) as StateSummary[]).find((s) => s.app === app);
  expect(row, table.stdout).toBeDefined();
  expect(entry, json.stdout).toBeDefined();
  return { row: row!, json: entry! };
}
const short = (c: string) => c.slice(0, 12);

beforeAll(async () => {
  await w.start();
});
afterAll(async () => {
  await w.stop();
});

describe('ferry status after an aborted canary', () => {
  it("shows the abort with its commit, then the next commit's paused canary and no stale error", async () => {
    const v1 = commit('example/web:v1');
    await until('synced at v1', (x) => x.status === 'synced' && x.commit === v1);

    // v2 answers 20 % errors: aborted at its first analysis, the app held on v1.
    const v2 = commit('example/web:v2-errors');
    await until('held after the abort of v2', (x) => x.status === 'held' && canaryOf(x.traits)?.phase === 'Aborted');
    const held = await status();
    expect(held.json).toMatchObject({ status: 'held', commit: v1, newest: v2, lastErrorCommit: v2 });
    expect(held.json.lastError).toMatch(/^DeliveryFailed: canary aborted: success-rate \d+(\.\d+)? % < 99 %$/);
    // The COMMIT column shows v1 running and v2 waiting; LAST ERROR the abort, at v2.
    expect(held.row).toMatch(
      new RegExp(
        `^${app} +default +${short(v1)} \\(held; newest ${short(v2)}\\) +held .*` +
          `at ${short(v2)}: DeliveryFailed: canary aborted: success-rate`,
      ),
    );

    // v3 is good; its canary pauses at weight 20 until promoted.
    const v3 = commit('example/web:v3');
    const paused = (p: CanaryProgress | undefined) => p?.commit === v3 && p.phase === 'Paused' && p.step === 1;
    await until("v3's canary paused", (x) => paused(canaryOf(x.traits)));
    const now = await status();
    expect(now.json).toMatchObject({ status: 'delivering', commit: v3 });
    expect(now.json).not.toHaveProperty('lastError');
    expect(now.json).not.toHaveProperty('lastErrorCommit');
    expect(now.json).not.toHaveProperty('newest');
    expect(canaryOf(now.json.traits)).toMatchObject({ commit: v3, phase: 'Paused', weight: 20 });
    expect(now.row).toMatch(
      new RegExp(`^${app} +default +${short(v3)} +paused 2/2 \\(weight 20\\): waiting for ferry rollout promote +`),
    );
    expect(now.row).not.toMatch(/DeliveryFailed|aborted|success-rate/);
    // The abort stays in the history.
    expect((await readHistory(w.cluster, w.scope(s)))[0]).toMatchObject({
      commit: v2,
      outcome: 'Failed',
      reason: 'DeliveryFailed',
    });

    // ferry rollout status: v3's canary, paused (not v2's abort).
    const rollout = await ferry('rollout', 'status', app, '-e', 'default');
    expect(rollout.code, rollout.stderr).toBe(0);
    const lines = rollout.stdout.split('\n');
    expect(lines[0]).toBe(
      `${app} (default) commit ${short(v3)}  paused 2/2 (weight 20): waiting for ferry rollout promote`,
    );
    expect(lines[1]).toMatch(/^steps {2}\[#>\] 2\/2 {2}weight 20 %/);
    const json = await ferry('rollout', 'status', app, '-e', 'default', '-o', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ commit: v3, phase: 'Paused', step: 1, steps: 2, weight: 20 });

    // Promoted: synced at v3, nothing to show as an error.
    const promote = await ferry('rollout', 'promote', app, '-e', 'default');
    expect(promote.code, promote.stderr).toBe(0);
    const done = await until('synced at v3', (x) => x.status === 'synced' && x.commit === v3);
    expect(canaryOf(done.traits)).toMatchObject({ commit: v3, phase: 'Succeeded' });
    const end = await status();
    expect(end.json).not.toHaveProperty('lastError');
    expect(end.row).toMatch(new RegExp(`^${app} +default +${short(v3)} +synced +Healthy +- `));
  });
});
