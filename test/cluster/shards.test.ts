/**
 * Sharded controllers (`ferry serve --shards 6`) on the real API server: three replicas share 1,000 apps. Each app
 * is reconciled by exactly one replica, the holder of its shard's Lease, as the state records (`reconciler`) and
 * the Leases say; no app is reconciled by two replicas at once (the replicas' holds of a shard, from their logs,
 * never overlap, and each logs about an app only while it holds the app's shard). A replica killed has its shards
 * taken over once their Leases expire, and its apps' next commit is applied by the new owners; a fourth replica
 * joining takes its share; a webhook sent to one replica makes every replica poll.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeCluster } from '../../src/kube/kube-cluster.js';
import { shardLeaseName, shardOf } from '../../src/gitops/controller/shards.js';
import { sourceId, type StateSummary } from '../../src/gitops/store/release-store.js';
import { Serve, TestRepo } from './gitops-support.js';
import { eventually, useNamespace } from './kube.js';

const APPS = 1000;
const SHARDS = 6;
const LEASE_SECONDS = 10;
const SECRET = 'shard-webhook';
const ns = useNamespace('shards');
const repo = new TestRepo();
const replicas = new Map<string, Serve>();
let admin: KubeCluster;
let source: string;

const appName = (i: number) => `s${String(i).padStart(4, '0')}-${ns().slice(-6)}`;
const appYaml = (i: number, version: string) => `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: ${appName(i)}
  namespace: ${ns()}
spec:
  components:
    - name: config
      type: k8s-objects
      properties:
        objects:
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: ${appName(i)}
            data:
              version: "${version}"
`;
const commitApps = (indexes: number[], version: string) =>
  repo.commit(
    Object.fromEntries(indexes.map((i) => [`apps/${appName(i)}/app.yaml`, appYaml(i, version)])),
    `version ${version}`,
  );
const shardOfApp = (i: number) => shardOf(source, appName(i), SHARDS);
const webhook = async (identity: string) => {
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const sig = createHmac('sha256', SECRET).update(body).digest('hex');
  const headers = {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-hub-signature-256': `sha256=${sig}`,
  };
  return (await replicas.get(identity)!.http('/webhook', { method: 'POST', body, headers })).status;
};

const start = async (identity: string) => {
  const s = await new Serve(
    [
      '--repo',
      repo.url,
      '--cache-dir',
      `${repo.root}/cache-${identity}`,
      '--interval',
      '10m',
      '--resync',
      '0',
      '--shards',
      String(SHARDS),
      '--identity',
      identity,
      '--lease-duration',
      `${LEASE_SECONDS}s`,
    ],
    { KUBECONFIG: inject('kubeconfig'), FERRY_WEBHOOK_SECRET: SECRET },
  ).start();
  replicas.set(identity, s);
  return s;
};

/** Each app's recorded state (this source's). */
async function states(): Promise<Map<string, StateSummary>> {
  const cms = await admin.list('v1', 'ConfigMap', 'ferry-system', `ferry.dev/kind=state,ferry.dev/source=${source}`);
  const out = new Map<string, StateSummary>();
  for (const cm of cms) {
    const text = (cm.data as Record<string, string> | undefined)?.['summary.json'];
    if (text) {
      const s = JSON.parse(text) as StateSummary;
      out.set(s.app, s);
    }
  }
  return out;
}

/** Who holds each shard's Lease (undefined: nobody, or expired), and when it took it. */
async function holders(): Promise<{ holder?: string; acquired?: number }[]> {
  return Promise.all(
    Array.from({ length: SHARDS }, async (_, shard) => {
      const l = await admin.get({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        namespace: 'ferry-system',
        name: shardLeaseName(source, shard, SHARDS),
      });
      const spec = l?.spec as { holderIdentity?: string; renewTime?: string; acquireTime?: string } | undefined;
      const live = spec?.renewTime && Date.parse(spec.renewTime) + LEASE_SECONDS * 1000 > Date.now();
      return live
        ? { holder: spec.holderIdentity, ...(spec.acquireTime ? { acquired: Date.parse(spec.acquireTime) } : {}) }
        : {};
    }),
  );
}

/** Waits until every app is synced at `version` (its ConfigMap), each recorded by the holder of its shard. */
async function allSynced(version: string, indexes: number[], timeoutMs = 400_000): Promise<Map<string, StateSummary>> {
  let last = '';
  return eventually(
    `${indexes.length} apps synced at version ${version}`,
    async () => {
      const [st, held] = await Promise.all([states(), holders()]);
      const pending = indexes.filter((i) => {
        const s = st.get(appName(i));
        return s?.status !== 'synced' || s.reconciler !== held[shardOfApp(i)]?.holder;
      });
      last = `${pending.length} pending, e.g. ${JSON.stringify(st.get(appName(pending[0] ?? 0)))}`;
      if (pending.length > 0) return undefined;
      const cms = await admin.list('v1', 'ConfigMap', ns(), '');
      const versions = new Map(cms.map((c) => [c.metadata.name, (c.data as Record<string, string>).version]));
      return indexes.every((i) => versions.get(appName(i)) === version) ? st : undefined;
    },
    timeoutMs,
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}: ${last}`);
  });
}

/**
 * Never two replicas at once, from their logs. Each replica's hold of a shard runs from its "shard taken" line to
 * its "shard released" line (released: logged once the shard's apps have stopped), or to its last line when it
 * was killed. Two replicas' holds of one shard never overlap, and every line a replica logs about an app falls
 * within its hold of the app's shard (a shard may come back to a replica: A → B → A is three holds).
 */
function overlaps(): string[] {
  const holds: { who: string; shard: number; from: number; to: number; why?: string }[] = [];
  const out: string[] = [];
  for (const [who, s] of replicas) {
    const open = new Map<number, number>();
    const end = Date.parse(String(s.logs.at(-1)?.time ?? new Date().toISOString()));
    for (const l of s.logs) {
      const t = Date.parse(String(l.time));
      if (l.msg === 'shard taken') open.set(l.shard as number, t);
      if (l.msg === 'shard released' && open.has(l.shard as number)) {
        holds.push({ who, shard: l.shard as number, from: open.get(l.shard as number)!, to: t, why: String(l.why) });
        open.delete(l.shard as number);
      }
    }
    for (const [shard, from] of open) holds.push({ who, shard, from, to: s.running ? Infinity : end });
  }
  for (const a of holds)
    for (const b of holds)
      if (a !== b && a.who !== b.who && a.shard === b.shard && a.from <= b.from && b.from <= a.to)
        out.push(`shard ${a.shard}: ${a.who} held it until ${a.to} (${a.why}), ${b.who} took it at ${b.from}`);
  for (const [who, s] of replicas)
    for (const l of s.logs) {
      if (typeof l.app !== 'string' || !l.app.endsWith(ns().slice(-6))) continue;
      const t = Date.parse(String(l.time));
      const shard = shardOf(source, l.app, SHARDS);
      if (!holds.some((h) => h.who === who && h.shard === shard && h.from <= t && t <= h.to))
        out.push(`${l.app}: ${who} logged "${String(l.msg)}" at ${t}, outside its hold of shard ${shard}`);
    }
  return out.slice(0, 20);
}

/**
 * Every app each live replica holds a release of (its ferry_app_sync_status gauge), checked against the shard
 * Leases: undefined once every app is held by exactly one replica, the holder of its shard; else what is wrong.
 */
async function ownershipProblems(): Promise<string | undefined> {
  const held = await holders();
  const seen = new Map<string, string[]>();
  for (const [who, s] of replicas) {
    if (!s.running) continue;
    const { text } = await s.http('/metrics');
    for (const line of text.split('\n')) {
      const app = /^ferry_app_sync_status\{.*app="([^"]+)".*\} 1$/.exec(line)?.[1];
      if (app) seen.set(app, [...(seen.get(app) ?? []), who]);
    }
  }
  for (let i = 0; i < APPS; i++) {
    const by = seen.get(appName(i)) ?? [];
    const holder = held[shardOfApp(i)]?.holder;
    if (by.length !== 1 || by[0] !== holder)
      return `${appName(i)}: held by ${by.join(', ') || 'no replica'}, shard of ${holder}`;
  }
  return undefined;
}
const everyAppOwnedOnce = () =>
  eventually(
    'every app held by the holder of its shard alone',
    async () => ((await ownershipProblems()) ? undefined : true),
    90_000,
  ).catch(async (e: unknown) => {
    throw new Error(`${(e as Error).message}: ${await ownershipProblems()}`);
  });

const count = (held: { holder?: string }[]) => {
  const c = new Map<string, number>();
  for (const h of held) if (h.holder) c.set(h.holder, (c.get(h.holder) ?? 0) + 1);
  return c;
};

beforeAll(async () => {
  admin = KubeCluster.fromFile(inject('kubeconfig'));
  await repo.start();
  source = sourceId(repo.url, '.');
  commitApps(
    Array.from({ length: APPS }, (_, i) => i),
    '1',
  );
}, 120_000);
afterAll(async () => {
  await Promise.all([...replicas.values()].map((s) => s.stop('SIGKILL')));
  await repo.stop();
  await admin?.close();
});

describe('ferry serve --shards', () => {
  const all = Array.from({ length: APPS }, (_, i) => i);

  it('3 replicas share 1,000 apps: each reconciled by its shard holder alone, never two at once', async () => {
    const t0 = Date.now();
    // r1 alone takes every shard; r2 and r3 join during its first poll, so r1 hands four shards back while it is
    // still reading and restoring their apps (a rolling start; the drop must not let a release it restores start).
    const r1 = await start('r1');
    const taken = (s: Serve) => s.logs.filter((l) => l.msg === 'shard taken').length;
    await eventually('r1 holding every shard', async () => (taken(r1) === SHARDS ? true : undefined), 60_000);
    await Promise.all(['r2', 'r3'].map(start));
    const st = await allSynced('1', all);
    const handedBack = r1.logs.filter((l) => l.msg === 'shard released' && /^rebalancing/.test(String(l.why)));
    // Its four highest (a membership that flapped may have it take one back and hand it back again).
    expect(new Set(handedBack.map((l) => l.shard))).toEqual(new Set([2, 3, 4, 5]));
    console.log(`1,000 apps synced by 3 replicas in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const held = await holders();
    expect([...count(held).values()]).toEqual([2, 2, 2]);
    // Every replica recorded the apps of its own shards, and only those.
    for (const [who] of replicas) {
      const shards = new Set(held.flatMap((h, i) => (h.holder === who ? [i] : [])));
      const recorded = all.filter((i) => st.get(appName(i))?.reconciler === who);
      expect(recorded.length).toBeGreaterThan(0);
      expect(recorded.every((i) => shards.has(shardOfApp(i)))).toBe(true);
    }
    await everyAppOwnedOnce();
    expect(overlaps()).toEqual([]);
  }, 600_000);

  it("a killed replica's shards move as their Leases expire; the new owners apply its apps' next commit", async () => {
    const before = await holders();
    const lost = before.flatMap((h, i) => (h.holder === 'r1' ? [i] : []));
    await replicas.get('r1')!.stop('SIGKILL');
    const killed = Date.now();
    const after = await eventually(
      "r1's shards taken over",
      async () => {
        const h = await holders();
        return lost.every((i) => h[i]?.holder && h[i].holder !== 'r1') ? h : undefined;
      },
      60_000,
    );
    const moved = Math.max(...lost.map((i) => after[i]!.acquired! - killed));
    // Within the lease duration (counted from r1's last renewal, at most a third of it before the kill), plus the
    // takers' retry period; generous for a loaded machine. The measured time is printed.
    console.log(`shards ${lost.join(', ')} of the killed replica taken over ${moved} ms after the kill`);
    expect(moved).toBeLessThan(LEASE_SECONDS * 1000 * 2);
    expect([...count(after).values()].sort()).toEqual([3, 3]);
    const orphans = all.filter((i) => lost.includes(shardOfApp(i))).slice(0, 60);
    commitApps(orphans, '2');
    // A webhook to r2 only: r3 polls as well (the poll interval is 10 minutes).
    expect(await webhook('r2')).toBe(200);
    const st = await allSynced('2', orphans, 60_000);
    expect(new Set(orphans.map((i) => st.get(appName(i))!.reconciler))).toEqual(new Set(['r2', 'r3']));
    // Every app of the killed replica, committed again or not, is held by its new owner.
    await everyAppOwnedOnce();
    expect(overlaps()).toEqual([]);
  });

  it('a fourth replica joining takes its share; the apps of its shards are its own from then on', async () => {
    await start('r4');
    const held = await eventually(
      'two shards each for r2, r3 and r4',
      async () => {
        const h = await holders();
        const c = count(h);
        return c.get('r2') === 2 && c.get('r3') === 2 && c.get('r4') === 2 ? h : undefined;
      },
      90_000,
    );
    const taken = held.flatMap((h, i) => (h.holder === 'r4' ? [i] : []));
    const apps = all.filter((i) => taken.includes(shardOfApp(i))).slice(0, 60);
    commitApps(apps, '3');
    expect(await webhook('r3')).toBe(200);
    const st = await allSynced('3', apps, 90_000);
    expect(apps.every((i) => st.get(appName(i))!.reconciler === 'r4')).toBe(true);
    await everyAppOwnedOnce();
    expect(overlaps()).toEqual([]);
  });
});
