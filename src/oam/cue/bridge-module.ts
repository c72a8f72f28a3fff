/** The CUE bridge's WebAssembly module (build/cue/cue.wasm), compiled once per process and shared by its threads. */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';

/**
 * The engine's WebAssembly module, compiled (V8 compiles on its own background threads). The module keeps its
 * own copy of the file's bytes: where the process allows gc (bin/ferry does), the 18 MB read are collected
 * at once rather than carried through a one-shot command's peak.
 */
export async function compileBridge(dir: string): Promise<WebAssembly.Module> {
  // readFile's Buffer owns a plain ArrayBuffer (never a shared one); no copy.
  const module = await WebAssembly.compile((await readFile(join(dir, 'cue.wasm'))) as Uint8Array<ArrayBuffer>);
  collectGarbage();
  return module;
}

/** A full collection, where --expose-gc was set before this context (a worker's) or any later one was made. */
function collectGarbage(): void {
  const gc =
    (globalThis as { gc?: () => void }).gc ??
    (runInNewContext('typeof gc === "function" ? gc : undefined') as (() => void) | undefined);
  gc?.();
}

/** The engine build's key (scripts/build-cue.mjs: its sources and Go version), or "" when not recorded. */
export function engineKey(dir: string): string {
  try {
    return readFileSync(join(dir, 'cue.key'), 'utf8').trim();
  } catch {
    return '';
  }
}
