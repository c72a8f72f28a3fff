#!/usr/bin/env node
/**
 * Builds the dashboard (ui/) into dist/ui: one minified ES module and one stylesheet under assets/, named by
 * their content hash, and index.html naming them. Everything the page needs is in these files (no CDN, no
 * web font), so it works offline. Prints the bundle sizes (raw and gzip) and writes them to
 * dist/ui/bundle-size.json.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'ui');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { app: 'ui/main.tsx' },
  bundle: true,
  minify: process.env.FERRY_UI_MINIFY !== 'false',
  format: 'esm',
  target: ['chrome120', 'firefox120', 'safari17'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'eof',
  logLevel: 'warning',
});

const files = Object.keys(result.metafile.outputs).filter((f) => !f.endsWith('.map'));
const js = files.find((f) => f.endsWith('.js'));
const css = files.find((f) => f.endsWith('.css'));
if (!js || !css) throw new Error(`build-ui: expected one .js and one .css, got ${files.join(', ')}`);
const html = readFileSync(join(root, 'ui', 'index.html'), 'utf8')
  .replace('<!-- styles -->', `<link rel="stylesheet" href="/assets/${basename(css)}" />`)
  .replace('<!-- scripts -->', `<script type="module" src="/assets/${basename(js)}"></script>`);
writeFileSync(join(out, 'index.html'), html);

const sizes = Object.fromEntries(
  [js, css, join(out, 'index.html')].map((f) => {
    const body = readFileSync(join(root, f.startsWith(root) ? f.slice(root.length + 1) : f));
    return [basename(f), { bytes: body.length, gzip: gzipSync(body).length }];
  }),
);
writeFileSync(join(out, 'bundle-size.json'), `${JSON.stringify(sizes, null, 2)}\n`);
const total = Object.values(sizes).reduce((n, s) => n + s.gzip, 0);
console.log(
  `build-ui: ${Object.entries(sizes)
    .map(([f, s]) => `${f} ${(s.bytes / 1024).toFixed(1)} KiB (${(s.gzip / 1024).toFixed(1)} KiB gzip)`)
    .join(', ')}; ${(total / 1024).toFixed(1)} KiB gzip in all`,
);
