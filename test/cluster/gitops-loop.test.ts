/**
 * The GitOps loop end to end: a real Git smart-HTTP server, `ferry serve` processes and the real
 * local cluster. Timing is never asserted: a long poll interval proves a webhook did the work.
 */
import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeCluster } from '../../src/kube/kube-cluster.js';
import { readInventory } from '../../src/gitops/store/inventory.js';
import {
  appendRevision,
  readHistory,
  readHold,
  readState,
  sourceId,
  writeState,
} from '../../src/gitops/store/release-store.js';
import { startGitServer } from '../support/git-server.js';
import { ferryCli, Serve, TestRepo, webApp } from './gitops-support.js';
import { eventually, sleep, testKubeConfig, useNamespace } from './kube.js';

const ns = useNamespace('gitops');
/** A second namespace, for the app of a second repository. */
const nsB = useNamespace('gitops-b');
/** App names unique to this run: records in ferry-system outlive a test cluster's namespaces. */
const N = (name: string) => `${name}-${ns().slice(-6)}`;
const repo = new TestRepo();
const SECRET = 'webhook-secret';
const running: Serve[] = [];
let cluster: KubeCluster;

const serve = async (args: string[], extra: Record<string, string> = {}, from: TestRepo = repo) => {
  const s = new Serve(['--repo', from.url, '--cache-dir', `${from.root}/cache-${running.length}`, ...args], {
    KUBECONFIG: inject('kubeconfig'),
    FERRY_WEBHOOK_SECRET: SECRET,
    ...extra,
  });
  running.push(s);
  return s.start();
};
const ferry = (...args: string[]) => ferryCli(inject('kubeconfig'), ...args);
/** The records of an app of the test repository (scoped by its source: repository + path). */
const mine = (app: string) => ({ app, env: 'default', source: sourceId(repo.url, '.') });
const imageOf = async (name: string, namespace = ns()) => {
  const d = await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });
  return (d?.spec as { template: { spec: { containers: { image: string }[] } } } | undefined)?.template.spec
    .containers[0]?.image;
};
const waitImage = (name: string, image: string, timeoutMs = 60_000, namespace = ns()) =>
  eventually(
    `${name} to run ${image}`,
    async () => ((await imageOf(name, namespace)) === image ? true : undefined),
    timeoutMs,
  );
const stateOf = async (app: string) =>
  JSON.parse((await ferry('status', '-o', 'json')).stdout).find((s: { app: string }) => s.app === app) as
    | { status: string; lastError?: string; hold?: string; commit?: string; newest?: string; waitingFor?: string }
    | undefined;
const waitState = (app: string, status: string, timeoutMs = 60_000) =>
  eventually(
    `${app} to be ${status}`,
    async () => ((await stateOf(app))?.status === status ? stateOf(app) : undefined),
    timeoutMs,
  );

beforeAll(async () => {
  cluster = KubeCluster.fromFile(inject('kubeconfig'));
  await repo.start();
});
// A failed test must not leave its controller reconciling during the next one.
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop('SIGKILL')));
});
afterAll(async () => {
  await repo.stop();
});

describe('ferry serve', () => {
  it('applies a pushed commit within a poll interval, and reports itself healthy and ready', async () => {
    repo.commit({ [`apps/${N('poll')}/app.yaml`]: webApp(N('poll'), ns(), 'nginx:1.0') }, 'poll app');
    const s = await serve(['--interval', '2s', '--no-leader-elect']);
    await waitImage(N('poll'), 'nginx:1.0');
    repo.commit({ [`apps/${N('poll')}/app.yaml`]: webApp(N('poll'), ns(), 'nginx:1.1') });
    await waitImage(N('poll'), 'nginx:1.1');
    await waitState(N('poll'), 'synced');
    expect(await s.http('/healthz')).toEqual({ status: 200, text: 'ok\n' });
    expect((await s.http('/readyz')).status).toBe(200);
    expect(await s.metric('ferry_app_sync_status', { app: N('poll'), status: 'synced' })).toBe(1);
    expect(await s.metric('ferry_git_fetch_duration_seconds_count')).toBeGreaterThan(1);
    expect(await s.stop()).toBe(0);
    expect(s.has('stopped')).toBe(true);
  });

  it(
    'a signed webhook triggers an immediate fetch; a bad signature gets 401 and changes nothing; ' +
      'only the changed app is rendered again',
    async () => {
      repo.commit({
        [`apps/${N('hook-a')}/app.yaml`]: webApp(N('hook-a'), ns(), 'nginx:1.0'),
        [`apps/${N('hook-b')}/app.yaml`]: webApp(N('hook-b'), ns(), 'redis:7.0'),
      });
      const s = await serve(['--interval', '10m', '--no-leader-elect']);
      await waitImage(N('hook-a'), 'nginx:1.0');
      await waitState(N('hook-b'), 'synced');
      const rendersB = await s.metric('ferry_renders_total', { app: N('hook-b') });
      const rendersA = await s.metric('ferry_renders_total', { app: N('hook-a') });
      repo.commit({ [`apps/${N('hook-a')}/app.yaml`]: webApp(N('hook-a'), ns(), 'nginx:2.0') });
      expect(await s.webhook('wrong-secret')).toBe(401);
      await sleep(3000);
      expect(await imageOf(N('hook-a'))).toBe('nginx:1.0');
      expect(await s.metric('ferry_webhook_requests_total', { result: '401' })).toBe(1);
      // Too large a payload is refused before it is read.
      expect(
        (await s.http('/webhook', { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) }).catch(() => ({ status: 413 })))
          .status,
      ).toBe(413);
      expect(await s.webhook(SECRET)).toBe(200);
      await waitImage(N('hook-a'), 'nginx:2.0', 30_000);
      await waitState(N('hook-a'), 'synced');
      expect(await s.metric('ferry_renders_total', { app: N('hook-a') })).toBe(rendersA + 1);
      expect(await s.metric('ferry_renders_total', { app: N('hook-b') })).toBe(rendersB);
      expect(s.has('applied', { app: N('hook-b'), commit: repo.git('rev-parse', 'HEAD') })).toBe(false);
      await s.stop();
    },
  );

  it(
    'a bad commit (CUE error, then an object the API server rejects) keeps the last good revision, ' +
      'is reported, and the next good commit recovers',
    async () => {
      repo.commit({ [`apps/${N('shaky')}/app.yaml`]: webApp(N('shaky'), ns(), 'nginx:1.0') });
      const s = await serve(['--interval', '10m', '--no-leader-elect']);
      await waitImage(N('shaky'), 'nginx:1.0');
      await waitState(N('shaky'), 'synced');
      // A CUE error: the port must be an int.
      repo.commit({
        [`apps/${N('shaky')}/app.yaml`]: webApp(N('shaky'), ns(), 'nginx:2.0').replace('port: 8080', 'port: "eighty"'),
      });
      await s.webhook(SECRET);
      const failed = await waitState(N('shaky'), 'failed');
      expect(failed!.lastError).toMatch(
        new RegExp(`^RenderFailed: apps/${N('shaky')}/app.yaml:\\d+:\\d+: component "${N('shaky')}"`),
      );
      expect(await imageOf(N('shaky'))).toBe('nginx:1.0');
      expect(
        await s.metric('ferry_reconcile_failures_total', { app: N('shaky'), reason: 'RenderFailed' }),
      ).toBeGreaterThanOrEqual(1);
      const events = await cluster.list('v1', 'Event', ns(), `ferry.dev/app=${N('shaky')}`);
      expect(
        events.some(
          (e) =>
            e.type === 'Warning' &&
            e.reason === 'RenderFailed' &&
            String(e.message).includes(`apps/${N('shaky')}/app.yaml`),
        ),
      ).toBe(true);
      // An object the API server rejects (an invalid label value): nothing of this commit is written.
      repo.commit({
        [`apps/${N('shaky')}/app.yaml`]: webApp(
          N('shaky'),
          ns(),
          'nginx:3.0',
          '      traits:\n        - type: labels\n          properties: {"bad": "not a valid label value!"}\n',
        ),
      });
      await s.webhook(SECRET);
      await eventually('the apply failure', async () =>
        (await stateOf(N('shaky')))?.lastError?.startsWith('ApplyFailed') ? true : undefined,
      );
      expect(await imageOf(N('shaky'))).toBe('nginx:1.0');
      expect((await ferry('status')).stdout).toMatch(new RegExp(`${N('shaky')} +default +\\w+ +failed .*ApplyFailed`));
      repo.commit({ [`apps/${N('shaky')}/app.yaml`]: webApp(N('shaky'), ns(), 'nginx:4.0') });
      await s.webhook(SECRET);
      await waitImage(N('shaky'), 'nginx:4.0');
      await waitState(N('shaky'), 'synced');
      const history = await readHistory(cluster, mine(N('shaky')));
      expect(history.map((h) => `${h.outcome}${h.reason ? `:${h.reason}` : ''}`)).toEqual([
        'Synced',
        'Failed:ApplyFailed',
        'Failed:RenderFailed',
        'Synced',
      ]);
      await s.stop();
    },
  );

  it('rollback places a hold that survives a controller restart; a newer commit releases it', async () => {
    repo.commit({ [`apps/${N('roll')}/app.yaml`]: webApp(N('roll'), ns(), 'nginx:1.0') });
    let s = await serve(['--interval', '2s', '--no-leader-elect']);
    await waitState(N('roll'), 'synced');
    repo.commit({ [`apps/${N('roll')}/app.yaml`]: webApp(N('roll'), ns(), 'nginx:2.0') });
    await waitImage(N('roll'), 'nginx:2.0');
    await waitState(N('roll'), 'synced');
    const back = await ferry('rollback', N('roll'), '--env', 'default');
    expect(back.stderr).toBe('');
    expect(back.stdout).toContain(`rolled back ${N('roll')}/default to revision 1`);
    expect(await imageOf(N('roll'))).toBe('nginx:1.0');
    await eventually('the controller to hold roll', async () =>
      s.has('state', { app: N('roll') }) &&
      (await s.metric('ferry_app_sync_status', { app: N('roll'), status: 'held' })) === 1
        ? true
        : undefined,
    );
    await s.stop();
    s = await serve(['--interval', '2s', '--no-leader-elect']);
    await eventually('the restarted controller to hold roll', async () =>
      (await s.metric('ferry_app_sync_status', { app: N('roll'), status: 'held' })) === 1 ? true : undefined,
    );
    await sleep(5000);
    expect(await imageOf(N('roll'))).toBe('nginx:1.0');
    expect((await ferry('history', N('roll'), '--env', 'default')).stdout).toMatch(/RolledBack \(Rollback\)/);
    repo.commit({ [`apps/${N('roll')}/app.yaml`]: webApp(N('roll'), ns(), 'nginx:3.0') });
    await waitImage(N('roll'), 'nginx:3.0');
    await waitState(N('roll'), 'synced');
    expect(await readHold(cluster, mine(N('roll')))).toBeUndefined();
    await s.stop();
  });

  it('a controller killed in the middle of a sync converges after a restart, nothing lost or duplicated', async () => {
    // "slow" becomes available only after minReadySeconds; "after" depends on it: the sync sits in
    // the middle of applying while it waits.
    const slow = `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: ${N('midway')}, namespace: ${ns()}}
spec:
  components:
    - name: slow
      type: k8s-objects
      properties:
        objects:
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: slow, namespace: ${ns()}}
            spec:
              replicas: 1
              minReadySeconds: 12
              selector: {matchLabels: {app: slow}}
              template:
                metadata: {labels: {app: slow}}
                spec: {containers: [{name: c, image: "busybox:1"}]}
    - name: after
      type: webservice
      dependsOn: [slow]
      properties: {image: "nginx:1.0", port: 80}
`;
    repo.commit({ [`apps/${N('midway')}/app.yaml`]: slow });
    let s = await serve(['--interval', '2s', '--no-leader-elect']);
    await eventually('slow to be applied while after waits', async () =>
      (await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns(), name: 'slow' }))
        ? true
        : undefined,
    );
    expect(
      await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns(), name: 'after' }),
    ).toBeUndefined();
    await s.stop('SIGKILL');
    s = await serve(['--interval', '2s', '--no-leader-elect']);
    await waitImage('after', 'nginx:1.0', 90_000);
    await waitState(N('midway'), 'synced', 60_000);
    expect(s.has('resumed', { app: N('midway') })).toBe(true);
    const history = await readHistory(cluster, mine(N('midway')));
    expect(history.map((h) => h.outcome)).toEqual(['Synced']);
    const rs = await cluster.list('apps/v1', 'ReplicaSet', ns(), 'app=slow');
    expect(rs).toHaveLength(1);
    await s.stop();
  });

  it('keeps the cluster on the last good state while the Git server is down, reports it, and recovers', async () => {
    repo.commit({ [`apps/${N('offline')}/app.yaml`]: webApp(N('offline'), ns(), 'nginx:1.0') });
    const s = await serve(['--interval', '1s', '--no-leader-elect']);
    await waitState(N('offline'), 'synced');
    const port = repo.server.port;
    await repo.server.stop();
    await eventually('git errors to be counted', async () =>
      (await s.metric('ferry_git_fetch_errors_total')) >= 2 ? true : undefined,
    );
    expect((await s.http('/readyz')).text).toMatch(/git source failing/);
    expect(await imageOf(N('offline'))).toBe('nginx:1.0');
    expect((await stateOf(N('offline')))?.status).toBe('synced');
    const failing = await eventually('ferry status to show the failing source', async () => {
      const out = (await ferry('status')).stdout;
      return /^source .*: FAILING for/m.test(out) ? out : undefined;
    });
    expect(failing).toMatch(
      new RegExp(
        `^source ${repo.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ` +
          `FAILING for \\d+s, the cluster keeps the last synced state: .*ECONNREFUSED`,
        'm',
      ),
    );
    repo.commit({ [`apps/${N('offline')}/app.yaml`]: webApp(N('offline'), ns(), 'nginx:2.0') });
    repo.server = await startGitServer(`${repo.root}/repos`, { port });
    await waitImage(N('offline'), 'nginx:2.0');
    expect(s.has('git source reachable again')).toBe(true);
    const head = repo.git('rev-parse', 'HEAD').slice(0, 12);
    await eventually('ferry status to show the source at the new commit', async () =>
      new RegExp(`^source .*: at ${head} \\(seen`, 'm').test((await ferry('status')).stdout) ? true : undefined,
    );
    await s.stop();
  });

  it('rejects an app with an escaping link or a ".." link, for that app only', async () => {
    const { symlinkSync, mkdirSync } = await import('node:fs');
    mkdirSync(`${repo.work}/apps/${N('evil')}`, { recursive: true });
    mkdirSync(`${repo.work}/apps/${N('dots')}`, { recursive: true });
    symlinkSync('/etc/passwd', `${repo.work}/apps/${N('evil')}/app.yaml`);
    symlinkSync('../../../../../etc/passwd', `${repo.work}/apps/${N('dots')}/app.yaml`);
    repo.commit({ [`apps/${N('fine')}/app.yaml`]: webApp(N('fine'), ns(), 'nginx:1.0') });
    const s = await serve(['--interval', '10m', '--no-leader-elect']);
    await waitImage(N('fine'), 'nginx:1.0');
    expect((await waitState(N('evil'), 'failed'))!.lastError).toContain(
      `apps/${N('evil')}/app.yaml" is a symbolic link to the absolute path`,
    );
    expect((await waitState(N('dots'), 'failed'))!.lastError).toContain(
      `apps/${N('dots')}/app.yaml" is a symbolic link to "../../../../../etc/passwd", which leaves the repository`,
    );
    repo.commit({ [`apps/${N('evil')}`]: null, [`apps/${N('dots')}`]: null });
    await s.stop();
  });

  it('with two replicas only the leader reconciles; killing it hands over', async () => {
    repo.commit({ [`apps/${N('ha')}/app.yaml`]: webApp(N('ha'), ns(), 'nginx:1.0') });
    const a = await serve(['--interval', '2s', '--lease-duration', '4s', '--identity', 'replica-a']);
    await eventually('replica a to lead', async () => ((await a.metric('ferry_leader')) === 1 ? true : undefined));
    const b = await serve(['--interval', '2s', '--lease-duration', '4s', '--identity', 'replica-b']);
    await waitImage(N('ha'), 'nginx:1.0');
    await sleep(3000);
    expect(await b.metric('ferry_leader')).toBe(0);
    expect(b.has('new commit')).toBe(false);
    expect((await b.http('/readyz')).text).toMatch(/standby/);
    await a.stop('SIGKILL');
    await eventually(
      'replica b to take over',
      async () => ((await b.metric('ferry_leader')) === 1 ? true : undefined),
      30_000,
    );
    repo.commit({ [`apps/${N('ha')}/app.yaml`]: webApp(N('ha'), ns(), 'nginx:2.0') });
    await waitImage(N('ha'), 'nginx:2.0');
    expect(b.has('new commit')).toBe(true);
    await b.stop();
  });

  it(
    'corrects drift at each resync; an app that opts out of self-heal has its drift reported once, ' + 'not corrected',
    async () => {
      const optOut = webApp(N('watched'), ns(), 'nginx:1.0').replace(
        `  namespace: ${ns()}\n`,
        `  namespace: ${ns()}\n  annotations: {ferry.dev/self-heal: "false"}\n`,
      );
      repo.commit({
        [`apps/${N('healed')}/app.yaml`]: webApp(N('healed'), ns(), 'nginx:1.0'),
        [`apps/${N('watched')}/app.yaml`]: optOut,
      });
      const s = await serve(['--interval', '10m', '--resync', '1s', '--no-leader-elect']);
      await waitState(N('healed'), 'synced');
      await waitState(N('watched'), 'synced');
      // Someone edits both Deployments by hand (another field manager, taking the image over).
      for (const name of [N('healed'), N('watched')]) {
        const container = { name, image: 'nginx:hotfix' };
        await testKubeConfig()
          .makeApiClient(KubernetesObjectApi)
          .patch(
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              metadata: { name, namespace: ns() },
              spec: { template: { spec: { containers: [container] } } },
            } as never,
            undefined,
            undefined,
            'hand-edit',
            true,
            PatchStrategy.ServerSideApply,
          );
      }
      await waitImage(N('healed'), 'nginx:1.0');
      const history = await eventually('the correction to be recorded', async () => {
        const h = await readHistory(cluster, mine(N('healed')));
        return h.length > 1 ? h : undefined;
      });
      expect(history.map((h) => h.message)).toEqual(['drift corrected: synced and healthy', 'synced and healthy']);
      await eventually('the drift of the opted-out app to be reported', async () => {
        const events = await cluster.list('v1', 'Event', ns(), `ferry.dev/app=${N('watched')}`);
        return events.some((e) => (e as unknown as { reason: string }).reason === 'OutOfSync') ? events : undefined;
      });
      await sleep(3000);
      expect(await imageOf(N('watched'))).toBe('nginx:hotfix');
      const reported = (await cluster.list('v1', 'Event', ns(), `ferry.dev/app=${N('watched')}`)).filter(
        (e) => (e as unknown as { reason: string }).reason === 'OutOfSync',
      );
      expect(reported).toHaveLength(1);
      expect((reported[0] as unknown as { message: string }).message).toContain(
        `drifted Deployment/${ns()}/${N('watched')}`,
      );
      expect((await stateOf(N('watched')))?.status).toBe('synced');
      expect(
        await s.metric('ferry_drift_detected_total', { app: N('watched'), healed: 'false' }),
      ).toBeGreaterThanOrEqual(2);
      await s.stop();
    },
  );

  it(
    'prunes an app removed from Git, and only that app, ' +
      'also when removed while the controller was down; a commit without any app prunes nothing',
    async () => {
      const deployment = (name: string) =>
        cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns(), name });
      repo.commit({
        [`apps/${N('keep')}/app.yaml`]: webApp(N('keep'), ns(), 'nginx:1.0'),
        [`apps/${N('drop')}/app.yaml`]: webApp(N('drop'), ns(), 'nginx:1.0'),
        [`apps/${N('late')}/app.yaml`]: webApp(N('late'), ns(), 'nginx:1.0'),
      });
      let s = await serve(['--interval', '1s', '--no-leader-elect']);
      for (const app of ['keep', 'drop', 'late']) await waitState(N(app), 'synced');
      repo.commit({ [`apps/${N('drop')}`]: null }, 'drop an app');
      await eventually('the removed app to be pruned', async () => ((await deployment(N('drop'))) ? undefined : true));
      await eventually('its state to be forgotten', async () => ((await stateOf(N('drop'))) ? undefined : true));
      expect(await imageOf(N('keep'))).toBe('nginx:1.0');
      expect((await readHistory(cluster, mine(N('drop'))))[0]).toMatchObject({
        outcome: 'Removed',
        commit: repo.git('rev-parse', 'HEAD'),
      });
      const events = await cluster.list('v1', 'Event', ns(), `ferry.dev/app=${N('drop')}`);
      expect(events.map((e) => (e as unknown as { reason: string }).reason)).toContain('Removed');
      // Removed while no controller runs: the next one finds its own recorded release and prunes it.
      await s.stop();
      repo.commit({ [`apps/${N('late')}`]: null }, 'drop another app while the controller is down');
      expect(await deployment(N('late'))).toBeDefined();
      s = await serve(['--interval', '1s', '--no-leader-elect']);
      await eventually('the app removed meanwhile to be pruned', async () =>
        (await deployment(N('late'))) ? undefined : true,
      );
      // The removal is recorded once its objects are gone: history first, then the state is forgotten.
      await eventually('its state to be forgotten', async () => ((await stateOf(N('late'))) ? undefined : true));
      expect((await readHistory(cluster, mine(N('late'))))[0]).toMatchObject({ outcome: 'Removed' });
      expect(await imageOf(N('keep'))).toBe('nginx:1.0');
      // A commit that empties apps/ (a bad merge, a moved folder) is refused as a whole.
      repo.commit({ apps: null }, 'everything gone');
      await eventually('the refusal to be logged', async () =>
        s.has('no app folder in this commit: refusing to remove every app at once; nothing was pruned')
          ? true
          : undefined,
      );
      expect(await imageOf(N('keep'))).toBe('nginx:1.0');
      expect((await stateOf(N('keep')))?.status).toBe('synced');
      await s.stop();
    },
  );

  it(
    'rollback and resume reach the controller at once, not at its next poll (--interval 10m, --resync 0); ' +
      'a rollback resumed before any poll ends on the newest commit',
    async () => {
      const app = N('quick');
      const c1 = repo.commit({ [`apps/${app}/app.yaml`]: webApp(app, ns(), 'nginx:1.0') });
      const s = await serve(['--interval', '10m', '--resync', '0', '--no-leader-elect']);
      await waitImage(app, 'nginx:1.0');
      await waitState(app, 'synced');
      const c2 = repo.commit({ [`apps/${app}/app.yaml`]: webApp(app, ns(), 'nginx:2.0') });
      expect(await s.webhook(SECRET)).toBe(200);
      await waitImage(app, 'nginx:2.0');
      await waitState(app, 'synced');
      const polls = await s.metric('ferry_git_fetch_duration_seconds_count');
      const held = async () =>
        (await s.metric('ferry_app_sync_status', { app, status: 'held' })) === 1 ? true : undefined;
      // A rollback: the controller holds the app within seconds.
      expect((await ferry('rollback', app, '--env', 'default')).code).toBe(0);
      expect(await imageOf(app)).toBe('nginx:1.0');
      let t = Date.now();
      await eventually('the controller to hold the app', held, 20_000);
      const holdMs = Date.now() - t;
      // The COMMIT column shows the commit running, and the newer one waiting.
      const row = new RegExp(`^${app} +default +${c1.slice(0, 12)} \\(held; newest ${c2.slice(0, 12)}\\) +held `, 'm');
      await eventually(
        'ferry status to show the commit running',
        async () => (row.test((await ferry('status')).stdout) ? true : undefined),
        20_000,
      );
      expect(await stateOf(app)).toMatchObject({ status: 'held', commit: c1, newest: c2 });
      // A resume: the newest commit is applied within seconds.
      expect((await ferry('resume', app, '--env', 'default')).code).toBe(0);
      t = Date.now();
      await waitImage(app, 'nginx:2.0', 30_000);
      const resumeMs = Date.now() - t;
      await waitState(app, 'synced', 30_000);
      // A rollback resumed before the controller polls: synced on the newest commit, not held.
      expect((await ferry('rollback', app, '--env', 'default')).code).toBe(0);
      expect(await imageOf(app)).toBe('nginx:1.0');
      expect((await ferry('resume', app, '--env', 'default')).code).toBe(0);
      t = Date.now();
      await waitImage(app, 'nginx:2.0', 30_000);
      const raceMs = Date.now() - t;
      const end = await eventually(
        'the app to be synced on the newest commit',
        async () => {
          const st = await stateOf(app);
          return st?.status === 'synced' && st.commit === c2 ? st : undefined;
        },
        30_000,
      );
      expect(end.hold).toBeUndefined();
      expect(await readHold(cluster, mine(app))).toBeUndefined();
      expect((await ferry('status')).stdout).toMatch(
        new RegExp(`^${app} +default +${c2.slice(0, 12)} +synced +Healthy +- `, 'm'),
      );
      // None of it waited for a poll.
      expect(await s.metric('ferry_git_fetch_duration_seconds_count')).toBe(polls);
      const watchErrors = s.logs.filter((l) => l.msg === 'watching holds failed; trying again').length;
      console.log(
        `[latency] rollback held by the controller after ${holdMs} ms; resume applied after ${resumeMs} ms; ` +
          `rollback+resume applied after ${raceMs} ms (hold watch errors: ${watchErrors})`,
      );
      await s.stop();
    },
  );

  it(
    'a render failure waits for a new commit instead of retrying with backoff, ' +
      'says so in ferry status, and is tried once more after a restart',
    async () => {
      const app = N('stuck');
      repo.commit({ [`apps/${app}/app.yaml`]: webApp(app, ns(), 'nginx:1.0').replace('port: 8080', 'port: "eighty"') });
      let s = await serve(['--interval', '10m', '--no-leader-elect']);
      const failed = await waitState(app, 'failed');
      expect(failed!.lastError).toMatch(/^RenderFailed: /);
      expect(failed).toMatchObject({ waitingFor: 'a new commit' });
      expect((await ferry('status')).stdout).toMatch(
        new RegExp(`^${app} +default +\\w+ +failed \\(waiting for a new commit\\) .*RenderFailed`, 'm'),
      );
      // A backoff would have rendered it again after 5 s and 10 s.
      await sleep(16_000);
      expect(await s.metric('ferry_renders_total', { app })).toBe(1);
      expect((await readHistory(cluster, mine(app))).map((h) => `${h.outcome}:${h.reason}:${h.attempts}`)).toEqual([
        'Failed:RenderFailed:1',
      ]);
      // A restarted controller may bring other built-in definitions: one more try.
      await s.stop();
      s = await serve(['--interval', '10m', '--no-leader-elect']);
      await eventually('the try after the restart', async () =>
        (await readHistory(cluster, mine(app)))[0]?.attempts === 2 ? true : undefined,
      );
      expect(s.has('trying a failed render again after a restart (the definitions may have changed)', { app })).toBe(
        true,
      );
      // A commit that fixes it is applied at once.
      repo.commit({ [`apps/${app}/app.yaml`]: webApp(app, ns(), 'nginx:1.0') });
      expect(await s.webhook(SECRET)).toBe(200);
      await waitImage(app, 'nginx:1.0');
      await waitState(app, 'synced');
      await s.stop();
    },
  );

  it(
    'two controllers of two repositories with an app of the same name share the cluster: both lead, ' +
      "each syncs its own, neither touches the other's records; " +
      'unscoped records are adopted by their own source',
    async () => {
      const other = new TestRepo();
      await other.start();
      try {
        const app = N('twin');
        const idA = sourceId(repo.url, '.');
        const idB = sourceId(other.url, '.');
        const scopeA = { app, env: 'default', source: idA };
        const scopeB = { app, env: 'default', source: idB };
        // Records an older controller of the second repository left under the unscoped names: a failed state naming its
        // source, and its history.
        const unscoped = { app, env: 'default' };
        await writeState(cluster, unscoped, undefined, {
          app,
          env: 'default',
          status: 'failed',
          lastError: 'RenderFailed: from before',
          updatedAt: new Date().toISOString(),
          source: idB,
        });
        await appendRevision(cluster, unscoped, {
          commit: 'f'.repeat(40),
          specDigest: 'old',
          time: new Date().toISOString(),
          outcome: 'Failed',
          reason: 'RenderFailed',
          message: 'from before',
        });
        const cA = repo.commit({ [`apps/${app}/app.yaml`]: webApp(app, ns(), 'nginx:1.0') });
        const cB = other.commit({ [`apps/${app}/app.yaml`]: webApp(app, nsB(), 'redis:7.0') });
        const synced = (scope: typeof scopeA, commit: string) =>
          eventually(`${scope.source} to sync ${app}`, async () => {
            const st = (await readState(cluster, scope)).summary;
            return st?.status === 'synced' && st.commit === commit ? st : undefined;
          });
        const a = await serve(['--interval', '2s', '--lease-duration', '4s', '--identity', 'repo-a']);
        await eventually('a to lead', async () => ((await a.metric('ferry_leader')) === 1 ? true : undefined), 30_000);
        await synced(scopeA, cA);
        // The other source's saved failure is not picked up.
        expect((await readState(cluster, unscoped)).summary).toMatchObject({ source: idB, status: 'failed' });
        const b = await serve(['--interval', '2s', '--lease-duration', '4s', '--identity', 'repo-b'], {}, other);
        await eventually(
          'b to lead as well',
          async () => ((await b.metric('ferry_leader')) === 1 ? true : undefined),
          30_000,
        );
        await synced(scopeB, cB);
        expect(await a.metric('ferry_leader')).toBe(1);
        expect(await imageOf(app, ns())).toBe('nginx:1.0');
        expect(await imageOf(app, nsB())).toBe('redis:7.0');
        // B adopted its records of before: its old failure is in its history, the unscoped records are gone.
        expect((await readHistory(cluster, scopeB)).map((h) => `${h.outcome}:${h.commit.slice(0, 12)}`)).toEqual([
          `Synced:${cB.slice(0, 12)}`,
          `Failed:${'f'.repeat(12)}`,
        ]);
        expect((await readState(cluster, unscoped)).summary).toBeUndefined();
        expect(await readHistory(cluster, unscoped)).toEqual([]);
        expect((await readHistory(cluster, scopeA)).map((h) => h.commit)).toEqual([cA]);
        // Each inventory holds its own objects only; one leader Lease per source.
        const namespaces = async (scope: typeof scopeA) => [
          ...new Set((await readInventory(cluster, scope)).map((r) => r.namespace).filter((n) => n)),
        ];
        expect(await namespaces(scopeA)).toEqual([ns()]);
        expect(await namespaces(scopeB)).toEqual([nsB()]);
        const holder = async (source: string) =>
          (
            (
              await cluster.get({
                apiVersion: 'coordination.k8s.io/v1',
                kind: 'Lease',
                namespace: 'ferry-system',
                name: `ferry-controller.${source}`,
              })
            )?.spec as { holderIdentity?: string } | undefined
          )?.holderIdentity;
        expect([await holder(idA), await holder(idB)]).toEqual(['repo-a', 'repo-b']);
        // A change in the first repository touches none of the second's records.
        const versions = async (source: string) =>
          (await cluster.list('v1', 'ConfigMap', 'ferry-system', `ferry.dev/app=${app},ferry.dev/source=${source}`))
            .map((cm) => `${cm.metadata.name}@${cm.metadata.resourceVersion}`)
            .sort();
        const recordsB = await versions(idB);
        expect(recordsB.map((r) => r.split('@')[0])).toEqual([
          `ferry-history.${idB}.${app}.default`,
          `ferry-inventory.${idB}.${app}.default`,
          `ferry-state.${idB}.${app}.default`,
        ]);
        const cA2 = repo.commit({ [`apps/${app}/app.yaml`]: webApp(app, ns(), 'nginx:2.0') });
        await waitImage(app, 'nginx:2.0');
        await synced(scopeA, cA2);
        expect(await versions(idB)).toEqual(recordsB);
        expect(await imageOf(app, nsB())).toBe('redis:7.0');
        // Commands about the app need to know which source: the error names both.
        const ambiguous = await ferry('history', app, '--env', 'default');
        expect(ambiguous.code).toBe(1);
        expect(ambiguous.stderr).toContain(`${app}/default is recorded by 2 Git sources:`);
        expect(ambiguous.stderr).toContain(`${idA} (${repo.url})`);
        expect(ambiguous.stderr).toContain(`${idB} (${other.url})`);
        expect(ambiguous.stderr).toContain('choose one with --source');
        const historyB = await ferry('history', app, '--env', 'default', '--source', other.url);
        expect(historyB.code).toBe(0);
        expect(historyB.stdout).toContain(cB.slice(0, 12));
        expect(historyB.stdout).not.toContain(cA.slice(0, 12));
        expect((await ferry('history', app, '--env', 'default', '--source', idA.slice(0, 6))).stdout).toContain(
          cA2.slice(0, 12),
        );
        expect((await ferry('status', '--source', idB, '-o', 'json')).stdout).not.toContain(idA);
        await Promise.all([a.stop(), b.stop()]);
      } finally {
        await other.stop();
      }
    },
  );
});
