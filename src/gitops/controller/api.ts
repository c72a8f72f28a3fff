/**
 * The controller's JSON API under /api/v1, on its own HTTP server; the web dashboard reads it. Releases as
 * `ferry status -o json` prints them (from the controller's memory), each runtime trait with its view; an
 * app's releases matrix (`ferry releases -o json`), history, objects with health, SLOs and charts; a
 * Server-Sent Events stream of every release's state as it changes; and the actions (api-actions.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Revision, StateSummary } from '../store/release-store.js';
import type { Logger } from '../reconcile/telemetry.js';
import { type ActionRequest, type ActionResult, loopbackHost, parseAction, refuseAction } from './api-actions.js';
import type { ChartAnswer, ObjectRow } from './dashboard-views.js';
import { readBody } from './http-body.js';

/** What the API reads from the controller. */
export interface ApiSource {
  /** Every release this controller reconciles, as `ferry status -o json` shows it, traits with their views. */
  summaries(): StateSummary[];
  /** Each app's environments in promotion order. */
  environments(): Map<string, string[]>;
  /** The Git source: where, the commit last seen, the error of a failing poll. */
  source(): { repo: string; path: string; commit?: string; error?: string; ready: boolean };
  /** A release's history, newest first (undefined: no such release here). */
  history(app: string, env: string): Promise<Revision[] | undefined>;
  /** The objects of the revision a release runs, with their live health (undefined: no such release). */
  objects(app: string, env: string): Promise<{ revision?: number; commit?: string; objects: ObjectRow[] } | undefined>;
  /** The charts a release's traits ask of its metrics (undefined: no such release). */
  charts(app: string, env: string): Promise<ChartAnswer[] | undefined>;
  /** An app's releases × environments, as `ferry releases <app> -o json` prints it. */
  releases(app: string): Promise<ActionResult & { matrix?: unknown }>;
  /** Calls `fn` with a release's summary whenever it changes; returns the unsubscribe. */
  subscribe(fn: (s: StateSummary) => void): () => void;
  /** Carries out an action as the command line does (promote, approve, abort, rollback, resume). */
  act(a: ActionRequest): Promise<ActionResult>;
}

export interface ApiOptions {
  /** FERRY_UI_TOKEN: the admin token the actions need (none: actions are off). */
  token?: string;
  maxBodyBytes?: number;
}

export interface Api {
  /** Answers a request under /api/v1 (false: not an API path). */
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
  /** Ends the open event streams (the server closes). */
  close(): void;
}

const PREFIX = '/api/v1/';
const HEARTBEAT_MS = 15_000;
/** Bytes an event stream may have waiting for a client before it is closed. */
const MAX_BUFFERED = 4 * 1024 * 1024;

/** Every app's columns in one order: each app's promotion order merged (an environment after those before it). */
export function environmentOrder(byApp: Map<string, string[]>): string[] {
  const after = new Map<string, Set<string>>();
  for (const envs of byApp.values())
    envs.forEach((e, i) => {
      const set = after.get(e) ?? new Set<string>();
      for (const before of envs.slice(0, i)) set.add(before);
      after.set(e, set);
    });
  const out: string[] = [];
  const left = new Set([...after.keys()].sort());
  while (left.size > 0) {
    const next = [...left].find((e) => [...after.get(e)!].every((b) => !left.has(b))) ?? [...left][0]!;
    out.push(next);
    left.delete(next);
  }
  return out;
}

async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const body = await readBody(req, max);
  try {
    return body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch {
    throw new Error('the body is not JSON');
  }
}

export function createApi(api: ApiSource, log: Logger, o: ApiOptions = {}): Api {
  /** The open event streams, each with what ends it (its timer and subscription gone, then the response). */
  const streams = new Map<ServerResponse, () => void>();
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`${JSON.stringify(body)}\n`);
  };
  const byRelease = (a: StateSummary, b: StateSummary) => a.app.localeCompare(b.app) || a.env.localeCompare(b.env);
  const overview = () => {
    const apps = api.environments();
    return {
      environments: environmentOrder(apps),
      apps: Object.fromEntries(apps),
      releases: api.summaries().sort(byRelease),
    };
  };

  const events = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    req.socket.setNoDelay(true);
    const send = (text: string) => {
      if (res.writableEnded || res.destroyed) return;
      // A client that stopped reading is let go, rather than its stream buffered without end.
      if (res.writableLength > MAX_BUFFERED) res.destroy();
      else res.write(text);
    };
    // The state now, then every change: a client that reconnects is whole again at once.
    send(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(overview())}\n\n`);
    const unsubscribe = api.subscribe((s) => send(`event: release\ndata: ${JSON.stringify(s)}\n\n`));
    const heartbeat = setInterval(() => send(': ping\n\n'), HEARTBEAT_MS);
    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    streams.set(res, () => {
      end();
      res.end();
    });
    req.on('close', end);
    res.on('close', end);
  };

  /** An app's release: ?env= given and reconciled here, or the error answered (undefined). */
  const release = async <T>(
    res: ServerResponse,
    app: string,
    env: string | null,
    read: (app: string, env: string) => Promise<T | undefined>,
  ): Promise<{ env: string; value: T } | undefined> => {
    if (!env) return void json(res, 400, { error: 'give the environment: ?env=<name>' });
    const value = await read(app, env);
    if (value === undefined) return void json(res, 404, { error: `no release ${app}/${env} here` });
    return { env, value };
  };

  const get = async (req: IncomingMessage, res: ServerResponse, parts: string[]) => {
    const query = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
    const [head, app, what] = parts;
    if (parts.length === 1 && head === 'releases') return json(res, 200, overview());
    if (parts.length === 1 && head === 'sources') return json(res, 200, { sources: [api.source()] });
    if (parts.length === 1 && head === 'session') return json(res, 200, { actions: o.token !== undefined });
    if (parts.length === 1 && head === 'events') return events(req, res);
    if (parts.length !== 3 || head !== 'apps' || !app) return json(res, 404, { error: `no such API path` });
    const env = query.get('env');
    if (what === 'releases') {
      const r = await api.releases(app);
      return r.ok ? json(res, 200, r.matrix) : json(res, 404, { error: r.message });
    }
    if (what === 'history') {
      const found = await release(res, app, env, (a, e) => api.history(a, e));
      // As `ferry history -o json` prints it: the objects counted, not listed.
      if (found)
        json(res, 200, {
          app,
          env: found.env,
          history: found.value.map(({ placements, ...r }) => ({
            ...r,
            objects: placements?.reduce((n, p) => n + p.objects.length, 0) ?? 0,
          })),
        });
      return;
    }
    if (what === 'objects') {
      const found = await release(res, app, env, (a, e) => api.objects(a, e));
      if (found) json(res, 200, { app, env: found.env, ...found.value });
      return;
    }
    if (what === 'charts') {
      const found = await release(res, app, env, (a, e) => api.charts(a, e));
      if (found) json(res, 200, { app, env: found.env, charts: found.value });
      return;
    }
    if (what === 'slo') {
      const found = await release(res, app, env, async (a, e) =>
        api.summaries().find((s) => s.app === a && s.env === e),
      );
      if (found) {
        const slos = (found.value.traits ?? [])
          .filter((t) => t.trait === 'slo')
          .map(({ progress, ...t }) => {
            const { memory: _memory, ...status } = (progress ?? {}) as Record<string, unknown>;
            return { ...t, status };
          });
        json(res, 200, { app, env: found.env, slos });
      }
      return;
    }
    json(res, 404, { error: 'no such API path' });
  };

  const post = async (req: IncomingMessage, res: ServerResponse, parts: string[]) => {
    if (parts.length !== 2 || parts[0] !== 'actions') return json(res, 405, { error: 'only actions take a POST' });
    const refused = refuseAction(req, o.token);
    if (refused) {
      log.warn({ action: parts[1], status: refused.status, reason: refused.error }, 'dashboard action refused');
      return json(res, refused.status, { error: refused.error });
    }
    let body: unknown;
    try {
      body = await readJson(req, o.maxBodyBytes ?? 64 * 1024);
    } catch (e) {
      return json(res, 400, { error: (e as Error).message });
    }
    const a = parseAction(parts[1]!, body);
    if ('status' in a) return json(res, a.status, { error: a.error });
    const r = await api.act(a);
    log.info({ action: a.action, app: a.app, env: a.env, ok: r.ok, message: r.message }, 'dashboard action');
    json(res, r.ok ? 200 : 409, r);
  };

  return {
    async handle(req, res, path) {
      if (!path.startsWith(PREFIX)) return false;
      if (!loopbackHost(req.headers.host)) {
        json(res, 403, { error: 'the Host header must name this machine (127.0.0.1 or localhost)' });
        return true;
      }
      let parts: string[];
      try {
        parts = path.slice(PREFIX.length).split('/').map(decodeURIComponent);
      } catch {
        json(res, 400, { error: 'the path is not valid percent-encoding' });
        return true;
      }
      if (req.method === 'GET') await get(req, res, parts);
      else if (req.method === 'POST') await post(req, res, parts);
      else json(res, 405, { error: 'GET, or POST for an action' });
      log.debug({ path, status: res.statusCode }, 'api');
      return true;
    },
    close() {
      for (const stop of [...streams.values()]) stop();
    },
  };
}
