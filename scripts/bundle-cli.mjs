#!/usr/bin/env node
/**
 * Bundles the compiled CLI (dist/src, from `tsc`) into a few ES modules under dist/src/cli-bundle, which
 * bin/ferry runs: Node then reads a handful of files instead of ~300 modules (about 70 ms less at every
 * start; `npm run bench:vs-vela` shows the start-up). Entry points: the CLI, the early engine start, and the
 * two worker scripts (they are found beside the module that starts them). Commands still load lazily: each
 * dynamic import is a chunk of its own. The Kubernetes client, isomorphic-git and pino stay in node_modules
 * (pino starts its transports from its own files; the other two are loaded only by the commands that talk
 * to clusters or Git).
 *
 * inputs.json lists the compiled modules the bundle was made from: bin/ferry runs the bundle only while none of
 * them is newer (after a `tsc` alone, or `tsc --watch`, it runs dist/src/cli itself).
 *
 * The folder sits at the depth of dist/src/cli, so paths the code computes from its own location
 * (`../../ui/`) mean the same there.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const REQUIRE = [
  "import { createRequire as ferryCreateRequire } from 'node:module';",
  'const require = ferryCreateRequire(import.meta.url);',
].join('\n');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'src', 'cli-bundle');
rmSync(out, { recursive: true, force: true });

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: {
    main: 'dist/src/cli/main.js',
    prestart: 'dist/src/cli/prestart.js',
    'engine-thread': 'dist/src/oam/cue/engine-thread.js',
    'render-worker': 'dist/src/oam/render/render-worker.js',
  },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: out,
  external: ['@kubernetes/client-node', 'isomorphic-git', 'isomorphic-git/*', 'pino', 'pino-pretty'],
  // CommonJS packages inside an ES module bundle call require() for Node's own modules.
  banner: { js: REQUIRE },
  metafile: true,
  logLevel: 'warning',
});
// The compiled modules it was made from: bin/ferry uses the bundle only while none is newer than it.
const inputs = Object.keys(result.metafile.inputs).filter((f) => f.startsWith('dist/src/'));
writeFileSync(join(out, 'inputs.json'), `${JSON.stringify(inputs)}\n`);
