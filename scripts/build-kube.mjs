#!/usr/bin/env node
// Builds the local control plane from Go modules (tools/kube/*/go.mod + go.sum):
// kube-apiserver, kube-controller-manager, kube-scheduler (k8s.io/kubernetes), etcd
// (go.etcd.io/etcd/server/v3), kwok and kwokctl (sigs.k8s.io/kwok). CGO_ENABLED=0, version-stamped.
// Binaries go to ~/.cache/ferry/kube-<versions>-<hash>/bin and are rebuilt only when the pinned
// modules change. Prints the bin directory on stdout. Two first builds at once take turns on a lock
// (scripts/build-lock.mjs): the second waits, then finds the binaries built.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withBuildLock } from './build-lock.mjs';
import { ferryCacheDir } from './cache-dir.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tools = join(root, 'tools', 'kube');
const versions = JSON.parse(readFileSync(join(tools, 'versions.json'), 'utf8'));

export function kubeCacheDir() {
  const hash = createHash('sha256');
  for (const m of ['k8s', 'etcd', 'kwok'])
    for (const f of ['go.mod', 'go.sum']) hash.update(readFileSync(join(tools, m, f)));
  const key = `${versions.kubernetes}-etcd${versions.etcd}-kwok${versions.kwok}-${hash.digest('hex').slice(0, 10)}`;
  return join(ferryCacheDir(), `kube-${key}`);
}

const [, minor, _patch] = versions.kubernetes.slice(1).split('.');
const stamp = (pkg, v, major, min) => [
  `-X ${pkg}.gitVersion=${v}`,
  `-X ${pkg}.gitMajor=${major}`,
  `-X ${pkg}.gitMinor=${min}`,
  `-X ${pkg}.gitTreeState=clean`,
];
const k8sLd = [
  '-s -w',
  ...stamp('k8s.io/component-base/version', versions.kubernetes, '1', minor),
  ...stamp('k8s.io/client-go/pkg/version', versions.kubernetes, '1', minor),
].join(' ');
const kwokLd = [
  '-s -w',
  `-X sigs.k8s.io/kwok/pkg/consts.Version=${versions.kwok}`,
  `-X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${versions.kubernetes}`,
].join(' ');
const builds = [
  { module: 'etcd', name: 'etcd', pkg: 'go.etcd.io/etcd/server/v3', ldflags: '-s -w' },
  { module: 'kwok', name: 'kwok', pkg: 'sigs.k8s.io/kwok/cmd/kwok', ldflags: kwokLd },
  { module: 'kwok', name: 'kwokctl', pkg: 'sigs.k8s.io/kwok/cmd/kwokctl', ldflags: kwokLd },
  { module: 'k8s', name: 'kube-apiserver', pkg: 'k8s.io/kubernetes/cmd/kube-apiserver', ldflags: k8sLd },
  {
    module: 'k8s',
    name: 'kube-controller-manager',
    pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager',
    ldflags: k8sLd,
  },
  { module: 'k8s', name: 'kube-scheduler', pkg: 'k8s.io/kubernetes/cmd/kube-scheduler', ldflags: k8sLd },
];

async function main() {
  const dir = kubeCacheDir();
  const bin = join(dir, 'bin');
  const done = join(dir, 'complete.json');
  if (!existsSync(done)) {
    mkdirSync(bin, { recursive: true });
    await withBuildLock(join(dir, 'build.lock'), () => build(bin, done), {
      log: (line) => console.error(`build-kube: ${line}`),
    });
  }
  process.stdout.write(`${bin}\n`);
}

/** Builds what is missing; runs holding the lock, so it checks again whether another build finished. */
function build(bin, done) {
  if (existsSync(done)) return;
  const started = Date.now();
  const report = { versions, builds: [] };
  for (const b of builds) {
    const out = join(bin, b.name);
    if (existsSync(out)) continue;
    const t = Date.now();
    console.error(`build-kube: building ${b.name} (${b.pkg}) ...`);
    const tmp = `${out}.tmp-${process.pid}`;
    rmSync(tmp, { force: true });
    try {
      execFileSync('go', ['build', '-trimpath', '-ldflags', b.ldflags, '-o', tmp, b.pkg], {
        cwd: join(tools, b.module),
        env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      renameSync(tmp, out);
    } finally {
      rmSync(tmp, { force: true });
    }
    const secs = (Date.now() - t) / 1000;
    report.builds.push({ name: b.name, seconds: secs });
    console.error(`build-kube: ${b.name} built in ${secs.toFixed(0)} s`);
  }
  report.totalSeconds = (Date.now() - started) / 1000;
  const tmp = `${done}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(tmp, done);
  console.error(`build-kube: all binaries in ${bin} (${report.totalSeconds.toFixed(0)} s)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
