/** A worker thread with its own CUE engine, rendering app files sent by RenderPool. */
import { parentPort, workerData } from 'node:worker_threads';
import { loadWasmEngine } from '../cue/wasm-engine.js';
import { loadRegistry } from '../definitions/builtin.js';
import { parseApplications } from '../model/parse.js';
import { renderApp, type RenderOptions } from './app.js';
import { EvaluationMemo } from './memo.js';
import type { RenderJob, RenderJobResult } from './pool.js';

const { definitionDirs } = workerData as { definitionDirs: string[] };
const cue = await loadWasmEngine();
const registry = loadRegistry(cue, definitionDirs);
const memo = new EvaluationMemo(cue);

function run(job: RenderJob): RenderJobResult {
  if (!registry.ok) return { id: job.id, ok: false, problems: registry.problems };
  const parsed = parseApplications(job.text, job.file);
  if (!parsed.ok) return { id: job.id, ok: false, problems: parsed.problems };
  const apps = [];
  for (const app of parsed.value) {
    const r = renderApp({ app, registry: registry.value, memo, options: job.options as RenderOptions });
    if (!r.ok) return { id: job.id, ok: false, problems: r.problems };
    apps.push(r.value);
  }
  return { id: job.id, ok: true, apps };
}

parentPort!.on('message', (job: RenderJob) => parentPort!.postMessage(run(job)));
parentPort!.postMessage({ ready: true });
