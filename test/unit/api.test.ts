/**
 * The controller's JSON API (/api/v1) on its real HTTP server, over the reconcile harness's controller (a
 * local Git repository, an in-memory cluster): the releases as `ferry status -o json` shows them, the source,
 * a release's history, and the event stream following a commit live.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { createApi, environmentOrder } from '../../src/gitops/controller/api.js';
import type { ActionRequest } from '../../src/gitops/controller/api-actions.js';
import { controllerApi } from '../../src/gitops/controller/api-source.js';
import { RUNTIME_TRAITS } from '../../src/traits/registry.js';
import { startServer } from '../../src/gitops/controller/server.js';
import { Metrics } from '../../src/gitops/reconcile/telemetry.js';
import type { StateSummary } from '../../src/gitops/store/release-store.js';
import { ReconcileHarness, until, webApp } from '../support/reconcile-harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function served(token?: string) {
  const h = await ReconcileHarness.create();
  cleanups.push(() => h.dispose());
  const c = h.controller!;
  const acted: ActionRequest[] = [];
  let port = 0;
  const api = createApi(
    controllerApi(c, RUNTIME_TRAITS, {
      releases: async (app) => ({ ok: true, message: '', matrix: { app, environments: [], releases: [] } }),
      act: async (a) => {
        acted.push(a);
        return { ok: true, message: `did ${a.action}` };
      },
    }),
    pino({ level: 'silent' }),
    token ? { token } : {},
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
  port = server.port;
  const url = (path: string) => `http://127.0.0.1:${server.port}/api/v1/${path}`;
  const get = async (path: string) => {
    const res = await fetch(url(path));
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as never };
  };
  return { h, url, get, acted, port, server };
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
    expect((await get('apps/%E0%A4%A/history?env=default')).status).toBe(400);
  });

  it('refuses anything but GET, and a POST anywhere but an action', async () => {
    const { url } = await served();
    expect((await fetch(url('releases'), { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(url('releases'), { method: 'DELETE' })).status).toBe(405);
  });

  it("answers a release's objects with their live health, its charts and the releases matrix", async () => {
    const { h, get } = await served();
    await h.waitFor('synced', h.commits[0]);
    const objects = (await get('apps/web/objects?env=default')).body as {
      commit: string;
      objects: { object: string; health: string; cluster: string }[];
    };
    expect(objects.commit).toBe(h.commits[0]);
    expect(objects.objects.map((o) => o.object)).toContain('Deployment/shop/web');
    expect(objects.objects.every((o) => o.cluster === 'local' && typeof o.health === 'string')).toBe(true);
    expect((await get('apps/nope/objects?env=default')).status).toBe(404);
    expect(((await get('apps/web/charts?env=default')).body as { charts: unknown[] }).charts).toEqual([]);
    expect(((await get('apps/web/releases')).body as { app: string }).app).toBe('web');
    expect(((await get('releases')).body as { environments: string[] }).environments).toEqual(['default']);
  });

  it('closes with an event stream open: the stream ends, nothing is written after it', async () => {
    const { h, url, server } = await served();
    await h.waitFor('synced', h.commits[0]);
    const res = await fetch(url('events'));
    const reader = res.body!.getReader();
    await reader.read();
    await server.close();
    // The stream ended with the server; a change after it writes nothing (it would throw: write after end).
    for (let r = await reader.read(); !r.done; r = await reader.read());
    h.commitApp(webApp({ image: 'nginx:3.0' }));
    await h.poll();
    await h.waitFor('synced', h.commits.at(-1)!);
  });

  it('orders the environments of every app in one promotion order', () => {
    const order = environmentOrder(
      new Map([
        ['a', ['dev', 'staging', 'prod']],
        ['b', ['dev', 'qa', 'prod']],
        ['c', ['default']],
      ]),
    );
    expect(order.indexOf('dev')).toBeLessThan(order.indexOf('staging'));
    expect(order.indexOf('staging')).toBeLessThan(order.indexOf('prod'));
    expect(order.indexOf('qa')).toBeLessThan(order.indexOf('prod'));
    expect(order).toHaveLength(5);
  });

  describe('actions', () => {
    const body = JSON.stringify({ app: 'web', env: 'default', release: 'abc' });
    const json = { 'content-type': 'application/json' };

    it('are off without FERRY_UI_TOKEN: the session says so and every POST is refused', async () => {
      const { url, get, acted } = await served();
      expect((await get('session')).body).toEqual({ actions: false });
      const res = await fetch(url('actions/approve'), { method: 'POST', headers: json, body });
      expect(res.status).toBe(403);
      expect(acted).toEqual([]);
    });

    it('need the token; a forged request (no token, a wrong one, another origin, a form) is refused', async () => {
      const { url, get, acted, port } = await served('s3cret');
      expect((await get('session')).body).toEqual({ actions: true });
      const post = (headers: Record<string, string>, b = body) =>
        fetch(url('actions/approve'), { method: 'POST', headers, body: b }).then((r) => r.status);
      expect(await post(json)).toBe(401);
      expect(await post({ ...json, authorization: 'Bearer nope!!' })).toBe(401);
      expect(await post({ ...json, authorization: 'Bearer s3cret', origin: 'http://evil.example' })).toBe(403);
      expect(await post({ ...json, authorization: 'Bearer s3cret', 'sec-fetch-site': 'cross-site' })).toBe(403);
      expect(await post({ 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer s3cret' })).toBe(
        415,
      );
      // A name that resolves here by DNS rebinding (fetch keeps its own Host header: node:http sends this one).
      const rebound = await new Promise<number>((resolve, reject) => {
        const req = request(
          url('actions/approve'),
          { method: 'POST', headers: { ...json, authorization: 'Bearer s3cret', host: `evil.example:${port}` } },
          (res) => resolve(res.statusCode ?? 0),
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(rebound).toBe(403);
      // …and reads nothing either; the loopback under another port (a port-forward) is this machine.
      const viaHost = (host: string, path: string, method = 'GET', headers: Record<string, string> = {}) =>
        new Promise<number>((resolve, reject) => {
          const req = request(url(path), { method, headers: { ...headers, host } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end(method === 'POST' ? body : undefined);
        });
      expect(await viaHost(`evil.example:${port}`, 'releases')).toBe(403);
      expect(await viaHost('localhost:9999', 'releases')).toBe(200);
      expect(
        await viaHost('localhost:9999', 'actions/resume', 'POST', { ...json, authorization: 'Bearer s3cret' }),
      ).toBe(200);
      acted.length = 0;
      expect(acted).toEqual([]);
      expect(await post({ ...json, authorization: 'Bearer s3cret' }, '{"app": "web"}')).toBe(400);
      expect(
        await fetch(url('actions/delete-everything'), {
          method: 'POST',
          headers: { ...json, authorization: 'Bearer s3cret' },
          body,
        }).then((r) => r.status),
      ).toBe(404);
      const ok = await fetch(url('actions/approve'), {
        method: 'POST',
        headers: { ...json, authorization: 'Bearer s3cret', origin: `http://127.0.0.1:${port}` },
        body,
      });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ ok: true, message: 'did approve' });
      expect(acted).toEqual([{ action: 'approve', app: 'web', env: 'default', release: 'abc', actor: 'dashboard' }]);
    });
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
