/**
 * Before anything else loads: which of V8's WebAssembly tiers the CUE engine runs on, and, for the commands
 * that render, the engine's start. It starts on its own thread (reading and compiling the WebAssembly module,
 * the Go runtime's start) while the main thread loads the command's modules, so a one-shot `ferry render`
 * pays for the slower of the two, not for both.
 */
import { readdirSync, statSync } from 'node:fs';
import v8 from 'node:v8';
import { type Env, ferryEnvironment } from '../config/environment.js';

const RENDERING = new Set(['render', 'def', 'diff', 'apply', 'serve', 'version']);

/**
 * The baseline compiler (Liftoff) alone for a command that evaluates a few templates: it starts the engine
 * sooner. The optimising tier (TurboFan) for the controller and for a folder of apps: evaluations run 1.5–2.5×
 * faster once hot (`npm run bench:engine`). FERRY_WASM_OPTIMIZE=1 or 0 decides instead.
 * (A folder of apps: 10 or more YAML files in it; examples/apps/hello is a folder of one.)
 */
export function engineTier(argv: readonly string[], env?: Env): 'baseline' | 'optimizing' {
  const forced = ferryEnvironment(env).wasmOptimize;
  if (forced !== undefined) return forced ? 'optimizing' : 'baseline';
  const [command, target] = argv.slice(2);
  if (command === 'serve') return 'optimizing';
  if (command === 'render' && target !== undefined && appFiles(target) >= MANY_APP_FILES) return 'optimizing';
  return 'baseline';
}

/** From this many YAML files in the folder `ferry render` is given, the optimising tier pays for itself. */
const MANY_APP_FILES = 10;

/** The YAML files `ferry render <target>` would read: those of a folder; 1 for a file; 0 when there is none. */
function appFiles(target: string): number {
  const stat = statSync(target, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) return stat ? 1 : 0;
  try {
    return readdirSync(target).filter((n) => /\.ya?ml$/.test(n)).length;
  } catch {
    return 0;
  }
}

/** Sets the tier; starts the engine when argv names a command that renders (its own call gets the same engine). */
export function prestartEngine(argv: readonly string[]): void {
  if (engineTier(argv) === 'baseline') v8.setFlagsFromString('--liftoff-only');
  // Each function of the engine is validated when first compiled, not all 10 MB of code up front: compiling the
  // module takes ~15 ms instead of ~55. The module is our own build of the Go bridge (scripts/build-cue.mjs).
  v8.setFlagsFromString('--wasm-lazy-validation');
  // The engine's thread (created after this) then has gc(), to drop the engine file's bytes once compiled.
  v8.setFlagsFromString('--expose-gc');
  const [command, ...rest] = argv.slice(2);
  if (command === undefined || !RENDERING.has(command) || rest.some((a) => a === '-h' || a === '--help')) return;
  // A failure (e.g. the engine not built) is reported by the command, which awaits the same start.
  import('../oam/cue/wasm-engine.js').then((m) => m.loadWasmEngine()).catch(() => undefined);
}
