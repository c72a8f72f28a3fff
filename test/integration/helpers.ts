import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared conformance data: ../shared beside the repository (or FERRY_CONFORMANCE_DIR). */
export function conformanceDir(): string {
  const dir = process.env.FERRY_CONFORMANCE_DIR ?? join(repoRoot, '..', 'shared', 'conformance', 'kubevela');
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
  const r = spawnSync(join(repoRoot, 'bin', 'ferry'), args, { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
