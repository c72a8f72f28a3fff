/**
 * The controller's JSON API (/api/v1) on its real HTTP server, over the reconcile harness's controller (a
 * local Git repository, an in-memory cluster): the releases as `ferry status -o json` shows them, the source,
 * a release's history, and the event stream following a commit live.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createApi } from '../../src/gitops/controller/api.js';
import { startServer } from '../../src/gitops/controller/server.js';
import { Metrics } from '../../src/gitops/reconcile/telemetry.js';
import type { StateSummary } from '../../src/gitops/store/release-store.js';
import { ReconcileHarness, until, webApp } from '../support/reconcile-harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function served() {
  const h = await ReconcileHarness.create();
  cleanups.push(() => h.dispose());
  const c = h.controller!;
  const api = createApi(
    {
      summaries: () => c.summaries(),
      source: () => c.sourceView(),
      history: (app, env) => c.history(app, env),
      subscribe: (fn) => c.subscribe(fn),
    },
    pino({ level: 'silent' }),
  );
  const server = await startServer({
    port: 0,
    metrics: new Metrics(),
    log: pino({ level: 'silent' }),
    ready: () => ({ ready: true, message: 'ready' }),
    trigger: () => true,
    api,
  });
  cleanups.push(() => server.close());
  const url = (path: string) => `http://127.0.0.1:${server.port}/api/v1/${path}`;
  const get = async (path: string) => {
    const res = await fetch(url(path));
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as never };
  };
  return { h, url, get };
}

describe('the JSON API', () => {
  it('lists the releases as ferry status -o json does, the source, and a release history', async () => {
    const { h, get } = await served();
    await h.waitFor('synced', h.commits[0]);
    const releases = await get('releases');
    expect(releases.status).toBe(200);
    expect(releases.type).toMatch(/^application\/json/);
    const [web] = (releases.body as { releases: StateSummary[] }).releases;
    expect(web).toMatchObject({ app: 'web', env: 'default', status: 'synced', commit: h.commits[0] });
    const sources = (await get('sources')).body as { sources: { repo: string; commit: string; ready: boolean }[] };
    expect(sources.sources).toEqual([{ repo: h.repo, path: '.', commit: h.commits[0], ready: true }]);
    const history = await get('apps/web/history?env=default');
    expect(history.status).toBe(200);
    expect((history.body as { history: { commit: string; outcome: string; objects: number }[] }).history).toEqual([
      expect.objectContaining({ commit: h.commits[0], outcome: 'Synced', objects: expect.any(Number) }),
    ]);
    expect((await get('apps/web/history')).status).toBe(400);
    expect((await get('apps/nope/history?env=default')).status).toBe(404);
    expect((await get('nothing')).status).toBe(404);
  });

  it('refuses anything but GET', async () => {
    const { url } = await served();
    const res = await fetch(url('releases'), { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
  });

  it('streams a snapshot, then every state a commit goes through, live', async () => {
    const { h, url } = await served();
    await h.waitFor('synced', h.commits[0]);
    const abort = new AbortController();
    cleanups.push(async () => abort.abort());
    const res = await fetch(url('events'), { signal: abort.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events: { event: string; data: unknown }[] = [];
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
    })().catch(() => undefined);
    await until('the snapshot', () => events[0]);
    expect(events[0]!.event).toBe('snapshot');
    const c2 = h.commitApp(webApp({ image: 'nginx:2.0' }));
    await h.poll();
    await until('synced at c2 on the stream', () =>
      events.find(
        (e) =>
          e.event === 'release' &&
          (e.data as StateSummary).status === 'synced' &&
          (e.data as StateSummary).commit === c2,
      ),
    );
    const states = events.filter((e) => e.event === 'release').map((e) => (e.data as StateSummary).status);
    expect(states).toEqual(expect.arrayContaining(['applying', 'verifying', 'synced']));
    expect(states.indexOf('applying')).toBeLessThan(states.lastIndexOf('synced'));
  });
});
