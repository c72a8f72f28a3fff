/**
 * npm run bench:render — renders a generated repository of 1,000 apps and prints
 * cold start (process start to the first rendered app, wasm load included),
 * warm p50/p99 per app, apps per second and peak RSS.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWasmEngine } from '../src/oam/cue/wasm-engine.js';
import { loadRegistry } from '../src/oam/definitions/builtin.js';
import { parseApplications } from '../src/oam/model/parse.js';
import { renderApp } from '../src/oam/render/app.js';
import { EvaluationMemo } from '../src/oam/render/memo.js';
import { RenderPool } from '../src/oam/render/pool.js';
import { generateApps } from './generate-apps.js';

const COUNT = Number(process.env.BENCH_APPS ?? 1000);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function peakRssMiB(): number {
  const m = readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function renderFile(file: string, registry: Parameters<typeof renderApp>[0]['registry'], memo: EvaluationMemo): number {
  const parsed = parseApplications(readFileSync(file, 'utf8'), file);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  let objects = 0;
  for (const app of parsed.value) {
    const r = renderApp({ app, registry, memo });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    objects += r.value.objects.length;
  }
  return objects;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-render-'));
  try {
    const files = generateApps(dir, COUNT);
    // Cold start: a fresh `ferry render` process on one app, start to exit.
    const colds: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'ferry'), 'render', files[i]!, '-o', 'json'], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(r.stderr);
      colds.push(performance.now() - t);
    }
    const coldStart = performance.now();
    const cue = await loadWasmEngine();
    const wasmLoaded = performance.now();
    const registry = loadRegistry(cue);
    if (!registry.ok) throw new Error(JSON.stringify(registry.problems));
    const memo = new EvaluationMemo(cue);
    renderFile(files[0]!, registry.value, memo);
    const firstRendered = performance.now();

    const times: number[] = [];
    let objects = 0;
    const allStart = performance.now();
    for (const file of files) {
      const t0 = performance.now();
      objects += renderFile(file, registry.value, memo);
      times.push(performance.now() - t0);
    }
    const all = performance.now() - allStart;
    // A second pass over unchanged apps: every evaluation comes from the memo.
    const memoStart = performance.now();
    for (const file of files) renderFile(file, registry.value, memo);
    const memoPass = performance.now() - memoStart;
    memo.clear();
    // The same 1,000 apps across one worker thread per core.
    const pool = await RenderPool.create();
    const texts = files.map((f) => readFileSync(f, 'utf8'));
    const parStart = performance.now();
    const results = await Promise.all(files.map((f, i) => pool.render(f, texts[i]!)));
    const parallel = performance.now() - parStart;
    await pool.close();
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0) throw new Error(JSON.stringify(failed[0]));
    const sorted = [...times].sort((a, b) => a - b);
    const fmt = (n: number) => n.toFixed(1);
    console.log(`bench:render  ${COUNT} apps, 3 components + 3-4 traits each, ${objects} objects, CUE ${cue.version}`);
    console.log(
      `cold start (\`ferry render <app>\` process, start to exit, best of 3): ${fmt(Math.min(...colds))} ms  ` +
        `[in this process: wasm load ${fmt(wasmLoaded - coldStart)} ms, ` +
        `definitions + first render ${fmt(firstRendered - wasmLoaded)} ms]`,
    );
    console.log(
      `warm per app: p50 ${fmt(percentile(sorted, 50))} ms, p99 ${fmt(percentile(sorted, 99))} ms, ` +
        `max ${fmt(sorted.at(-1) ?? NaN)} ms`,
    );
    console.log(`all ${COUNT} apps: ${fmt(all / 1000)} s (${fmt((COUNT / all) * 1000)} apps/s)`);
    console.log(
      `all ${COUNT} apps on ${pool.size} worker threads: ${fmt(parallel / 1000)} s ` +
        `(${fmt((COUNT / parallel) * 1000)} apps/s)`,
    );
    console.log(
      `re-render of unchanged apps (memoized): ${fmt(memoPass / 1000)} s (${fmt((COUNT / memoPass) * 1000)} apps/s)`,
    );
    console.log(`peak RSS: ${fmt(peakRssMiB())} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
