/**
 * The reference for bench/vs-vela.ts: KubeVela's CLI `vela` at VELA_VERSION, built from Go modules (the Go
 * module proxy only, no git) into Ferry's cache folder, `<cacheDir>/vela/<vela version>-<go version>/vela`, and
 * reused from there. kubevela's go.mod has `replace` directives that Go ignores when kubevela is a dependency,
 * so the build goes through a wrapper module whose go.mod is written from the downloaded one: it requires
 * kubevela and repeats its `go` line and its module replacements. Like upstream's release build: CGO off,
 * `-s -w`, version and commit stamped. Without `go` on PATH the answer is a reason to skip, not an error.
 *
 * `vela dry-run --offline` still builds a Kubernetes client (kubevela issue 6731, fixed by the open pull request
 * 6991): without a kubeconfig it exits 1 and prints nothing. velaOffline gives it one whose server is a closed
 * loopback port, so the lookup of external CUE packages is refused at once (two "ERR" lines on stderr) and the
 * render goes on with the definitions given by `-d`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ferryEnvironment } from '../src/config/environment.js';

export const VELA_VERSION = 'v1.10.9';
const VELA_MODULE = 'github.com/oam-dev/kubevela';
/** The CLI's main package (upstream's makefiles/build.mk builds ./references/cmd/cli/main.go). */
const VELA_MAIN = `${VELA_MODULE}/references/cmd/cli`;
const GO_ENV = {
  ...process.env,
  GOTOOLCHAIN: 'local',
  CGO_ENABLED: '0',
  GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=mod`.trim(),
};

export interface VelaBinary {
  path: string;
  version: string;
  goVersion: string;
  /** Set when this call built the binary. */
  built?: { seconds: number };
  bytes: number;
}

export type VelaReference = { ok: true; value: VelaBinary } | { ok: false; skip: string };

/** A module replacement as go.mod writes it: `old [version] => new [version]`. */
interface Replacement {
  old: string;
  target: string;
}

function go(args: string[], cwd: string, inherit = false): string {
  const r = spawnSync('go', args, {
    cwd,
    env: GO_ENV,
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', inherit ? 'inherit' : 'pipe'],
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`go ${args.join(' ')} exited ${r.status}: ${(r.stderr ?? '').trim()}`);
  return r.stdout;
}

/** The Go version (`go1.26.8`), or undefined when there is no `go` command. */
function goVersion(): string | undefined {
  const r = spawnSync('go', ['env', 'GOVERSION'], { env: GO_ENV, encoding: 'utf8' });
  return r.error || r.status !== 0 ? undefined : r.stdout.trim();
}

/** The `replace` directives of a go.mod (single-line and block forms), comments dropped. */
export function parseReplacements(gomod: string): Replacement[] {
  const out: Replacement[] = [];
  let inBlock = false;
  for (const raw of gomod.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (inBlock && line === ')') inBlock = false;
    else if (/^replace\s*\($/.test(line)) inBlock = true;
    else if (inBlock || line.startsWith('replace ')) {
      const [old, target] = line.replace(/^replace\s+/, '').split('=>');
      if (old?.trim() && target?.trim()) out.push({ old: old.trim(), target: target.trim() });
    }
  }
  return out;
}

/** The wrapper module's go.mod: kubevela required, its `go` line and its module (not directory) replacements. */
export function wrapperGoMod(upstream: string): string {
  const goLine = upstream.match(/^go (\S+)\s*$/m)?.[1] ?? '1.23';
  // A replacement by a directory (`=> ./x`) points into kubevela's own tree and cannot apply outside it.
  const replacements = parseReplacements(upstream).filter((r) => !/^\.{1,2}\/|^\//.test(r.target));
  return [
    "// Written by bench/vela-reference.ts from kubevela's go.mod: kubevela as a dependency, with its replacements.",
    'module ferry.local/vela-reference',
    '',
    `go ${goLine}`,
    '',
    `require ${VELA_MODULE} ${VELA_VERSION}`,
    '',
    'replace (',
    ...replacements.map((r) => `\t${r.old} => ${r.target}`),
    ')',
    '',
  ].join('\n');
}

function build(dir: string, binary: string, log: (line: string) => void): number {
  const work = join(dir, `wrapper-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const started = performance.now();
    log(`downloading ${VELA_MODULE}@${VELA_VERSION} from the Go module proxy ...`);
    const info = JSON.parse(go(['mod', 'download', '-json', `${VELA_MODULE}@${VELA_VERSION}`], work)) as {
      Dir: string;
      Origin?: { Hash?: string };
    };
    const upstream = readFileSync(join(info.Dir, 'go.mod'), 'utf8');
    writeFileSync(join(work, 'go.mod'), wrapperGoMod(upstream));
    // kubevela's go.sum covers its whole build list; the go command still checks every line it uses.
    writeFileSync(join(work, 'go.sum'), readFileSync(join(info.Dir, 'go.sum'), 'utf8'));
    log(`wrapper module written (${parseReplacements(upstream).length} replacements); building ${VELA_MAIN} ...`);
    const stamp = `-X ${VELA_MODULE}/version.VelaVersion=${VELA_VERSION}`;
    const commit = info.Origin?.Hash
      ? ` -X ${VELA_MODULE}/version.GitRevision=git-${info.Origin.Hash.slice(0, 7)}`
      : '';
    const tmp = `${binary}.tmp-${process.pid}`;
    go(['build', '-trimpath', '-ldflags', `-s -w ${stamp}${commit}`, '-o', tmp, VELA_MAIN], work, true);
    renameSync(tmp, binary);
    return (performance.now() - started) / 1000;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The vela binary, built first when the cache lacks it (progress on stderr through `log`), or a reason to skip
 * when there is no Go. A failed build throws.
 */
export function ensureVela(
  log: (line: string) => void = (line) => console.error(`vela-reference: ${line}`),
): VelaReference {
  const goVer = goVersion();
  if (!goVer) return { ok: false, skip: 'no `go` on PATH: the reference `vela` is built from Go modules' };
  const dir = join(ferryEnvironment().cacheDir, 'vela', `${VELA_VERSION}-${goVer}`);
  const binary = join(dir, 'vela');
  let built: VelaBinary['built'];
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    log(`no cached vela ${VELA_VERSION} for ${goVer}: building it into ${dir} (several minutes on 2 cores)`);
    const seconds = build(dir, binary, log);
    built = { seconds };
    log(`vela built in ${seconds.toFixed(0)} s (${(statSync(binary).size / 2 ** 20).toFixed(1)} MiB)`);
  }
  const value: VelaBinary = { path: binary, version: VELA_VERSION, goVersion: goVer, bytes: statSync(binary).size };
  if (built) value.built = built;
  return { ok: true, value };
}

/** `vela dry-run` of one app file against a definitions folder, with no cluster. */
export function dryRunArgs(vela: VelaBinary, app: string, definitions: string): string[] {
  return [vela.path, 'dry-run', '-f', app, '--offline', '-d', definitions];
}

/**
 * The environment for offline runs: HOME in `dir` (vela creates ~/.vela there) and a kubeconfig whose server is
 * 127.0.0.1:1, where nothing listens.
 */
export function velaOffline(dir: string): NodeJS.ProcessEnv {
  mkdirSync(dir, { recursive: true });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: none, user: {}}]',
      'contexts: [{name: none, context: {cluster: none, user: none}}]',
      'current-context: none',
      '',
    ].join('\n'),
  );
  return { ...process.env, HOME: dir, KUBECONFIG: kubeconfig };
}
