/**
 * The repository as Ferry reads it, below `--path`:
 *
 *   ferry.yaml                 environments and defaults (optional)
 *   apps/<app>/*.yaml          OAM Applications; apps/<app>/definitions/ their own definitions
 *   definitions/*.cue|*.yaml   custom definitions for every app (override the built-ins)
 *
 * Listing a commit reads trees only (blob ids), so finding which apps changed between two commits
 * costs no blob reads; an app's digest covers its files, the shared definitions and ferry.yaml.
 * A folder that cannot be read (escaping link, too many files) is an error of that app alone.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { fail, ok, problem, type FerryProblem, type Result } from '../../oam/errors.js';
import { parseApplications, type SourcedApplication } from '../../oam/model/parse.js';
import { emptyFerryConfig, parseFerryConfig, type FerryConfig } from './environments.js';
import { safePath, type GitSource, type TreeEntry } from './git-source.js';

export interface RepoFile {
  path: string;
  text: string;
}

export interface AppFolder {
  /** The folder name below apps/. */
  name: string;
  path: string;
  entries: TreeEntry[];
  digest: string;
  /** Why the folder could not be listed (escaping link, limits). */
  error?: string;
}

export interface RepoLayout {
  commit: string;
  config: Result<FerryConfig>;
  definitions: RepoFile[];
  definitionsDigest: string;
  apps: AppFolder[];
}

export interface RepoLimits {
  maxFilesPerApp: number;
  maxFileBytes: number;
  maxApps: number;
}

export const DEFAULT_LIMITS: RepoLimits = { maxFilesPerApp: 200, maxFileBytes: 1024 * 1024, maxApps: 5000 };

const digestOf = (parts: string[]) => createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 24);
const isYaml = (p: string) => /\.ya?ml$/.test(p);

/** Listings of app folders by tree id: an unchanged folder is not walked again. */
export type ListingCache = Map<string, Omit<AppFolder, 'digest' | 'name' | 'path'>>;

export async function readLayout(
  source: GitSource,
  commit: string,
  root: string,
  limits: RepoLimits = DEFAULT_LIMITS,
  cache: ListingCache = new Map(),
): Promise<RepoLayout> {
  const base = safePath(root);
  const at = (p: string) => (base ? `${base}/${p}` : p);
  const top = await source.children(commit, base);
  const configEntry = top.find((e) => e.name === 'ferry.yaml' && e.type === 'blob');
  let config: Result<FerryConfig> = ok(emptyFerryConfig());
  if (configEntry)
    config = parseFerryConfig(
      await source.readText({ path: at('ferry.yaml'), oid: configEntry.oid }, limits.maxFileBytes),
      at('ferry.yaml'),
    );
  let definitions: RepoFile[] = [];
  let definitionsError = '';
  try {
    const defEntries = (await source.listFiles(commit, at('definitions'), { maxFiles: limits.maxFilesPerApp })).filter(
      (e) => /\.(cue|ya?ml)$/.test(e.path),
    );
    definitions = await Promise.all(
      defEntries.map(async (e) => ({ path: e.path, text: await source.readText(e, limits.maxFileBytes) })),
    );
    definitionsError = '';
  } catch (e) {
    definitionsError = `${at('definitions')}: ${(e as Error).message}`;
  }
  const definitionsDigest = digestOf([
    configEntry?.oid ?? '',
    definitionsError,
    ...definitions.map((d) => `${d.path}:${digestOf([d.text])}`),
  ]);
  const appsDir = at('apps');
  const folders = (await source.children(commit, appsDir)).filter((e) => e.type !== 'blob').slice(0, limits.maxApps);
  const apps = await Promise.all(
    folders.map(async (f): Promise<AppFolder> => {
      const path = `${appsDir}/${f.name}`;
      let listing = f.type === 'tree' ? cache.get(f.oid) : undefined;
      if (!listing) {
        try {
          listing = { entries: await source.listFiles(commit, path, { maxFiles: limits.maxFilesPerApp }) };
        } catch (e) {
          listing = { entries: [], error: (e as Error).message };
        }
        // Folders with links are listed every time: a link's target may change outside the folder.
        if (f.type === 'tree' && !listing.entries.some((x) => x.viaLink)) cache.set(f.oid, listing);
      }
      const error = listing.error ?? (definitionsError || undefined);
      return {
        name: f.name,
        path,
        entries: listing.entries,
        ...(error ? { error } : {}),
        digest: digestOf([definitionsDigest, error ?? '', ...listing.entries.map((e) => `${e.path}:${e.oid}`)]),
      };
    }),
  );
  return { commit, config, definitions, definitionsDigest, apps };
}

export interface LoadedAppFolder {
  apps: SourcedApplication[];
  /** The folder's own definitions/ files. */
  definitions: RepoFile[];
}

/** Reads and parses one app folder; every problem is located in a repository path. */
export async function loadAppFolder(
  source: GitSource,
  folder: AppFolder,
  limits: RepoLimits = DEFAULT_LIMITS,
): Promise<Result<LoadedAppFolder>> {
  if (folder.error) return fail([problem('IO', folder.error, { file: folder.path })]);
  const problems: FerryProblem[] = [];
  const apps: SourcedApplication[] = [];
  const definitions: RepoFile[] = [];
  const defDir = `${folder.path}/definitions/`;
  for (const entry of folder.entries) {
    let text: string;
    try {
      text = await source.readText(entry, limits.maxFileBytes);
    } catch (e) {
      problems.push(problem('IO', (e as Error).message, { file: entry.path }));
      continue;
    }
    if (entry.path.startsWith(defDir)) {
      if (/\.(cue|ya?ml)$/.test(entry.path)) definitions.push({ path: entry.path, text });
    } else if (
      isYaml(entry.path) &&
      posix.dirname(entry.path) === folder.path &&
      !posix.basename(entry.path).startsWith('expected')
    ) {
      const r = parseApplications(text, entry.path);
      if (r.ok) apps.push(...r.value);
      else problems.push(...r.problems);
    }
  }
  if (problems.length > 0) return fail(problems);
  if (apps.length === 0)
    return fail([
      problem(
        'InvalidApplication',
        'no Application (apiVersion core.oam.dev/v1beta1, kind Application) in this folder',
        { file: folder.path },
      ),
    ]);
  const names = new Map<string, string>();
  for (const a of apps) {
    const prev = names.get(a.app.metadata.name);
    if (prev)
      return fail([
        problem('InvalidApplication', `Application "${a.app.metadata.name}" is also defined in ${prev}`, {
          file: a.source.file,
          line: 1,
          column: 1,
        }),
      ]);
    names.set(a.app.metadata.name, a.source.file);
  }
  return ok({ apps, definitions });
}
