import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineKey } from '../cue/bridge-module.js';
import type { CueEngine } from '../cue/engine.js';
import { findBridgeDir } from '../cue/wasm-engine.js';
import { fail, ok, type Result } from '../errors.js';
import { readDefinitionIndex } from './index-file.js';
import { loadDefinitionDir } from './load.js';
import { DefinitionRegistry } from './registry.js';

/** The repository's definitions/ folder, from src/… or dist/src/…. */
export function builtinDefinitionsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'definitions', 'components'))) return join(dir, 'definitions');
    dir = dirname(dir);
  }
  throw new Error('definitions/ not found next to the Ferry installation');
}

/** build/definitions-index.json, written by `npm run build`. */
export function definitionIndexPath(): string {
  return join(dirname(builtinDefinitionsDir()), 'build', 'definitions-index.json');
}

/** Built-in definitions, then each extra directory in order (later ones override). */
export function loadRegistry(cue: CueEngine, extraDirs: readonly string[] = []): Result<DefinitionRegistry> {
  const registry = new DefinitionRegistry(cue);
  const dir = builtinDefinitionsDir();
  const indexed = readDefinitionIndex(definitionIndexPath(), dir, cue, engineKey(findBridgeDir()));
  registry.add(indexed.definitions);
  const builtin = loadDefinitionDir(dir, cue, 'builtin', indexed.files);
  const problems = [...builtin.problems];
  registry.add(builtin.definitions);
  for (const dir of extraDirs) {
    const r = loadDefinitionDir(dir, cue, 'user');
    problems.push(...r.problems);
    registry.add(r.definitions);
  }
  return problems.length > 0 ? fail(problems) : ok(registry);
}
