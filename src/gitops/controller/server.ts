/**
 * The controller's HTTP endpoints on 127.0.0.1: /healthz, /readyz, /metrics, /webhook, the API (/api/v1) and the
 * dashboard (/).
 */
import { createServer, type Server } from 'node:http';
import { readBody, TooLarge } from './http-body.js';
import { loopbackHost } from './api-actions.js';
import type { Api } from './api.js';
import type { StaticAssets } from './static-assets.js';
import type { Logger, Metrics } from '../reconcile/telemetry.js';
import { verifyWebhook } from '../source/webhook.js';

export interface ServerOptions {
  port: number;
  /** The address to listen on (default 127.0.0.1; a pod's probes need 0.0.0.0: see docs/install.md). */
  address?: string;
  metrics: Metrics;
  log: Logger;
  /** Shared webhook secret; without one /webhook answers 404. */
  webhookSecret?: string;
  branch?: string;
  maxPayloadBytes?: number;
  ready: () => { ready: boolean; message: string };
  /** Wakes the loop; false when this replica is not the leader. */
  trigger: () => boolean;
  /** The JSON API under /api/v1 (api.ts). */
  api?: Api;
  /** The dashboard's files at / and /assets/ (static-assets.ts). */
  assets?: StaticAssets;
}

export async function startServer(
  o: ServerOptions,
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const max = o.maxPayloadBytes ?? 1024 * 1024;
  const server = createServer(async (req, res) => {
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    try {
      if (path === '/healthz') return send(200, 'ok\n');
      if (o.api && (await o.api.handle(req, res, path))) return;
      if (req.method === 'GET' && o.assets && loopbackHost(req.headers.host) && (await o.assets.serve(path, res)))
        return;
      if (path === '/readyz') {
        const r = o.ready();
        return send(r.ready ? 200 : 503, `${r.message}\n`);
      }
      if (path === '/metrics') return send(200, await o.metrics.registry.metrics(), o.metrics.registry.contentType);
      if (path === '/webhook') {
        if (req.method !== 'POST') return send(405, 'POST only\n');
        if (!o.webhookSecret) return send(404, 'webhooks are off: set FERRY_WEBHOOK_SECRET\n');
        let body: Buffer;
        try {
          body = await readBody(req, max);
        } catch (e) {
          if (e instanceof TooLarge) {
            o.metrics.webhooks.inc({ provider: 'unknown', result: 'too-large' });
            res.setHeader('connection', 'close');
            return send(413, `payload larger than ${max} bytes\n`);
          }
          throw e;
        }
        const v = verifyWebhook(req.headers, body, o.webhookSecret, o.branch);
        o.metrics.webhooks.inc({ provider: v.provider ?? 'unknown', result: String(v.status) });
        if (v.status !== 200 || v.message === 'pong') {
          o.log.info({ provider: v.provider, status: v.status, reason: v.message }, 'webhook');
          return send(v.status, `${v.message}\n`);
        }
        if (!o.trigger()) return send(503, 'not the leader\n');
        o.log.info({ provider: v.provider, ref: v.ref }, 'webhook: fetching now');
        return send(200, `${v.message}\n`);
      }
      send(404, 'not found\n');
    } catch (e) {
      o.log.error({ err: (e as Error).message, path }, 'http handler failed');
      if (!res.headersSent) send(500, 'internal error\n');
    }
  });
  await new Promise<void>((r, j) => server.once('error', j).listen(o.port, o.address ?? '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        // Open event streams would keep it open; a client that does not read them is cut after a second.
        o.api?.close();
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}
