/**
 * The CUE engine on a worker thread, called synchronously, with a budget per call: an evaluation that
 * runs longer than its time budget, or grows the process by more than its memory budget, is stopped
 * (the thread is terminated and a fresh one replays the loaded templates) and reported as a problem
 * naming the limit and how to raise it. A definition such as `list.Range(0, 1e8)` can then neither
 * hang Ferry nor exhaust the machine.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import {
  CueBudgetExceeded,
  type CueEngine,
  type CueProblem,
  type Evaluation,
  type EvaluateRequest,
  type JsonSchema,
  type LoadedTemplate,
  type PatchAnnotations,
  type TemplateFormat,
} from './engine.js';
import { ferryEnvironment, type Env } from '../../config/environment.js';
import { compileBridge } from './bridge-module.js';

export interface Budget {
  timeoutMs: number;
  /** Growth of the process's resident memory during one call. */
  memoryBytes: number;
}

/** FERRY_EVAL_TIMEOUT (e.g. 30s) and FERRY_EVAL_MEMORY_MIB raise the defaults (10 s, 640 MiB). */
export function budgetFromEnv(env?: Env): Budget {
  const e = ferryEnvironment(env);
  return { timeoutMs: e.evalTimeoutMs, memoryBytes: e.evalMemoryBytes };
}

function threadScript(): string {
  const compiled = new URL('./engine-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return fileURLToPath(compiled);
  return fileURLToPath(new URL('../../../dist/src/oam/cue/engine-thread.js', import.meta.url));
}

type Method = 'load' | 'evaluate' | 'annotations' | 'schema' | 'release' | 'contextFields' | 'ping';

interface Thread {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
}

/**
 * A new engine thread: its worker, the port it answers on, and the flag it wakes the caller with. Given the
 * compiled module, the thread instantiates it; given its promise, the thread starts at once and receives the
 * module when compiled (the compile overlaps the thread's own start).
 */
function spawnThread(dir: string, module: WebAssembly.Module | Promise<WebAssembly.Module>): Thread {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const ready = module instanceof WebAssembly.Module ? { module } : {};
  const worker = new Worker(threadScript(), {
    workerData: { port: port2, flag, dir, ...ready },
    transferList: [port2],
  });
  worker.unref();
  // A failed compile is the starter's to report (startThread): it stops the thread.
  if (!(module instanceof WebAssembly.Module))
    module.then(
      (m) => worker.postMessage({ module: m }),
      () => undefined,
    );
  return { worker, port: port1, flag };
}

async function startThread(
  dir: string,
  module: Promise<WebAssembly.Module>,
): Promise<{ thread: Thread; version: string }> {
  const thread = spawnThread(dir, module);
  const version = await new Promise<string>((res, rej) => {
    thread.port.once('message', (m: { version: string }) => res(m.version));
    thread.worker.once('error', rej);
    module.catch((e: unknown) => {
      void thread.worker.terminate();
      rej(e);
    });
  });
  thread.port.unref();
  return { thread, version };
}

export class GuardedCueEngine implements CueEngine {
  private seq = 0;
  /** Loads and releases in order, replayed into a fresh thread after one was stopped. */
  private readonly journal: { method: 'load' | 'release'; args: unknown[] }[] = [];
  private readonly contextUse = new Map<number, string[] | null>();

  private constructor(
    private thread: Thread,
    readonly version: string,
    private readonly dir: string,
    /** Compiled once: a thread started after a stop instantiates it without compiling again. */
    private readonly module: WebAssembly.Module,
    private readonly budget: Budget,
  ) {}

  static async start(dir: string, budget: Budget = budgetFromEnv()): Promise<GuardedCueEngine> {
    const module = compileBridge(dir);
    const { thread, version } = await startThread(dir, module);
    const engine = new GuardedCueEngine(thread, version, dir, await module, budget);
    engine.ping();
    return engine;
  }

  /**
   * One round trip, outside any budget. A new thread answers its first message a second or more after
   * "ready" (measured: 1–2 s); without this that wait would count against the first definition's budget.
   */
  private ping(): void {
    this.unbounded('ping', []);
  }

  /** A call without the budget (a new thread's first message, the replay of loads); at most 60 s. */
  private unbounded(method: Method, args: unknown[]): void {
    const seq = ++this.seq;
    this.thread.port.postMessage({ seq, method, args });
    const deadline = Date.now() + 60_000;
    while (!receiveMessageOnPort(this.thread.port)) {
      if (Date.now() > deadline) throw new Error(`the CUE engine did not answer "${method}" within 60 s`);
      Atomics.wait(this.thread.flag, 0, seq - 1, 25);
    }
  }

  private call<T>(method: Method, args: unknown[]): T {
    const seq = ++this.seq;
    this.thread.port.postMessage({ seq, method, args });
    const started = Date.now();
    const baseline = process.memoryUsage.rss();
    for (;;) {
      Atomics.wait(this.thread.flag, 0, seq - 1, 25);
      const got = receiveMessageOnPort(this.thread.port);
      if (got) {
        const reply = got.message as { seq: number; ok: boolean; value?: unknown; error?: string };
        if (!reply.ok) throw new Error(reply.error);
        return reply.value as T;
      }
      if (Date.now() - started > this.budget.timeoutMs)
        throw this.stop(
          `took longer than ${this.budget.timeoutMs / 1000} s, its time limit ` +
            '(raise it with FERRY_EVAL_TIMEOUT, e.g. FERRY_EVAL_TIMEOUT=60s)',
        );
      if (process.memoryUsage.rss() - baseline > this.budget.memoryBytes)
        throw this.stop(
          `grew memory by more than ${this.budget.memoryBytes / 1024 / 1024} MiB, its memory limit ` +
            '(raise it with FERRY_EVAL_MEMORY_MIB)',
        );
    }
  }

  /** Terminates the thread and replays the loaded templates into a new one before the next call. */
  private stop(why: string): CueBudgetExceeded {
    const old = this.thread;
    void old.worker.terminate();
    old.port.close();
    this.restartSync();
    return new CueBudgetExceeded(why);
  }

  /** A fresh thread, ready synchronously: the caller blocks until it has replayed every load. */
  private restartSync(): void {
    const { port, flag } = (this.thread = spawnThread(this.dir, this.module));
    // Wait for "ready" (the thread posts it without a flag change), then replay the journal.
    const deadline = Date.now() + 60_000;
    while (!receiveMessageOnPort(port)) {
      if (Date.now() > deadline) throw new Error('the CUE engine did not restart within 60 s');
      Atomics.wait(flag, 0, 0, 20);
    }
    this.ping();
    for (const entry of this.journal) this.unbounded(entry.method, entry.args);
    port.unref();
  }

  load(
    filename: string,
    source: string,
    format: TemplateFormat,
  ): { template?: LoadedTemplate; problems: CueProblem[] } {
    let r: { template?: LoadedTemplate; problems: CueProblem[] };
    try {
      r = this.call<{ template?: LoadedTemplate; problems: CueProblem[] }>('load', [filename, source, format]);
    } catch (e) {
      // A definition file whose metadata block does not evaluate within the budget: nothing was loaded.
      if (!(e instanceof CueBudgetExceeded)) throw e;
      return { problems: [{ message: `loading the definition ${e.message}`, path: [], positions: [], kind: 'limit' }] };
    }
    this.journal.push({ method: 'load', args: [filename, source, format] });
    if (r.template) this.contextUse.set(r.template.id, r.template.contextFields);
    return r;
  }

  evaluate(id: number, req: EvaluateRequest): Evaluation {
    try {
      return this.call<Evaluation>('evaluate', [id, req]);
    } catch (e) {
      if (!(e instanceof CueBudgetExceeded)) throw e;
      return { values: {}, problems: [{ message: `evaluation ${e.message}`, path: [], positions: [], kind: 'limit' }] };
    }
  }

  annotations(id: number): PatchAnnotations {
    return this.call<PatchAnnotations>('annotations', [id]);
  }

  schema(id: number): JsonSchema {
    return this.call<JsonSchema>('schema', [id]);
  }

  release(id: number): void {
    this.call('release', [id]);
    this.journal.push({ method: 'release', args: [id] });
    this.contextUse.delete(id);
  }

  contextFields(id: number): string[] | null {
    return this.contextUse.get(id) ?? null;
  }
}
