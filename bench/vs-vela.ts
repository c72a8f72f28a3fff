/**
 * npm run bench:vs-vela [-- --runs 7 --batch 200 --sample 20 --defs <dir> [app folder or file ...]]: Ferry and
 * KubeVela's own CLI side by side in one run. The reference is `vela` (bench/vela-reference.ts builds it from Go
 * modules into Ferry's cache when absent; without Go this prints "skipped: ..." and exits 0), rendering offline
 * with KubeVela's 78 builtin definition files (../shared/conformance/kubevela/builtin-defs, or --defs).
 *
 * For each app (default examples/apps/hello and examples/apps/shop): a warm-up of each, then --runs pairs of fresh
 * processes, `ferry render <app> -o yaml` and `vela dry-run -f <app> --offline -d <defs>`, the pair's order
 * alternating. Then a batch of --batch generated apps (bench/generate-apps.ts): one `ferry render <folder>` against
 * one vela process per app, run on --sample of them and scaled up (the output says so). Wall time is measured
 * here, CPU (user+sys) and peak RSS by GNU time (/usr/bin/time); without it only wall time is shown. Prints
 * medians as a markdown table; never asserts a time (machines are noisy).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { generateApps } from './generate-apps.js';
import { median } from './stats.js';
import { dryRunArgs, ensureVela, type VelaBinary, velaOffline } from './vela-reference.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '7' },
    batch: { type: 'string', default: '200' },
    sample: { type: 'string', default: '20' },
    defs: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const BATCH = Number(args.batch);
const SAMPLE = Math.min(Number(args.sample), BATCH);
const APPS = positionals.length > 0 ? positionals : ['examples/apps/hello', 'examples/apps/shop'];
const GNU_TIME = '/usr/bin/time';

/** One process's figures: wall ms; CPU ms and peak RSS KiB when GNU time measured them. */
interface Sample {
  wallMs: number;
  cpuMs?: number;
  rssKiB?: number;
}

interface Measured extends Sample {
  stdout: string;
}

/** KubeVela's builtin definitions: --defs, else the shared conformance data beside the repository. */
function velaDefinitions(): string | undefined {
  const conformance = process.env.FERRY_CONFORMANCE_DIR ?? join(repoRoot, '..', 'shared', 'conformance', 'kubevela');
  const dir = args.defs ?? join(conformance, 'builtin-defs');
  return existsSync(dir) ? resolve(dir) : undefined;
}

function hasGnuTime(): boolean {
  const r = spawnSync(GNU_TIME, ['--version'], { encoding: 'utf8' });
  return !r.error && `${r.stdout}${r.stderr}`.includes('GNU');
}

/** Runs a command to its end: wall time here, user+sys and max RSS from GNU time when `timed`. */
function measure(command: string[], timed: boolean, statsFile: string, env = process.env): Measured {
  const [file, ...rest] = timed ? [GNU_TIME, '-o', statsFile, '-f', '%U %S %M', ...command] : command;
  const started = performance.now();
  const r = spawnSync(file!, rest, { cwd: repoRoot, env, encoding: 'utf8', maxBuffer: 512 * 2 ** 20 });
  const wallMs = performance.now() - started;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${command.join(' ')} exited ${r.status}: ${r.stderr.trim().slice(0, 2000)}`);
  if (!timed) return { wallMs, stdout: r.stdout };
  // GNU time's last line holds the figures (a line before it notes a signal or a non-zero exit).
  const [user, sys, rss] = readFileSync(statsFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wallMs, cpuMs: ((user ?? NaN) + (sys ?? NaN)) * 1000, rssKiB: rss, stdout: r.stdout };
}

/** Kubernetes objects in a YAML stream (vela's comment lines and empty documents do not count). */
function objectCount(yamlText: string): number {
  return parseAllDocuments(yamlText).filter((d) => {
    const v = d.toJS() as { kind?: unknown } | null;
    return typeof v === 'object' && v !== null && typeof v.kind === 'string';
  }).length;
}

function medianOf(samples: Sample[], key: keyof Sample): number | undefined {
  const xs = samples.map((s) => s[key]).filter((x): x is number => x !== undefined);
  return xs.length === samples.length ? median(xs) : undefined;
}

type Row = [work: string, ferry: number | undefined, vela: number | undefined, unit: 'ms' | 's' | 'MiB'];

function figure(x: number | undefined, unit: Row[3]): string {
  if (x === undefined || Number.isNaN(x)) return 'n/a';
  return unit === 'ms' ? `${x.toFixed(0)} ms` : unit === 's' ? `${x.toFixed(1)} s` : `${x.toFixed(0)} MiB`;
}

function table(rows: Row[]): string {
  const lines = ['| work | Ferry | vela | vela ÷ Ferry |', '| --- | ---: | ---: | ---: |'];
  for (const [work, ferry, vela, unit] of rows) {
    const ratio = ferry && vela ? `${(vela / ferry).toFixed(1)}×` : 'n/a';
    lines.push(`| ${work} | ${figure(ferry, unit)} | ${figure(vela, unit)} | ${ratio} |`);
  }
  return lines.join('\n');
}

/** The three rows of one piece of work: wall, CPU and peak RSS medians. */
function rowsOf(work: string, ferry: Sample[], vela: Sample[], unit: 'ms' | 's' = 'ms'): Row[] {
  const scale = unit === 's' ? 1 / 1000 : 1;
  const scaled = (x: number | undefined) => (x === undefined ? undefined : x * scale);
  const mib = (x: number | undefined) => (x === undefined ? undefined : x / 1024);
  return [
    [`${work}: wall`, scaled(medianOf(ferry, 'wallMs')), scaled(medianOf(vela, 'wallMs')), unit],
    [`${work}: CPU user+sys`, scaled(medianOf(ferry, 'cpuMs')), scaled(medianOf(vela, 'cpuMs')), unit],
    [`${work}: peak RSS`, mib(medianOf(ferry, 'rssKiB')), mib(medianOf(vela, 'rssKiB')), 'MiB'],
  ];
}

/** An app given as a folder holds app.yaml (vela takes files only; Ferry takes either). */
function appFile(app: string): string {
  const path = resolve(repoRoot, app);
  return statSync(path).isDirectory() ? join(path, 'app.yaml') : path;
}

interface Runner {
  ferry: (app: string) => Measured;
  vela: (app: string) => Measured;
}

function benchApp(app: string, run: Runner): Row[] {
  const file = appFile(app);
  // Warm-up (page cache, the definitions read once): not counted, but checked to render the same number of objects.
  const counts = [objectCount(run.ferry(file).stdout), objectCount(run.vela(file).stdout)];
  console.error(`vs-vela: ${app}: ${counts[0]} objects from Ferry, ${counts[1]} from vela; ${RUNS} pairs ...`);
  const ferry: Sample[] = [];
  const vela: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      ferry.push(run.ferry(file));
      vela.push(run.vela(file));
    } else {
      vela.push(run.vela(file));
      ferry.push(run.ferry(file));
    }
  }
  return rowsOf(`${basename(app)} (${counts[0]}/${counts[1]} objects)`, ferry, vela);
}

/** --batch generated apps: one Ferry process for the folder; vela, one process per app, on --sample apps scaled up. */
function benchBatch(run: Runner, tmp: string): Row[] {
  const files = generateApps(join(tmp, 'generated'), BATCH);
  // `ferry render <folder>` reads the YAML files of one folder: lay the apps side by side.
  const flat = join(tmp, 'batch');
  mkdirSync(flat);
  for (const f of files) copyFileSync(f, join(flat, `${basename(dirname(f))}.yaml`));
  console.error(`vs-vela: batch of ${BATCH} apps: 1 Ferry process, then vela on ${SAMPLE} of them ...`);
  const ferry = run.ferry(flat);
  const step = BATCH / SAMPLE;
  // Spread over the batch, odd and even apps alike (even ones carry one more trait).
  const sample = Array.from({ length: SAMPLE }, (_, i) => files[Math.min(BATCH - 1, Math.floor(i * step) + (i % 2))]!);
  const vela = sample.map((f) => run.vela(f));
  const scale = BATCH / SAMPLE;
  const sum = (key: 'wallMs' | 'cpuMs') =>
    vela.every((s) => s[key] !== undefined) ? vela.reduce((a, s) => a + s[key]!, 0) * scale : undefined;
  const velaTotal: Sample = { wallMs: sum('wallMs')! };
  const cpu = sum('cpuMs');
  if (cpu !== undefined) velaTotal.cpuMs = cpu;
  const rss = vela.map((s) => s.rssKiB).filter((x): x is number => x !== undefined);
  if (rss.length === vela.length) velaTotal.rssKiB = Math.max(...rss);
  const velaObjects = Math.round(vela.reduce((a, s) => a + objectCount(s.stdout), 0) * scale);
  const work = `${BATCH} apps (${objectCount(ferry.stdout)}/${velaObjects} objects)`;
  return rowsOf(work, [ferry], [velaTotal], 's');
}

function header(v: VelaBinary): string {
  const built = v.built ? `, built here in ${v.built.seconds.toFixed(0)} s` : '';
  return (
    `bench:vs-vela  Ferry (\`node bin/ferry render <app> -o yaml\`) against vela ${v.version} ` +
    `(${v.goVersion}, ${(v.bytes / 2 ** 20).toFixed(0)} MiB${built}: ` +
    `\`vela dry-run -f <app> --offline -d <builtin-defs>\`), fresh processes, medians of ${RUNS} pairs`
  );
}

function main(): number {
  const defs = velaDefinitions();
  if (!defs) {
    console.log("skipped: KubeVela's builtin definitions not found (set FERRY_CONFORMANCE_DIR or pass --defs <dir>)");
    return 0;
  }
  const vela = ensureVela();
  if (!vela.ok) {
    console.log(`skipped: ${vela.skip}`);
    return 0;
  }
  const timed = hasGnuTime();
  const tmp = mkdtempSync(join(tmpdir(), 'ferry-vs-vela-'));
  const stats = join(tmp, 'time.txt');
  // A scratch HOME and a kubeconfig that reaches no cluster (see velaOffline).
  const velaEnv = velaOffline(join(tmp, 'vela-home'));
  const run: Runner = {
    ferry: (app) =>
      measure([process.execPath, join(repoRoot, 'bin', 'ferry'), 'render', app, '-o', 'yaml'], timed, stats),
    vela: (app) => measure(dryRunArgs(vela.value, app, defs), timed, stats, velaEnv),
  };
  try {
    const rows = APPS.flatMap((app) => benchApp(app, run));
    if (BATCH > 0) rows.push(...benchBatch(run, tmp));
    console.log(header(vela.value));
    console.log(`vela command: ${dryRunArgs(vela.value, '<app.yaml>', defs).join(' ')}`);
    if (!timed) console.log(`${GNU_TIME} (GNU time) not found: wall time only, no CPU or peak RSS`);
    console.log('');
    console.log(table(rows));
    console.log('');
    console.log(
      'Objects: Ferry/vela. vela ÷ Ferry above 1: vela takes more.' +
        (BATCH > 0
          ? ` batch: Ferry renders all ${BATCH} apps in one process; vela renders one app per process, run on ` +
            `${SAMPLE} of the ${BATCH} apps and scaled by ${BATCH / SAMPLE} (wall and CPU summed; RSS the largest).`
          : ''),
    );
    return 0;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

process.exitCode = main();
