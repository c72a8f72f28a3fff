import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CueEngine } from '../cue/engine.js';
import { loadWasmEngine } from '../cue/wasm-engine.js';
import { builtinDefinitionsDir } from './builtin.js';
import { readDefinitionIndex, writeDefinitionIndex } from './index-file.js';
import { loadDefinitionDir } from './load.js';
import { DefinitionRegistry } from './registry.js';

const ENGINE = 'engine-build-1';
let cue: CueEngine;
let root: string;
const work = mkdtempSync(join(tmpdir(), 'ferry-index-'));

/** The engine, counting the calls a cold start would make for schemas and annotations. */
function counting(engine: CueEngine): { engine: CueEngine; asked: string[] } {
  const asked: string[] = [];
  const wrapped = Object.create(engine) as CueEngine;
  wrapped.schema = (id) => (asked.push(`schema ${id}`), engine.schema(id));
  wrapped.annotations = (id) => (asked.push(`annotations ${id}`), engine.annotations(id));
  return { engine: wrapped, asked };
}

beforeAll(async () => {
  cue = await loadWasmEngine();
  // A copy of two built-in definitions, so the test can edit one.
  root = join(work, 'definitions');
  for (const f of ['components/webservice.cue', 'traits/scaler.cue']) {
    mkdirSync(join(root, f.split('/')[0]!), { recursive: true });
    copyFileSync(join(builtinDefinitionsDir(), f), join(root, f));
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the definitions index', () => {
  it("holds each definition's parameter schema and patch annotations, as the engine reads them", () => {
    const loaded = loadDefinitionDir(root, cue, 'builtin');
    expect(loaded.problems).toEqual([]);
    const path = join(work, 'index.json');
    writeDefinitionIndex(path, root, loaded.definitions, cue, ENGINE);

    const { engine, asked } = counting(cue);
    const { definitions } = readDefinitionIndex(path, root, engine, ENGINE);
    const registry = new DefinitionRegistry(engine).add(definitions);
    const webservice = registry.get('component', 'webservice')!;
    const scaler = registry.get('trait', 'scaler')!;
    const fresh = (name: string) => loaded.definitions.find((d) => d.name === name)!.templateId;
    expect(registry.schema(webservice)).toEqual(cue.schema(fresh('webservice')));
    expect(registry.schema(webservice).properties?.image).toBeDefined();
    expect(registry.annotations(scaler)).toEqual(cue.annotations(fresh('scaler')));
    // Read from the index: the engine was not asked, and no template was parsed.
    expect(asked).toEqual([]);
  });

  it('stays right when the tree moves, and is not used at all by another build of the engine', () => {
    const loaded = loadDefinitionDir(root, cue, 'builtin');
    const path = join(work, 'index-moved.json');
    writeDefinitionIndex(path, root, loaded.definitions, cue, ENGINE);
    expect(readFileSync(path, 'utf8')).not.toContain(root);
    // The same files in another folder (a copied or moved checkout): positions name the new place.
    const moved = join(work, 'moved');
    for (const f of ['components/webservice.cue', 'traits/scaler.cue']) {
      mkdirSync(join(moved, f.split('/')[0]!), { recursive: true });
      copyFileSync(join(root, f), join(moved, f));
    }
    const scaler = readDefinitionIndex(path, moved, cue, ENGINE).definitions.find((d) => d.name === 'scaler')!;
    const files = new Set(scaler.indexed!.annotations!.fields.map((f) => f.file));
    expect([...files]).toEqual([join(moved, 'traits', 'scaler.cue')]);
    // Written by another engine build: every definition loads the slow way.
    expect(readDefinitionIndex(path, root, cue, 'engine-build-2').definitions).toEqual([]);
  });

  it('takes nothing from the index for a file edited since', () => {
    const loaded = loadDefinitionDir(root, cue, 'builtin');
    const path = join(work, 'index-edited.json');
    writeDefinitionIndex(path, root, loaded.definitions, cue, ENGINE);
    const file = join(root, 'traits', 'scaler.cue');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('replicas: *1 | int', 'replicas: *1 | int\n\t\tpaused?: bool'),
    );

    const { definitions, files } = readDefinitionIndex(path, root, cue, ENGINE);
    expect(definitions.map((d) => d.name)).toEqual(['webservice']);
    expect(files.has(file)).toBe(false);
    // Loaded the slow way, the edited definition's schema is the new one.
    const reloaded = loadDefinitionDir(root, cue, 'builtin', files);
    const scaler = new DefinitionRegistry(cue).add(reloaded.definitions).get('trait', 'scaler')!;
    expect(scaler.indexed).toBeUndefined();
    expect(new DefinitionRegistry(cue).schema(scaler).properties?.paused).toEqual({ type: 'boolean' });
  });
});
