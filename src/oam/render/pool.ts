/**
 * Renders many app files in parallel: one worker thread per core, each with its
 * own CUE engine (the wasm engine is single-threaded and synchronous).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FerryProblem } from '../errors.js';
import type { RenderedApp, RenderOptions } from './app.js';

export interface RenderJob {
  id: number;
  file: string;
  text: string;
  options: RenderOptions;
}

export type RenderJobResult =
  | { id: number; ok: true; apps: RenderedApp[] }
  | { id: number; ok: false; problems: FerryProblem[] };

interface Slot {
  worker: Worker;
  busy: number;
}

function workerScript(): string {
  const compiled = new URL('./render-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return fileURLToPath(compiled);
  // Running from the TypeScript sources (tests): use the compiled worker.
  return fileURLToPath(new URL('../../../dist/src/oam/render/render-worker.js', import.meta.url));
}

export class RenderPool {
  private nextId = 1;
  private readonly pending = new Map<number, (r: RenderJobResult) => void>();

  private constructor(private readonly slots: Slot[]) {
    for (const slot of slots) {
      slot.worker.on('message', (r: RenderJobResult) => {
        slot.busy--;
        this.pending.get(r.id)?.(r);
        this.pending.delete(r.id);
      });
    }
  }

  static async create(opts: { size?: number; definitionDirs?: string[] } = {}): Promise<RenderPool> {
    const size = Math.max(1, opts.size ?? availableParallelism());
    const slots = await Promise.all(
      Array.from({ length: size }, async () => {
        const worker = new Worker(workerScript(), { workerData: { definitionDirs: opts.definitionDirs ?? [] } });
        await new Promise<void>((res, rej) => {
          worker.once('message', () => res());
          worker.once('error', rej);
        });
        return { worker, busy: 0 };
      }),
    );
    return new RenderPool(slots);
  }

  get size(): number {
    return this.slots.length;
  }

  render(file: string, text: string, options: RenderOptions = {}): Promise<RenderJobResult> {
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    slot.busy++;
    return new Promise((res) => {
      this.pending.set(id, res);
      slot.worker.postMessage({ id, file, text, options } satisfies RenderJob);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
