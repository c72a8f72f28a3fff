#!/usr/bin/env node
// The metrics rig's two downloads, pinned and cached in ~/.cache/ferry like the control plane:
// - Prometheus: Debian bookworm's `prometheus` package at a pinned version, fetched with
//   `apt-get download` (no install: no daemon, no service user, no /etc files) and unpacked with
//   `dpkg-deb -x`; only its `prometheus` binary is kept. Building it from Go modules was the other
//   option: hundreds of modules and minutes of two-core build; the Debian binary links only libc.
// - Gateway API CRDs (standard channel) from the sigs.k8s.io/gateway-api Go module, through the Go
//   module proxy, checked against the module's pinned go.sum hash.
// Prints one JSON line on stdout: {"prometheus": <binary>, "gatewayCrds": <folder>}.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ferryCacheDir } from './cache-dir.mjs';

export const PROMETHEUS_DEB = '2.42.0+ds-5+deb12u1';
export const GATEWAY_API = { version: 'v1.6.3', sum: 'h1:lKpJa5bGlraC/QeACvCpsHLdmO6y0iKfzVl6gzaFEYc=' };

const cacheRoot = ferryCacheDir;
const log = (l) => console.error(`build-metrics: ${l}`);
const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });

function prometheus() {
  const dir = join(cacheRoot(), `prometheus-${PROMETHEUS_DEB}`);
  const bin = join(dir, 'prometheus');
  if (existsSync(bin)) return bin;
  const work = mkdtempSync(join(tmpdir(), 'ferry-prometheus-'));
  try {
    const download = () => run('apt-get', ['download', `prometheus=${PROMETHEUS_DEB}`], { cwd: work });
    try {
      download();
    } catch {
      // A fresh machine may have no package lists yet.
      log('apt-get download failed; running apt-get update first');
      run('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
      download();
    }
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download left no .deb in ${work}`);
    run('dpkg-deb', ['-x', join(work, deb), join(work, 'x')]);
    const version = run(join(work, 'x', 'usr', 'bin', 'prometheus'), ['--version']);
    if (!version.includes(PROMETHEUS_DEB.split('+')[0]))
      throw new Error(`unexpected prometheus version: ${version.split('\n')[0]}`);
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(work, 'x', 'usr', 'bin', 'prometheus'), `${bin}.tmp`);
    renameSync(`${bin}.tmp`, bin);
    log(`prometheus ${PROMETHEUS_DEB} in ${dir}`);
    return bin;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function gatewayCrds() {
  const dir = join(cacheRoot(), `gateway-api-${GATEWAY_API.version}`);
  if (existsSync(join(dir, 'complete'))) return dir;
  const info = JSON.parse(
    run('go', ['mod', 'download', '-json', `sigs.k8s.io/gateway-api@${GATEWAY_API.version}`], {
      env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
    }),
  );
  if (info.Sum !== GATEWAY_API.sum)
    throw new Error(`sigs.k8s.io/gateway-api@${GATEWAY_API.version}: hash ${info.Sum}, expected ${GATEWAY_API.sum}`);
  const from = join(info.Dir, 'config', 'crd', 'standard');
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(from).filter((f) => f.endsWith('.yaml'))) copyFileSync(join(from, f), join(dir, f));
  writeFileSync(join(dir, 'complete'), `${GATEWAY_API.version}\n`);
  log(`Gateway API ${GATEWAY_API.version} CRDs in ${dir}`);
  return dir;
}

function main() {
  const which = process.argv[2];
  const out = {};
  if (which !== 'crds') out.prometheus = prometheus();
  if (which !== 'prometheus') out.gatewayCrds = gatewayCrds();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(`build-metrics: ${e.stderr?.toString().trim() || e.message}`);
    process.exit(1);
  }
}
