import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CueBudgetExceeded } from './engine.js';
import { GuardedCueEngine } from './guarded-engine.js';
import { findBridgeDir } from './wasm-engine.js';

/** A budget of one second: `len(list.Range(0, 1e8, 1))` takes far longer. */
let cue: GuardedCueEngine;
beforeAll(async () => {
  cue = await GuardedCueEngine.start(findBridgeDir(), { timeoutMs: 1000, memoryBytes: 4096 * 1024 * 1024 });
});

const slow = '"\\(len(list.Range(0, 100000000, 1)))"';
const definition = (meta: string, template: string) =>
  `import "list"\nx: {\n\ttype: "component"\n${meta}}\ntemplate: {\n${template}\n}\n`;
const quick = definition('', '\toutput: {apiVersion: "v1", kind: "ConfigMap"}\n\tparameter: {n: *1 | int}');

describe('the guarded engine past its budget', () => {
  it('reports a definition whose metadata does not load in time as a problem, and keeps working', () => {
    const before = cue.load('before.cue', quick, 'definition').template!;
    const r = cue.load('x.cue', definition(`\tlabels: n: ${slow}\n`, '\tparameter: {}'), 'definition');
    expect(r.template).toBeUndefined();
    expect(r.problems).toEqual([
      {
        message: expect.stringMatching(/^loading the definition took longer than 1 s, its time limit \(raise it/),
        path: [],
        positions: [],
        kind: 'limit',
      },
    ]);
    // The restarted thread replayed the earlier loads: the same template id still evaluates.
    expect(cue.evaluate(before.id, { parameter: {}, context: {}, fields: ['output'] }).values.output).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
    });
  });

  it('throws CueBudgetExceeded for a schema that cannot be read in time; evaluation reports a limit problem', () => {
    const t = cue.load('y.cue', definition('', `\t_n: ${slow}\n\tparameter: {a?: int}`), 'definition').template!;
    expect(() => cue.schema(t.id)).toThrow(CueBudgetExceeded);
    const ev = cue.evaluate(t.id, { parameter: {}, context: {}, fields: ['output'] });
    expect(ev.problems.map((p) => p.kind)).toEqual(['limit']);
    expect(cue.schema(cue.load('z.cue', quick, 'definition').template!.id).properties).toHaveProperty('n');
  });
});

describe('the guarded engine without a usable engine file', () => {
  it('rejects its start with the compile error (the thread waiting for the module is stopped)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-bad-cue-'));
    try {
      writeFileSync(join(dir, 'cue.wasm'), 'not WebAssembly');
      copyFileSync(join(findBridgeDir(), 'wasm_exec.cjs'), join(dir, 'wasm_exec.cjs'));
      await expect(GuardedCueEngine.start(dir)).rejects.toThrow(WebAssembly.CompileError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
