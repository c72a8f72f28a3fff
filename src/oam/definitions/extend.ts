import { fail, ok, type FerryProblem, type Result } from '../errors.js';
import { loadCueDefinition, loadYamlDefinitions } from './load.js';
import { DefinitionRegistry } from './registry.js';

/** A new registry: `base` plus definitions from files' texts (a repository's), later ones overriding. */
export function extendRegistry(
  base: DefinitionRegistry,
  files: readonly { path: string; text: string }[],
): Result<DefinitionRegistry> {
  if (files.length === 0) return ok(base);
  const registry = new DefinitionRegistry(base.cue).add(base.all());
  const problems: FerryProblem[] = [];
  for (const f of files) {
    const r = f.path.endsWith('.cue')
      ? loadCueDefinition(f.path, f.text, base.cue, 'user')
      : loadYamlDefinitions(f.path, f.text, base.cue, 'user');
    problems.push(...r.problems);
    registry.add(r.definitions);
  }
  return problems.length > 0 ? fail(problems) : ok(registry);
}
