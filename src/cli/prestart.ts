/**
 * The commands that render start the CUE engine before anything else loads: it starts on its own thread
 * (reading and compiling the WebAssembly module, the Go runtime's start) while the main thread loads the
 * command's modules, so a one-shot `ferry render` pays for the slower of the two, not for both.
 */
const RENDERING = new Set(['render', 'def', 'diff', 'apply', 'serve', 'version']);

/** Starts the engine when argv names a command that renders; the command's own call gets the same engine. */
export function prestartEngine(argv: readonly string[]): void {
  const [command, ...rest] = argv.slice(2);
  if (command === undefined || !RENDERING.has(command) || rest.some((a) => a === '-h' || a === '--help')) return;
  // A failure (e.g. the engine not built) is reported by the command, which awaits the same start.
  import('../oam/cue/wasm-engine.js').then((m) => m.loadWasmEngine()).catch(() => undefined);
}
