/**
 * npm run bench:engine [-- --runs 300]: the cost of one CUE evaluation in Ferry's WebAssembly engine against the
 * same Go bridge compiled natively, on the same evaluations (cue-bridge/testdata/evaluations.json). Native figures
 * come from `go test -bench Evaluate` in cue-bridge/ (skipped with a message when Go is absent); the wasm figures
 * from fresh Node processes, once with V8's baseline compiler only (Liftoff, as one-shot commands run) and once
 * with its optimising tier (TurboFan, as `ferry serve` runs). Medians per evaluation after a warm-up; the gap
 * tells how far the evaluator itself can go in wasm.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findBridgeDir, instantiateWasmEngine } from '../src/oam/cue/wasm-engine.js';
import { median } from './stats.js';

interface Evaluation {
  name: string;
  definition: string;
  parameter: unknown;
  context: unknown;
  fields: string[];
  directives?: boolean;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bridge = join(repoRoot, 'cue-bridge');
const cases = JSON.parse(readFileSync(join(bridge, 'testdata', 'evaluations.json'), 'utf8')) as Evaluation[];
const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '300' }, child: { type: 'string' } },
});
const RUNS = Number(args.runs);

/** The evaluations of one app of bench/generate-apps.ts (3 components, 9 or 10 traits: labels on every other web). */
const GENERATED_APP: Record<string, number> = {
  webservice: 1,
  worker: 1,
  'cron-task': 1,
  'scaler-trait': 2,
  'env-trait': 1,
  'gateway-trait': 1,
  'labels-trait': 1.5,
  'resource-trait': 2,
  'sidecar-trait': 1,
  'annotations-trait': 1,
};

/** In a child process: µs per evaluation for each case, on this process's V8 tiers. */
async function measureWasm(): Promise<Record<string, number>> {
  const cue = await instantiateWasmEngine(findBridgeDir());
  const out: Record<string, number> = {};
  for (const c of cases) {
    const file = join(repoRoot, c.definition);
    const { template, problems } = cue.load(file, readFileSync(file, 'utf8'), 'definition');
    if (!template) throw new Error(`${c.definition}: ${JSON.stringify(problems)}`);
    const req = { parameter: c.parameter, context: c.context, fields: c.fields, directives: c.directives === true };
    const first = cue.evaluate(template.id, req);
    if (first.problems.length > 0) throw new Error(`${c.name}: ${JSON.stringify(first.problems)}`);
    for (let i = 0; i < 30; i++) cue.evaluate(template.id, req);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      cue.evaluate(template.id, req);
      times.push((performance.now() - t) * 1000);
    }
    out[c.name] = median(times);
  }
  return out;
}

/** µs per evaluation natively, from `go test -bench`; undefined (with the reason printed) without Go. */
function measureNative(): Record<string, number> | undefined {
  const r = spawnSync(
    'go',
    ['test', '-run', '^$', '-bench', 'Evaluate', '-benchtime', `${RUNS}x`, '-count', '3', '.'],
    {
      cwd: bridge,
      encoding: 'utf8',
      env: { ...process.env, GOTOOLCHAIN: 'local' },
    },
  );
  if (r.error) {
    console.log(
      `native: skipped (${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no Go on PATH' : r.error})`,
    );
    return undefined;
  }
  if (r.status !== 0) throw new Error(`go test -bench failed:\n${r.stdout}${r.stderr}`);
  const runs = new Map<string, number[]>();
  for (const m of r.stdout.matchAll(/^BenchmarkEvaluate\/(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns\/op/gm))
    runs.set(m[1]!, [...(runs.get(m[1]!) ?? []), Number(m[2]) / 1000]);
  return Object.fromEntries([...runs].map(([k, v]) => [k, median(v)]));
}

function wasmInChild(nodeFlags: string[]): Record<string, number> {
  const r = spawnSync(
    process.execPath,
    [...nodeFlags, fileURLToPath(import.meta.url), '--child', '1', '--runs', String(RUNS)],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`wasm measurement failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, number>;
}

async function main(): Promise<void> {
  if (args.child) {
    process.stdout.write(JSON.stringify(await measureWasm()));
    process.exit(0);
  }
  const native = measureNative();
  const liftoff = wasmInChild(['--liftoff-only']);
  const tiered = wasmInChild([]);
  const ms = (us: number | undefined) => (us === undefined ? '-' : `${(us / 1000).toFixed(2)} ms`);
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? '-' : `${(a / b).toFixed(1)}×`;
  console.log(
    `bench:engine  one CUE evaluation, median of ${RUNS} after a warm-up (cue-bridge/testdata/evaluations.json)\n`,
  );
  console.log(
    '| evaluation | native Go | wasm, Liftoff only | wasm, TurboFan | Liftoff ÷ native | TurboFan ÷ native |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const c of cases) {
    const n = native?.[c.name];
    const l = liftoff[c.name];
    const t = tiered[c.name];
    console.log(`| ${c.name} | ${ms(n)} | ${ms(l)} | ${ms(t)} | ${ratio(l, n)} | ${ratio(t, n)} |`);
  }
  const app = (per: Record<string, number> | undefined) =>
    per && Object.entries(GENERATED_APP).reduce((sum, [name, n]) => sum + n * (per[name] ?? NaN), 0);
  const [n, l, t] = [app(native), app(liftoff), app(tiered)];
  console.log(
    `| **one generated app** (their sum) | ${ms(n)} | ${ms(l)} | ${ms(t)} | ${ratio(l, n)} | ${ratio(t, n)} |`,
  );
  console.log(
    '\nOne generated app is what bench/generate-apps.ts writes (3 components, 9–10 traits): the evaluator alone, ' +
      'before patching and output.',
  );
}

await main();
