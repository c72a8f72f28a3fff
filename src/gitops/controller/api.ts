/**
 * The controller's JSON API under /api/v1 (read-only so far), on its own HTTP server: what `ferry status -o
 * json` and `ferry history -o json` print, from the controller's memory (no cluster read per request, except a
 * history), and a Server-Sent Events stream of every release's state as it changes. The web dashboard reads it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Revision, StateSummary } from '../store/release-store.js';
import type { Logger } from '../reconcile/telemetry.js';

/** What the API reads from the controller. */
export interface ApiSource {
  /** Every release this controller reconciles, as `ferry status -o json` shows it. */
  summaries(): StateSummary[];
  /** The Git source: where, the commit last seen, the error of a failing poll. */
  source(): { repo: string; path: string; commit?: string; error?: string; ready: boolean };
  /** A release's history, newest first (undefined: no such release here). */
  history(app: string, env: string): Promise<Revision[] | undefined>;
  /** Calls `fn` with a release's summary whenever it changes; returns the unsubscribe. */
  subscribe(fn: (s: StateSummary) => void): () => void;
}

export interface Api {
  /** Answers a request under /api/v1 (false: not an API path). */
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
  /** Ends the open event streams (the server closes). */
  close(): void;
}

const PREFIX = '/api/v1/';
const HEARTBEAT_MS = 15_000;

export function createApi(api: ApiSource, log: Logger): Api {
  const streams = new Set<ServerResponse>();
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`${JSON.stringify(body)}\n`);
  };
  const byRelease = (a: StateSummary, b: StateSummary) => a.app.localeCompare(b.app) || a.env.localeCompare(b.env);

  const events = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    // The state now, then every change: a client that reconnects is whole again at once.
    res.write(`event: snapshot\ndata: ${JSON.stringify({ releases: api.summaries().sort(byRelease) })}\n\n`);
    const unsubscribe = api.subscribe((s) => res.write(`event: release\ndata: ${JSON.stringify(s)}\n\n`));
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    streams.add(res);
    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    req.on('close', end);
    res.on('close', end);
  };

  return {
    async handle(req, res, path) {
      if (!path.startsWith(PREFIX)) return false;
      if (req.method !== 'GET') {
        json(res, 405, { error: 'the API is read-only: GET' });
        return true;
      }
      const parts = path.slice(PREFIX.length).split('/').map(decodeURIComponent);
      const query = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
      if (parts.length === 1 && parts[0] === 'releases') json(res, 200, { releases: api.summaries().sort(byRelease) });
      else if (parts.length === 1 && parts[0] === 'sources') json(res, 200, { sources: [api.source()] });
      else if (parts.length === 1 && parts[0] === 'events') events(req, res);
      else if (parts.length === 3 && parts[0] === 'apps' && parts[2] === 'history') {
        const app = parts[1]!;
        const env = query.get('env');
        if (!env) json(res, 400, { error: 'give the environment: ?env=<name>' });
        else {
          const history = await api.history(app, env);
          if (!history) json(res, 404, { error: `no release ${app}/${env} here` });
          // As `ferry history -o json` prints it: the objects counted, not listed.
          else
            json(res, 200, {
              app,
              env,
              history: history.map(({ placements, ...r }) => ({
                ...r,
                objects: placements?.reduce((n, p) => n + p.objects.length, 0) ?? 0,
              })),
            });
        }
      } else json(res, 404, { error: `no such API path: ${path}` });
      log.debug({ path, status: res.statusCode }, 'api');
      return true;
    },
    close() {
      for (const s of streams) s.end();
      streams.clear();
    },
  };
}
