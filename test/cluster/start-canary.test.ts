/**
 * The newcomer's gray release under `npm start`: the checkout example in a Git repository of its own
 * (laid out as this repository is: examples/apps/checkout), `ferry serve` with the arguments npm start
 * gives it (devServeArgs: `--path examples`, the rig's `--prometheus-url`, `--no-leader-elect`) against
 * the test cluster and its Prometheus and traffic simulator. A new image tag committed is promoted
 * (`ferry rollout status -w` ends with exit 0), an `-errors` tag aborted (exit 1, all traffic back on the
 * stable version). The example keeps its own steps and analysis; only its namespace is made unique.
 * Timing is never asserted.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeCluster } from '../../src/kube/kube-cluster.js';
import { devServeArgs } from '../../src/localcluster/dev-serve-args.js';
import { readState, sourceId, type StateSummary } from '../../src/gitops/store/release-store.js';
import { canaryOf, type CanaryProgress } from '../../src/traits/canary/progress.js';
import { ferryCli, Serve } from './gitops-support.js';
import { eventually, testKubeConfig } from './kube.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const APP_FILE = join('examples', 'apps', 'checkout', 'app.yaml');
const STABLE = 'ghcr.io/example/checkout:1.0.0';
const ns = `checkout-${randomBytes(3).toString('hex')}`;
const repo = mkdtempSync(join(tmpdir(), 'ferry-start-canary-'));
const scope = { app: 'checkout', env: 'default', source: sourceId(repo, 'examples') };
const original = readFileSync(join(ROOT, APP_FILE), 'utf8');
let cluster: KubeCluster;
let serve: Serve | undefined;

const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: repo,
    encoding: 'utf8',
  }).trim();

/** Commits the example with this image (and the test's namespace); returns the commit. */
function commitImage(image: string): string {
  expect(original).toContain(STABLE);
  expect(original).toContain('namespace: checkout\n');
  const text = original.replace(STABLE, image).replace('namespace: checkout\n', `namespace: ${ns}\n`);
  mkdirSync(dirname(join(repo, APP_FILE)), { recursive: true });
  writeFileSync(join(repo, APP_FILE), text);
  git('add', APP_FILE);
  git('commit', '-qm', `checkout ${image}`);
  return git('rev-parse', 'HEAD');
}

const summary = async (): Promise<StateSummary | undefined> => (await readState(cluster, scope)).summary;

/** Waits for the recorded state to satisfy `ok`; says what it was on a timeout. */
async function until(what: string, ok: (s: StateSummary) => boolean): Promise<StateSummary> {
  let last: StateSummary | undefined;
  try {
    return await eventually(
      what,
      async () => {
        last = await summary();
        return last && ok(last) ? last : undefined;
      },
      180_000,
    );
  } catch (e) {
    const logged = (serve?.logs ?? []).filter((l) => (l.level as number) >= 40).slice(-10);
    const lines = logged.map((l) => JSON.stringify(l)).join('\n');
    throw new Error(`${(e as Error).message}\nlast state: ${JSON.stringify(last)}\ncontroller: ${lines}`);
  }
}

/** `ferry rollout status checkout -e default -w -o json`: its exit code and the last progress it printed. */
async function watch(): Promise<{ code: number; last: CanaryProgress }> {
  const r = await ferryCli(
    inject('kubeconfig'),
    'rollout',
    'status',
    'checkout',
    '-e',
    'default',
    '--source',
    repo,
    '-w',
    '-o',
    'json',
  );
  const lines = r.stdout.trim().split('\n');
  return { code: r.code, last: JSON.parse(lines.at(-1)!) as CanaryProgress };
}

const deployment = async (name: string) =>
  (await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name })) as
    | { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }
    | undefined;
const imageOf = async () => (await deployment('checkout'))?.spec?.template?.spec?.containers?.[0]?.image;

beforeAll(async () => {
  cluster = KubeCluster.fromFile(inject('kubeconfig'));
  git('init', '-q', '-b', 'main');
});
afterAll(async () => {
  await serve?.stop();
  await testKubeConfig()
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name: ns })
    .catch(() => undefined);
  await cluster?.close();
  rmSync(repo, { recursive: true, force: true });
});

// Needs the test cluster's Prometheus (not there with FERRY_TEST_KUBECONFIG alone).
describe.skipIf(!inject('prometheusUrl'))('npm start: the checkout example released as a canary', () => {
  it('serves it with the rig as npm start does: a new tag promoted, an -errors tag aborted', async () => {
    const first = commitImage(STABLE);
    const serving = devServeArgs({
      repo,
      port: '0',
      interval: '2s',
      extra: [],
      rigPrometheusUrl: inject('prometheusUrl'),
    });
    expect(serving.args).toEqual(expect.arrayContaining(['--path', 'examples', '--no-leader-elect']));
    expect(serving.args.join(' ')).toContain(`--prometheus-url ${inject('prometheusUrl')}`);
    serve = await new Serve(serving.args, { KUBECONFIG: inject('kubeconfig') }).start();
    // The first deployment applies at once: no stable version to compare with.
    const synced = await until('checkout synced at 1.0.0', (s) => s.status === 'synced' && s.commit === first);
    expect(canaryOf(synced.traits)).toBeUndefined();
    expect(await imageOf()).toBe(STABLE);

    const good = commitImage('ghcr.io/example/checkout:1.1.0');
    await until('the canary of 1.1.0 started', (s) => canaryOf(s.traits)?.commit === good);
    const promoted = await watch();
    expect(promoted.code).toBe(0);
    expect(promoted.last).toMatchObject({ commit: good, phase: 'Succeeded', steps: 4 });
    // No run failed; a run without a verdict only ever lacked data (the canary's first samples).
    expect(promoted.last.analysis.some((a) => a.result === 'Successful')).toBe(true);
    for (const a of promoted.last.analysis.filter((r) => r.result !== 'Successful'))
      expect(a).toMatchObject({ result: 'Inconclusive', message: expect.stringMatching(/^not enough data yet/) });
    expect(promoted.last.analysis.some((a) => a.weight === 50)).toBe(true);
    expect(await until('checkout synced at 1.1.0', (s) => s.status === 'synced' && s.commit === good)).toBeDefined();
    expect(await imageOf()).toBe('ghcr.io/example/checkout:1.1.0');
    expect(await deployment('checkout-canary')).toBeUndefined();

    const bad = commitImage('ghcr.io/example/checkout:1.2.0-errors');
    await until('the canary of 1.2.0-errors started', (s) => canaryOf(s.traits)?.commit === bad);
    const aborted = await watch();
    expect(aborted.code).toBe(1);
    expect(aborted.last).toMatchObject({ commit: bad, phase: 'Aborted' });
    expect(aborted.last.message).toMatch(/success-rate \d+(\.\d+)? % < 99 %/);
    const held = await until('checkout held', (s) => s.status === 'held');
    expect(held.hold).toMatch(/success-rate \d+(\.\d+)? % < 99 %/);
    expect(await imageOf()).toBe('ghcr.io/example/checkout:1.1.0');
    expect(await deployment('checkout-canary')).toBeUndefined();
  });
});
