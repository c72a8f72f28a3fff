import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The shared conformance data: FERRY_CONFORMANCE_DIR, or ../shared beside the repository, or beside
 * the repository this checkout was cloned from (a clone of a local checkout made elsewhere, as CI does).
 */
export function conformanceDir(): string {
  if (process.env.FERRY_CONFORMANCE_DIR) return found(process.env.FERRY_CONFORMANCE_DIR);
  const beside = (root: string) => join(root, '..', 'shared', 'conformance', 'kubevela');
  if (existsSync(beside(repoRoot))) return beside(repoRoot);
  const origin = spawnSync('git', ['config', '--get', 'remote.origin.url'], { cwd: repoRoot, encoding: 'utf8' })
    .stdout.trim()
    .replace(/^file:\/\//, '');
  if (origin.startsWith('/') && existsSync(beside(origin))) return beside(origin);
  return found(beside(repoRoot));
}

function found(dir: string): string {
  if (!existsSync(dir)) throw new Error(`conformance data not found at ${dir} (set FERRY_CONFORMANCE_DIR)`);
  return dir;
}

/** Runs the CLI in this process (one CUE engine for the whole test file). */
export async function ferry(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'ferry', ...args], { out: (t) => (stdout += t), err: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** Runs ./bin/ferry as a real process. */
export function ferryProcess(...args: string[]): { code: number; stdout: string; stderr: string } {
  return ferryProcessWith({}, ...args);
}

/** Runs ./bin/ferry as a real process with these environment variables added. */
export function ferryProcessWith(
  env: Record<string, string>,
  ...args: string[]
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(join(repoRoot, 'bin', 'ferry'), args, {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
