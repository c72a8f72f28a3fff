#!/usr/bin/env node
// Writes build/definitions-index.json: the built-in definitions' metadata, parameter schemas and patch
// annotations, so a cold `ferry` parses only the templates it evaluates (see src/oam/definitions/index-file.ts).
import { engineKey } from '../dist/src/oam/cue/bridge-module.js';
import { findBridgeDir, loadWasmEngine } from '../dist/src/oam/cue/wasm-engine.js';
import { builtinDefinitionsDir, definitionIndexPath } from '../dist/src/oam/definitions/builtin.js';
import { writeDefinitionIndex } from '../dist/src/oam/definitions/index-file.js';
import { loadDefinitionDir } from '../dist/src/oam/definitions/load.js';

const cue = await loadWasmEngine();
const dir = builtinDefinitionsDir();
const loaded = loadDefinitionDir(dir, cue, 'builtin');
if (loaded.problems.length > 0) {
  console.error('index-definitions: built-in definitions do not load:');
  for (const p of loaded.problems) console.error(`  ${p.at.file}:${p.at.line}:${p.at.column}: ${p.message}`);
  process.exit(1);
}
writeDefinitionIndex(definitionIndexPath(), dir, loaded.definitions, cue, engineKey(findBridgeDir()));
console.error(`index-definitions: ${loaded.definitions.length} built-in definitions indexed`);
process.exit(0);
