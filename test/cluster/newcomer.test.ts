/**
 * The newcomer's path (issue 11): `cluster:up` prints the kubeconfig path as the last stdout line, and
 * `ferry serve` with one kubeconfig of several contexts places a topology's clusters by context name,
 * as `npm start` does with its three local clusters. A second local cluster is started for this file
 * (one node) and stopped after it.
 */
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stopCluster } from '../../src/localcluster/cluster.js';
import { writeMergedKubeconfig } from '../../src/localcluster/kubeconfig.js';
import { FERRY, Serve } from './gitops-support.js';
import { eventually } from './kube.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'localcluster', 'cli.js');
const SECOND = `${process.env.FERRY_TEST_CLUSTER ?? 'ferry-test'}-second`;
const own = inject('ownCluster');
const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'ferry-newcomer-'));

let second: string | undefined;

afterAll(async () => {
  if (own) await stopCluster(SECOND);
  rmSync(tmp, { recursive: true, force: true });
});

// Starting a second local cluster needs the locally built binaries (not there with FERRY_TEST_KUBECONFIG).
describe.skipIf(!own)('newcomer', () => {
  it('cluster:up prints the kubeconfig path as the last line of stdout, and only that', async () => {
    const up = await run(process.execPath, [CLI, 'up', '--name', SECOND, '--nodes', '1'], {
      encoding: 'utf8',
      timeout: 240_000,
    });
    const lines = up.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    second = lines[0]!;
    expect(existsSync(second)).toBe(true);
    expect(up.stderr).toMatch(new RegExp(`cluster "${SECOND}" ready in`));
    const kc = new KubeConfig();
    kc.loadFromFile(second);
    expect((await kc.makeApiClient(CoreV1Api).listNode()).items).toHaveLength(1);
    // Reusing a running cluster: same contract.
    const again = await run(process.execPath, [CLI, 'up', '--name', SECOND], { encoding: 'utf8', timeout: 60_000 });
    expect(again.stdout.trimEnd().split('\n').at(-1)).toBe(second);
    expect(again.stderr).toMatch(/already running/);
  });

  it('ferry serve places a topology on the kubeconfig contexts of its cluster names', async () => {
    expect(second).toBeDefined();
    // multi-env's app under a unique name and namespaces (several test files share the home cluster),
    // without its HPA: the test clusters run the HPA controller, which, with no metrics API, marks it
    // Degraded some seconds after it is applied (npm start's clusters run without that controller).
    const id = `nc${randomBytes(3).toString('hex')}`;
    const original = readFileSync(join(ROOT, 'examples', 'apps', 'multi-env', 'app.yaml'), 'utf8');
    const app = original.replaceAll('payments', id).replace(/\n *- type: hpa\n *properties: \{[^\n]*\}/, '');
    expect(app).not.toContain('hpa');
    const repo = join(tmp, 'repo');
    mkdirSync(join(repo, 'apps', 'multi-env'), { recursive: true });
    writeFileSync(join(repo, 'apps', 'multi-env', 'app.yaml'), app);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd: repo,
        stdio: 'ignore',
      });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'multi-env');
    // prod-eu is the second cluster; prod-us the home one under another name (its namespace differs from dev's and
    // staging's).
    const kubeconfig = writeMergedKubeconfig(join(tmp, 'kubeconfig'), [
      { context: 'home', file: inject('kubeconfig') },
      { context: 'prod-eu', file: second! },
      { context: 'prod-us', file: inject('kubeconfig') },
    ]);
    const serve = await new Serve(['--repo', repo, '--path', '.', '--interval', '5s', '--no-leader-elect'], {
      KUBECONFIG: kubeconfig,
    }).start();
    try {
      const status = () =>
        JSON.parse(
          execFileSync(FERRY, ['status', '-o', 'json'], {
            encoding: 'utf8',
            env: { ...process.env, KUBECONFIG: kubeconfig },
          }),
        ) as {
          app: string;
          env: string;
          status: string;
          lastError?: string;
          placements?: { cluster: string }[];
        }[];
      const replicas = async (file: string, namespace: string) => {
        const kc = new KubeConfig();
        kc.loadFromFile(file);
        return (
          await kc
            .makeApiClient(AppsV1Api)
            .readNamespacedDeployment({ name: 'api', namespace })
            .catch(() => undefined)
        )?.status?.readyReplicas;
      };
      const ferry = (...args: string[]) =>
        execFileSync(FERRY, args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig } });
      const mine = () => status().filter((s) => s.app === id);
      const failedIn = (rows: { env: string; status: string; lastError?: string }[]) => {
        const failed = rows.find((s) => s.status === 'failed');
        if (failed) throw new Error(`${failed.env} failed: ${failed.lastError}`);
      };
      // Its workflow is the chain: deploy-dev, then deploy-staging, then deploy-prod once approved (auto: false).
      const releases = () =>
        JSON.parse(ferry('releases', id, '-o', 'json')) as {
          environments: string[];
          releases: { commit: string; cells: Record<string, { state: string }> }[];
        };
      const waiting = await eventually(
        'deploy-staging synced and deploy-prod waiting for approval',
        async () => {
          failedIn(mine());
          if (mine().length < 3) return undefined;
          const r = releases();
          const cells = r.releases[0]?.cells;
          return cells?.['deploy-staging']?.state === 'verified' && cells['deploy-prod']?.state === 'waiting-approval'
            ? r
            : undefined;
        },
        150_000,
      );
      expect(waiting.environments).toEqual(['deploy-dev', 'deploy-staging', 'deploy-prod']);
      expect(await replicas(second!, id)).toBeUndefined();
      expect(ferry('approve', id, '-e', 'deploy-prod')).toMatch(/approved release/);
      const rows = await eventually(
        'every environment of the app synced',
        async () => {
          const rows = mine();
          failedIn(rows);
          return rows.length === 3 && rows.every((s) => s.status === 'synced') ? rows : undefined;
        },
        150_000,
      );
      expect(rows.map((r) => r.env)).toEqual(['deploy-dev', 'deploy-prod', 'deploy-staging']);
      // prod-eu first (the topology's order), then prod-us.
      expect(rows.find((r) => r.env === 'deploy-prod')?.placements?.map((p) => p.cluster)).toEqual([
        'prod-eu',
        'prod-us',
      ]);
      expect(await replicas(second!, id)).toBe(6);
      expect(await replicas(inject('kubeconfig'), id)).toBe(6);
      expect(await replicas(inject('kubeconfig'), `${id}-dev`)).toBe(1);
      // Not a terminal: the controller's log stays JSON lines.
      expect(serve.logs.some((l) => l.msg === 'synced' && l.app === id && l.env === 'deploy-prod')).toBe(true);
    } finally {
      await serve.stop();
      const core = new KubeConfig();
      core.loadFromFile(inject('kubeconfig'));
      const api = core.makeApiClient(CoreV1Api);
      for (const ns of [id, `${id}-dev`, `${id}-staging`])
        await api.deleteNamespace({ name: ns }).catch(() => undefined);
    }
  });
});
