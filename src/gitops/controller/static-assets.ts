/**
 * The dashboard's files, built into dist/ui by `npm run build:ui` (scripts/build-ui.mjs): index.html at `/`,
 * content-hashed bundles under `/assets/` (cached for good), all from this server: nothing from a CDN, so the
 * dashboard works offline. The page may load and connect only to this origin (Content-Security-Policy).
 */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface StaticAssets {
  /** Serves `path` when it is the dashboard's (true), else leaves the response alone (false). */
  serve(path: string, res: ServerResponse): Promise<boolean>;
}

export function staticAssets(dir: string): StaticAssets {
  // Files found are kept (a few, all small); a name not there is never kept, whoever asks for it.
  const cache = new Map<string, Buffer>();
  const load = async (file: string) => {
    const hit = cache.get(file);
    if (hit) return hit;
    const body = await readFile(join(dir, file)).catch(() => undefined);
    if (body) cache.set(file, body);
    return body;
  };
  return {
    async serve(path, res) {
      const index = path === '/' || path === '/index.html';
      const asset = /^\/assets\/([\w.-]+)$/.exec(path)?.[1];
      if (!index && !asset) return false;
      const file = index ? 'index.html' : `assets/${asset}`;
      const body = await load(file);
      if (!body) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(index ? 'the dashboard is not built: npm run build:ui\n' : 'not found\n');
        return true;
      }
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': index ? 'no-cache' : 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
        ...(index ? { 'content-security-policy': CONTENT_SECURITY_POLICY, 'referrer-policy': 'no-referrer' } : {}),
      });
      res.end(body);
      return true;
    },
  };
}
