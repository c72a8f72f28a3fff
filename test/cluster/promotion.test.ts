/**
 * Promotion across environments with `ferry serve`, a real Git server and two local clusters, each with its
 * Prometheus and traffic simulator (for the canary's analysis): dev and staging are namespaces of the home
 * cluster, prod is placed on two clusters by the app's topology, prod-eu (a second local cluster, started
 * for this file) and prod-us (the home cluster under another context). Dev follows Git, staging takes what
 * dev verified after a soak, prod waits for `ferry approve` and takes a release cluster by cluster, prod-eu
 * first; a release whose canary fails in dev never reaches staging; one forced into prod that fails its
 * canary on prod-eu never reaches prod-us, and holds prod alone until `ferry resume`. Timing is never
 * asserted.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readPromotion } from '../../src/gitops/store/promotion-store.js';
import type { StateSummary } from '../../src/gitops/store/release-store.js';
import { KubeCluster } from '../../src/kube/kube-cluster.js';
import { stopCluster } from '../../src/localcluster/cluster.js';
import { writeMergedKubeconfig } from '../../src/localcluster/kubeconfig.js';
import { analysis, CanaryWorld, canaryApp, SUCCESS, type Scenario } from './canary-support.js';
import { eventually, sleep } from './kube.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLUSTER_CLI = join(ROOT, 'dist', 'src', 'localcluster', 'cli.js');
const PROD_EU = `${process.env.FERRY_TEST_CLUSTER ?? 'ferry-test'}-prod-eu`;
const own = inject('ownCluster');
const tmp = mkdtempSync(join(tmpdir(), 'ferry-promotion-'));
let w: CanaryWorld;
let s: Scenario;
let configFile: string;
let euCluster: KubeCluster;
const ENVS = ['dev', 'staging', 'prod'] as const;
type Env = (typeof ENVS)[number];
const canary = { steps: [{ weight: 50 }, { pause: { duration: '5s' } }], analysis: analysis([SUCCESS]) };
/** The app with its topologies: dev and staging on the home cluster, prod on prod-eu and prod-us. */
const app = (image: string) => `${canaryApp(s, image, canary)}  policies:
    - {name: dev, type: topology, properties: {clusters: [local]}}
    - {name: staging, type: topology, properties: {clusters: [local]}}
    - {name: prod, type: topology, properties: {clusters: [prod-eu, prod-us]}}
`;

beforeAll(async () => {
  if (!own) return;
  // prod-eu: a second local cluster with its own Prometheus and simulator (its kubeconfig is stdout's last line).
  const up = await promisify(execFile)(
    process.execPath,
    [CLUSTER_CLI, 'up', '--name', PROD_EU, '--nodes', '1', '--with-metrics'],
    { encoding: 'utf8', timeout: 280_000 },
  );
  const euKubeconfig = up.stdout.trimEnd().split('\n').at(-1)!;
  const euPrometheus = /Prometheus: (\S+)/.exec(up.stderr)?.[1];
  expect(euPrometheus, up.stderr).toBeDefined();
  euCluster = KubeCluster.fromFile(euKubeconfig);
  const kubeconfig = writeMergedKubeconfig(join(tmp, 'kubeconfig'), [
    { context: 'home', file: inject('kubeconfig') },
    { context: 'prod-eu', file: euKubeconfig },
    { context: 'prod-us', file: inject('kubeconfig') },
  ]);
  w = new CanaryWorld({ kubeconfig });
  await w.start();
  s = w.scenario('promo');
  const ns = (env: Env) => `${s.ns}-${env}`;
  w.namespaces.push(...ENVS.map(ns));
  const ferryYaml = `clusters:
  prod-eu:
    metrics: {prometheus: ${euPrometheus}}
environments:
  - name: dev
    namespace: ${ns('dev')}
  - name: staging
    namespace: ${ns('staging')}
    promotion: {from: dev, soak: 30s}
  - name: prod
    namespace: ${ns('prod')}
    promotion: {from: staging, approval: required}
    waves: [prod-eu]
`;
  configFile = join(w.repo.root, 'ferry-cli.yaml');
  writeFileSync(configFile, ferryYaml);
  w.repo.commit({ 'ferry.yaml': ferryYaml }, 'environments');
}, 400_000);
afterAll(async () => {
  await w?.stop();
  await euCluster?.close();
  if (own) await stopCluster(PROD_EU);
  rmSync(tmp, { recursive: true, force: true });
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
/** The image of `web` in an environment's namespace (prod: on prod-us, the home cluster, unless `cluster` says). */
const image = async (env: Env, cluster: KubeCluster = w.cluster) =>
  (
    (await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: `${s.ns}-${env}`, name: 'web' })) as
      | { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }
      | undefined
  )?.spec?.template?.spec?.containers?.[0]?.image;
const releases = async () => {
  const r = await w.ferry('releases', s.app, '--config', configFile, '-o', 'json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    environments: string[];
    releases: { commit: string; cells: Record<string, { state: string; detail?: string }> }[];
  };
};
const cell = async (commit: string, env: Env) =>
  (await releases()).releases.find((r) => r.commit === commit)?.cells[env]?.state;

// A second local cluster needs the locally built binaries (not there with FERRY_TEST_KUBECONFIG).
describe.skipIf(!own)('promotion dev → staging → prod (prod-eu, then prod-us)', () => {
  it('v1: dev, then staging after the soak, then prod once approved; ferry releases shows each step', async () => {
    const v1 = w.repo.commit({ [`apps/${s.app}/app.yaml`]: app('example/web:v1') }, 'v1');
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
    const prod = await syncedAt('prod', v1);
    expect(await image('prod', euCluster)).toBe('example/web:v1');
    expect(await image('prod')).toBe('example/web:v1');
    expect(prod.placements).toEqual([
      { cluster: 'prod-eu', commit: v1 },
      { cluster: 'prod-us', commit: v1 },
    ]);
    // prod-us was written only after prod-eu had verified v1.
    const at = (msg: string, cluster: string) =>
      w.serve.logs.findIndex((l) => l.app === s.app && l.env === 'prod' && l.msg === msg && l.cluster === cluster);
    expect(at('wave verified', 'prod-eu')).toBeGreaterThan(at('applied', 'prod-eu'));
    expect(at('applied', 'prod-us')).toBeGreaterThan(at('wave verified', 'prod-eu'));
    expect(await cell(v1, 'prod')).toBe('verified');
    // ferry serve's JSON API says the same, from the controller's memory.
    const api = await w.serve.http('/api/v1/releases');
    expect(api.status).toBe(200);
    const mine = (JSON.parse(api.text) as { releases: StateSummary[] }).releases.filter((r) => r.app === s.app);
    expect(mine.map((r) => [r.env, r.status, r.commit])).toEqual([
      ['dev', 'synced', v1],
      ['prod', 'synced', v1],
      ['staging', 'synced', v1],
    ]);
    expect(mine[1]!.placements?.map((p) => p.cluster)).toEqual(['prod-eu', 'prod-us']);
  });

  it('v2 fails its canary in dev: staging and prod never see it; v3 (good) follows the normal path', async () => {
    const v2 = w.repo.commit({ [`apps/${s.app}/app.yaml`]: app('example/web:v2-errors') }, 'v2');
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
    const v3 = w.repo.commit({ [`apps/${s.app}/app.yaml`]: app('example/web:v3') }, 'v3');
    await syncedAt('dev', v3);
    // The controller killed during the soak: it goes on with the time served, neither restarted nor skipped.
    const soak = async () => (await readPromotion(w.cluster, { ...w.scope(s), env: 'dev' }))?.soak;
    const served = await eventually(
      'dev served 15 s of the soak of v3',
      async () => {
        const x = await soak();
        return x?.commit === v3 && x.servedMs >= 15_000 ? x.servedMs : undefined;
      },
      120_000,
    );
    await w.serve.stop('SIGKILL');
    await sleep(5_000);
    const restartedAt = Date.now();
    w.serve = await w.startServe();
    const seen: number[] = [];
    await eventually(
      'staging promoted v3',
      async () => {
        const x = await soak();
        if (x?.commit === v3) seen.push(x.servedMs);
        const st = await summary('staging');
        return st?.status === 'synced' && st.commit === v3 ? st : undefined;
      },
      240_000,
    );
    const promoted = (await readPromotion(w.cluster, { ...w.scope(s), env: 'staging' }))!.current!;
    expect(promoted.commit).toBe(v3);
    // Not restarted: what was served before the kill stayed; not skipped: the rest was served after the restart.
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(served);
    expect(Date.parse(promoted.at) - restartedAt).toBeGreaterThanOrEqual(30_000 - served - 1_000);
    expect(await image('staging')).toBe('example/web:v3');
    expect(await image('prod')).toBe('example/web:v1');
    expect(await cell(v2, 'staging')).toBe('-');
  });

  it('v4 forced into prod fails its canary on prod-eu: never on prod-us; prod alone held until resumed', async () => {
    const v3 = (await summary('staging'))!.commit!;
    const v4 = w.repo.commit({ [`apps/${s.app}/app.yaml`]: app('example/web:v4-errors') }, 'v4');
    await eventually(
      'dev held at v4',
      async () => {
        const x = await summary('dev');
        return x?.status === 'held' && x.newest === v4 ? x : undefined;
      },
      240_000,
    );
    const forced = await w.ferry('promote', s.app, '--to', 'prod', '--release', v4, '--force', '--config', configFile);
    expect(forced.code, forced.stderr).toBe(0);
    // Watch prod-us (the home cluster) while prod-eu runs v4's canary: no canary, no v4, ever.
    const usImages = new Set<string | undefined>();
    const held = await eventually(
      'prod held after the canary failed on prod-eu',
      async () => {
        usImages.add(await image('prod'));
        const canaryOnUs = await w.cluster.get({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: `${s.ns}-prod`,
          name: 'web-canary',
        });
        expect(canaryOnUs).toBeUndefined();
        const x = await summary('prod');
        return x?.status === 'held' && x.newest === v4 ? x : undefined;
      },
      240_000,
    );
    expect([...usImages]).toEqual(['example/web:v1']);
    expect(held.hold).toMatch(/canary aborted .*\[prod-eu\]/);
    expect(held.placements?.map((p) => [p.cluster, p.commit])).toEqual([
      ['prod-eu', expect.not.stringMatching(v4)],
      ['prod-us', expect.not.stringMatching(v4)],
    ]);
    expect(await image('prod', euCluster)).toBe('example/web:v1');
    expect(await cell(v4, 'prod')).toBe('failed');
    // Staging is not held by prod's failure.
    expect((await summary('staging'))?.status).toBe('synced');
    expect((await summary('staging'))?.commit).toBe(v3);

    // v5 goes dev → staging while prod is held; approved, it waits for the hold to be lifted.
    const v5 = w.repo.commit({ [`apps/${s.app}/app.yaml`]: app('example/web:v5') }, 'v5');
    await syncedAt('dev', v5);
    await syncedAt('staging', v5);
    const approved = await w.ferry('approve', s.app, '-e', 'prod', '--release', v5, '--config', configFile);
    expect(approved.code, approved.stderr).toBe(0);
    expect((await summary('prod'))?.status).toBe('held');
    const resumed = await w.ferry('resume', s.app, '-e', 'prod');
    expect(resumed.code, resumed.stderr).toBe(0);
    // The wave as ferry releases shows it: prod-eu verified while prod-us rolls out.
    const details = new Set<string>();
    await eventually(
      'prod synced at v5',
      async () => {
        const c = (await releases()).releases.find((r) => r.commit === v5)?.cells.prod;
        if (c?.detail) details.add(`${c.state} ${c.detail}`);
        const x = await summary('prod');
        return x?.status === 'synced' && x.commit === v5 ? x : undefined;
      },
      300_000,
    );
    expect(details).toContain('deploying prod-eu verified, prod-us rolling out');
    expect(await image('prod', euCluster)).toBe('example/web:v5');
    expect(await image('prod')).toBe('example/web:v5');
    expect(await cell(v5, 'prod')).toBe('verified');
  });
});
