/**
 * The worker side of GuardedCueEngine: one CUE engine on its own thread (instantiating the module the main
 * thread compiled), answering one request at a time on a MessagePort and waking the caller through a shared flag.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { instantiateWasmEngine } from './wasm-engine.js';

const { port, flag, dir, module } = workerData as {
  port: MessagePort;
  flag: Int32Array;
  dir: string;
  /** The compiled module; absent, it arrives as the first message from the parent (compiled meanwhile). */
  module?: WebAssembly.Module;
};
const compiled =
  module ??
  (await new Promise<WebAssembly.Module>((res) =>
    parentPort!.once('message', (m: { module: WebAssembly.Module }) => res(m.module)),
  ));
const engine = await instantiateWasmEngine(dir, compiled);

type Request = {
  seq: number;
  method: 'load' | 'evaluate' | 'annotations' | 'schema' | 'release' | 'contextFields' | 'ping';
  args: unknown[];
};

port.on('message', (req: Request) => {
  let reply: { seq: number; ok: true; value: unknown } | { seq: number; ok: false; error: string };
  try {
    if (req.method === 'ping') reply = { seq: req.seq, ok: true, value: null };
    else {
      const fn = (engine as unknown as Record<string, (...a: unknown[]) => unknown>)[req.method]!;
      reply = { seq: req.seq, ok: true, value: fn.apply(engine, req.args) };
    }
  } catch (e) {
    reply = { seq: req.seq, ok: false, error: (e as Error).message };
  }
  port.postMessage(reply);
  Atomics.store(flag, 0, req.seq);
  Atomics.notify(flag, 0);
});
port.postMessage({ ready: true, version: engine.version });
