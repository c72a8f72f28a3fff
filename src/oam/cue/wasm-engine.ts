/**
 * Adapter: loads the CUE bridge (cuelang.org/go compiled to WebAssembly by
 * scripts/build-cue.mjs) into this process and exposes it as a CueEngine.
 */
import { existsSync } from 'node:fs';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { ferryEnvironment } from '../../config/environment.js';
import { compileBridge } from './bridge-module.js';
import type {
  CueEngine,
  CueProblem,
  Evaluation,
  EvaluateRequest,
  JsonSchema,
  LoadedTemplate,
  PatchAnnotations,
  TemplateFormat,
} from './engine.js';

interface BridgeApi {
  version: string;
  load(req: string): string;
  evaluate(req: string): string;
  annotations(req: string): string;
  schema(req: string): string;
  release(req: string): string;
}

interface GoRuntime {
  importObject: WebAssembly.Imports;
  env: Record<string, string>;
  run(instance: WebAssembly.Instance): Promise<void>;
}

/** Finds build/cue/ from the source tree (src/…) or the compiled tree (dist/src/…). */
export function findBridgeDir(): string {
  const configured = ferryEnvironment().cueDir;
  // FERRY_CUE_DIR without cue.wasm is refused when ferry starts (src/config/environment.ts).
  if (configured) return configured;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'build', 'cue');
    if (existsSync(join(candidate, 'cue.wasm'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('the CUE engine is not built: run `npm run build` (needs Go) to create build/cue/cue.wasm');
}

let shared: Promise<CueEngine> | undefined;

/**
 * Loads the engine once per process (per thread). On the main thread it runs on a worker thread with a
 * time and memory budget per evaluation (GuardedCueEngine); on a worker thread (RenderPool) in place.
 * FERRY_CUE_IN_PROCESS=1 runs it in place on the main thread too (no budget).
 */
export function loadWasmEngine(): Promise<CueEngine> {
  shared ??=
    isMainThread && !ferryEnvironment().cueInProcess
      ? import('./guarded-engine.js').then((m) => m.GuardedCueEngine.start(findBridgeDir()))
      : instantiateWasmEngine(findBridgeDir());
  return shared;
}

/** The CUE engine in this thread: the wasm module (compiled here unless given) instantiated here. */
export async function instantiateWasmEngine(dir: string, compiled?: WebAssembly.Module): Promise<CueEngine> {
  const g = globalThis as Record<string, unknown>;
  // wasm_exec.js writes Go's stderr through globalThis.fs when it exists.
  g.fs ??= fs;
  const require = createRequire(import.meta.url);
  require(join(dir, 'wasm_exec.cjs'));
  const GoClass = g.Go as new () => GoRuntime;
  const goRuntime = new GoClass();
  goRuntime.env = { GOGC: '200' };
  const module = compiled ?? (await compileBridge(dir));
  const instance = await WebAssembly.instantiate(module, goRuntime.importObject);
  const ready = new Promise<void>((res) => {
    g.ferryCueReady = res;
  });
  void goRuntime.run(instance);
  await ready;
  return new WasmCueEngine(g.ferryCue as BridgeApi);
}

class WasmCueEngine implements CueEngine {
  private readonly contextUse = new Map<number, string[] | null>();

  constructor(private readonly api: BridgeApi) {}

  get version(): string {
    return this.api.version;
  }

  private call<T>(fn: (req: string) => string, req: unknown): T {
    const out = JSON.parse(fn(JSON.stringify(req))) as T & { fatal?: string };
    if (out.fatal) throw new Error(`CUE bridge: ${out.fatal}`);
    return out;
  }

  load(
    filename: string,
    source: string,
    format: TemplateFormat,
  ): { template?: LoadedTemplate; problems: CueProblem[] } {
    const r = this.call<{
      id?: number;
      name?: string;
      meta?: unknown;
      contextFields: string[] | null;
      problems: CueProblem[];
    }>(this.api.load, { filename, source, format });
    if (r.id === undefined) return { problems: r.problems };
    this.contextUse.set(r.id, r.contextFields);
    return { template: { id: r.id, name: r.name, meta: r.meta, contextFields: r.contextFields }, problems: r.problems };
  }

  evaluate(id: number, req: EvaluateRequest): Evaluation {
    return this.call<Evaluation>(this.api.evaluate, { id, ...req });
  }

  annotations(id: number): PatchAnnotations {
    return this.call<PatchAnnotations>(this.api.annotations, { id });
  }

  schema(id: number): JsonSchema {
    return this.call<{ schema: JsonSchema }>(this.api.schema, { id }).schema;
  }

  release(id: number): void {
    this.call(this.api.release, { id });
    this.contextUse.delete(id);
  }

  contextFields(id: number): string[] | null {
    return this.contextUse.get(id) ?? null;
  }
}
