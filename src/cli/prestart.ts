/**
 * Before anything else loads: which of V8's WebAssembly tiers the CUE engine runs on, and, for the commands
 * that render, the engine's start. It starts on its own thread (reading and compiling the WebAssembly module,
 * the Go runtime's start) while the main thread loads the command's modules, so a one-shot `ferry render`
 * pays for the slower of the two, not for both. Nothing here may fail a command: a path it cannot read is
 * the command's to report.
 */
import { readdirSync, statSync } from 'node:fs';
import v8 from 'node:v8';
import { type Env, ferryEnvironment } from '../config/environment.js';
import { isAppFileName } from './app-file-names.js';
import { tuneForController } from './controller-runtime.js';

/** The commands that load the CUE engine (render, or read definitions); `ferry version` prints its version. */
const RENDERING = new Set(['render', 'def', 'diff', 'apply', 'status', 'serve', 'version']);

/** From this many application files in a folder given to `ferry render`, the optimising tier pays for itself. */
const MANY_APP_FILES = 10;

export type EngineTier = 'baseline' | 'optimizing';

/**
 * The baseline compiler (Liftoff) alone for a command that evaluates a few templates: it starts the engine
 * sooner. The optimising tier (TurboFan) for the controller and for a folder of apps: evaluations run 1.5–2×
 * faster once hot (`npm run bench:engine`). FERRY_WASM_OPTIMIZE decides instead when set.
 * (A folder of apps: an argument naming a folder of 10 or more app files; examples/apps/hello is a folder of one.)
 */
export function engineTier(argv: readonly string[], env?: Env): EngineTier {
  const forced = ferryEnvironment(env).wasmOptimize;
  if (forced !== undefined) return forced ? 'optimizing' : 'baseline';
  const [command, ...rest] = argv.slice(2);
  if (command === 'serve') return 'optimizing';
  if (command === 'render' && rest.some((a) => !a.startsWith('-') && appFiles(a) >= MANY_APP_FILES))
    return 'optimizing';
  return 'baseline';
}

/** The application files in `path` when it is a folder; 0 for anything else, or anything unreadable. */
function appFiles(path: string): number {
  try {
    return statSync(path).isDirectory() ? readdirSync(path).filter(isAppFileName).length : 0;
  } catch {
    return 0;
  }
}

/** V8's settings for the engine, before its thread exists: the tier, lazy validation, gc for the thread. */
export function engineFlags(tier: EngineTier): void {
  if (tier === 'baseline') v8.setFlagsFromString('--liftoff-only');
  // Each function of the engine is validated when first compiled, not all 10 MB of code up front: compiling the
  // module takes ~15 ms instead of ~55. The module is our own build of the Go bridge (scripts/build-cue.mjs).
  v8.setFlagsFromString('--wasm-lazy-validation');
  // The engine's thread then has gc(), to drop the engine file's bytes once compiled.
  v8.setFlagsFromString('--expose-gc');
}

/** Sets the engine's flags (and the controller's, for `serve`); starts the engine for the commands that render. */
export function prestartEngine(argv: readonly string[]): void {
  try {
    const [command, ...rest] = argv.slice(2);
    // The controller's V8 settings apply to every isolate, the engine's thread included: set before it starts.
    if (command === 'serve') tuneForController();
    engineFlags(engineTier(argv));
    if (command === undefined || !RENDERING.has(command) || rest.some((a) => a === '-h' || a === '--help')) return;
    // A failure (e.g. the engine not built) is reported by the command, which awaits the same start.
    import('../oam/cue/wasm-engine.js').then((m) => m.loadWasmEngine()).catch(() => undefined);
  } catch {
    // An environment variable that does not parse: the command refuses to start and names it.
  }
}
