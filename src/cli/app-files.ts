/** Finds application files: a file as given, or every YAML file in a folder. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fail, ok, problem, type FerryProblem, type Result } from '../oam/errors.js';
import { parseApplications, type SourcedApplication } from '../oam/model/parse.js';

export interface AppInput {
  apps: SourcedApplication[];
  /** A `definitions/` folder found beside the apps of a folder input. */
  definitionDirs: string[];
}

export function readAppInput(path: string): Result<AppInput> {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return fail([problem('IO', 'no such file or directory', { file: path })]);
  }
  const files = stat.isDirectory()
    ? readdirSync(path).filter((n) => ['.yaml', '.yml'].includes(extname(n)) && !n.startsWith('expected')).sort().map((n) => join(path, n))
    : [path];
  const problems: FerryProblem[] = [];
  const apps: SourcedApplication[] = [];
  for (const file of files) {
    const r = parseApplications(readFileSync(file, 'utf8'), file);
    if (!r.ok) problems.push(...r.problems);
    else apps.push(...r.value);
  }
  if (problems.length > 0) return fail(problems);
  if (apps.length === 0) return fail([problem('InvalidApplication', 'no Application (apiVersion core.oam.dev/v1beta1, kind Application) found', { file: path })]);
  const defs = stat.isDirectory() && existsSync(join(path, 'definitions')) ? [join(path, 'definitions')] : [];
  return ok({ apps, definitionDirs: defs });
}
