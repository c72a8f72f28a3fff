/**
 * Promotion across environments with `ferry serve`, a real Git server and the local cluster (its
 * Prometheus and the traffic simulator for the canary's analysis): dev follows Git, staging takes what dev
 * verified after a soak, prod waits for `ferry approve`; a release whose canary fails in dev never
 * reaches staging, and the next good one goes the normal way. The three environments are namespaces of
 * one cluster here (the several clusters and waves are still to come). Timing is never asserted.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateSummary } from '../../src/gitops/store/release-store.js';
import { analysis, CanaryWorld, canaryApp, SUCCESS, type Scenario } from './canary-support.js';
import { eventually } from './kube.js';

const w = new CanaryWorld();
let s: Scenario;
let configFile: string;
const ENVS = ['dev', 'staging', 'prod'] as const;
type Env = (typeof ENVS)[number];
const canary = { steps: [{ weight: 50 }, { pause: { duration: '5s' } }], analysis: analysis([SUCCESS]) };

beforeAll(async () => {
  await w.start();
  s = w.scenario('promo');
  const ns = (env: Env) => `${s.ns}-${env}`;
  w.namespaces.push(...ENVS.map(ns));
  const ferryYaml = `environments:
  - name: dev
    namespace: ${ns('dev')}
  - name: staging
    namespace: ${ns('staging')}
    promotion: {from: dev, soak: 10s}
  - name: prod
    namespace: ${ns('prod')}
    promotion: {from: staging, approval: required}
`;
  configFile = join(w.repo.root, 'ferry-cli.yaml');
  writeFileSync(configFile, ferryYaml);
  w.repo.commit({ 'ferry.yaml': ferryYaml }, 'environments');
});
afterAll(async () => {
  await w.stop();
});

async function summary(env: Env): Promise<StateSummary | undefined> {
  const cms = await w.cluster.list(
    'v1',
    'ConfigMap',
    'ferry-system',
    `ferry.dev/kind=state,ferry.dev/app=${s.app},ferry.dev/environment=${env}`,
  );
  const text = (cms[0]?.data as Record<string, string> | undefined)?.['summary.json'];
  return text ? (JSON.parse(text) as StateSummary) : undefined;
}
/** Waits until the environment is synced at `commit`; on a timeout, says what it was and what was logged. */
const syncedAt = (env: Env, commit: string) =>
  eventually(
    `${env} synced at ${commit.slice(0, 8)}`,
    async () => {
      const x = await summary(env);
      if (x?.status === 'synced' && x.commit === commit) return x;
      const logged = w.serve.logs.filter((l) => l.app === s.app && l.env === env && (l.level as number) >= 40);
      throw new Error(
        `${JSON.stringify(x)}; ${logged
          .slice(-5)
          .map((l) => JSON.stringify(l))
          .join(' ')}`,
      );
    },
    240_000,
  );
const image = async (env: Env) =>
  (
    (await w.cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: `${s.ns}-${env}`, name: 'web' })) as
      | { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }
      | undefined
  )?.spec?.template?.spec?.containers?.[0]?.image;
const releases = async () => {
  const r = await w.ferry('releases', s.app, '--config', configFile, '-o', 'json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    environments: string[];
    releases: { commit: string; cells: Record<string, { state: string }> }[];
  };
};
const cell = async (commit: string, env: Env) =>
  (await releases()).releases.find((r) => r.commit === commit)?.cells[env]?.state;

describe('promotion dev → staging → prod', () => {
  it('v1: dev, then staging after the soak, then prod once approved; ferry releases shows each step', async () => {
    const v1 = w.repo.commit({ [`apps/${s.app}/app.yaml`]: canaryApp(s, 'example/web:v1', canary) }, 'v1');
    await syncedAt('dev', v1);
    await syncedAt('staging', v1);
    expect(await image('staging')).toBe('example/web:v1');
    await eventually(
      'prod waits for approval',
      async () => ((await cell(v1, 'prod')) === 'waiting-approval' ? true : undefined),
      60_000,
    );
    expect(await image('prod')).toBeUndefined();
    expect((await releases()).environments).toEqual(['dev', 'staging', 'prod']);
    const approved = await w.ferry('approve', s.app, '-e', 'prod', '--config', configFile);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`approved release ${v1.slice(0, 12)}`));
    await syncedAt('prod', v1);
    expect(await image('prod')).toBe('example/web:v1');
    expect(await cell(v1, 'prod')).toBe('verified');
  });

  it('v2 fails its canary in dev: staging and prod never see it; v3 (good) follows the normal path', async () => {
    const v2 = w.repo.commit({ [`apps/${s.app}/app.yaml`]: canaryApp(s, 'example/web:v2-errors', canary) }, 'v2');
    await eventually(
      'dev held at v2',
      async () => {
        const x = await summary('dev');
        return x?.status === 'held' && x.newest === v2 ? x : undefined;
      },
      240_000,
    );
    await eventually('v2 failed in dev', async () => ((await cell(v2, 'dev')) === 'failed' ? true : undefined), 60_000);
    expect(await image('staging')).toBe('example/web:v1');
    expect((await summary('staging'))?.commit).not.toBe(v2);
    // A newer commit that changes the app ends dev's hold; its canary passes; it reaches staging, not prod.
    const v3 = w.repo.commit({ [`apps/${s.app}/app.yaml`]: canaryApp(s, 'example/web:v3', canary) }, 'v3');
    await syncedAt('dev', v3);
    await syncedAt('staging', v3);
    expect(await image('staging')).toBe('example/web:v3');
    expect(await image('prod')).toBe('example/web:v1');
    expect(await cell(v2, 'staging')).toBe('-');
  });
});
