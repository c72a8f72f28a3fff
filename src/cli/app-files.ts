/** Finds application files: a file as given, or every YAML file in a folder. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fail, ok, problem, type FerryProblem, type Result } from '../oam/errors.js';
import { linkProblem, readRegularFile } from '../oam/files/read.js';
import { parseApplications, type SourcedApplication } from '../oam/model/parse.js';
import { isAppFileName } from './app-file-names.js';

export interface AppInput {
  apps: SourcedApplication[];
  /** A `definitions/` folder found beside the apps of a folder input. */
  definitionDirs: string[];
}

export function readAppInput(path: string): Result<AppInput> {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch (e) {
    return fail([linkProblem(path, e as NodeJS.ErrnoException)]);
  }
  let files: string[];
  try {
    files = stat.isDirectory()
      ? readdirSync(path)
          .filter(isAppFileName)
          .sort()
          .map((n) => join(path, n))
      : [path];
  } catch (e) {
    return fail([
      problem('IO', `cannot read the folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        file: path,
      }),
    ]);
  }
  const problems: FerryProblem[] = [];
  const apps: SourcedApplication[] = [];
  const named = new Map<string, SourcedApplication>();
  for (const file of files) {
    const text = readRegularFile(file);
    if (!text.ok) {
      problems.push(...text.problems);
      continue;
    }
    const r = parseApplications(text.value, file);
    if (!r.ok) {
      problems.push(...r.problems);
      continue;
    }
    for (const a of r.value) {
      const key = `${a.app.metadata.namespace ?? ''}/${a.app.metadata.name}`;
      const first = named.get(key);
      if (first) {
        const pos = first.source.locate(['metadata', 'name']);
        problems.push(
          problem(
            'InvalidApplication',
            `Application "${a.app.metadata.name}" is declared twice ` +
              `(first in ${first.source.file}:${pos.line}:${pos.column})`,
            { file: a.source.file, ...a.source.locate(['metadata', 'name']), app: a.app.metadata.name },
          ),
        );
      } else named.set(key, a);
      apps.push(a);
    }
  }
  if (problems.length > 0) return fail(problems);
  if (apps.length === 0)
    return fail([
      problem('InvalidApplication', 'no Application (apiVersion core.oam.dev/v1beta1, kind Application) found', {
        file: path,
      }),
    ]);
  const defs = stat.isDirectory() && existsSync(join(path, 'definitions')) ? [join(path, 'definitions')] : [];
  return ok({ apps, definitionDirs: defs });
}
