#!/usr/bin/env node
// Builds the CUE engine: our Go bridge (cue-bridge/) with the official
// cuelang.org/go evaluator, compiled to WebAssembly. The result is cached in
// ~/.cache/ferry/cue-bridge-<hash>/ (keyed by the bridge's sources and the Go
// version) and copied to build/cue/ together with Go's wasm_exec.js.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ferryCacheDir } from './cache-dir.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bridge = join(root, 'cue-bridge');
const out = join(root, 'build', 'cue');

function go(args, env = {}) {
  return execFileSync('go', args, {
    cwd: bridge,
    env: { ...process.env, GOTOOLCHAIN: 'local', ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

let goVersion;
try {
  goVersion = go(['env', 'GOVERSION']);
} catch {
  console.error('build-cue: Go is required to build the CUE engine (https://go.dev); `go` was not found on PATH');
  process.exit(1);
}
const hash = createHash('sha256').update(goVersion);
for (const f of readdirSync(bridge)
  .filter((n) => /\.(go|mod|sum)$/.test(n) && !n.endsWith('_test.go'))
  .sort()) {
  hash.update(f).update(readFileSync(join(bridge, f)));
}
const key = hash.digest('hex').slice(0, 16);
const cacheDir = join(ferryCacheDir(), `cue-bridge-${key}`);
const cached = join(cacheDir, 'cue.wasm');

if (!existsSync(cached)) {
  mkdirSync(cacheDir, { recursive: true });
  const started = Date.now();
  console.error(`build-cue: compiling the CUE bridge to WebAssembly (${goVersion}) into ${cacheDir} ...`);
  const tmp = `${cached}.tmp-${process.pid}`;
  go(['build', '-trimpath', '-ldflags', '-s -w', '-o', tmp, '.'], { GOOS: 'js', GOARCH: 'wasm', CGO_ENABLED: '0' });
  renameSync(tmp, cached);
  console.error(`build-cue: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
mkdirSync(out, { recursive: true });
copyFileSync(cached, join(out, 'cue.wasm'));
// Which build this is: the definitions index (scripts/index-definitions.mjs) holds this engine's answers.
writeFileSync(join(out, 'cue.key'), `${key}\n`);
const goroot = go(['env', 'GOROOT']);
const execJs = [join(goroot, 'lib', 'wasm', 'wasm_exec.js'), join(goroot, 'misc', 'wasm', 'wasm_exec.js')].find(
  existsSync,
);
if (!execJs) {
  console.error(`build-cue: wasm_exec.js not found under ${goroot}`);
  process.exit(1);
}
copyFileSync(execJs, join(out, 'wasm_exec.cjs'));
console.error(`build-cue: build/cue/cue.wasm ready (${key})`);
