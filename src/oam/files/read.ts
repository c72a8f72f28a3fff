/**
 * Reading the user's files safely: only regular files (never a FIFO, a device such as /dev/zero, or a
 * folder named like a file), the size checked before reading, symbolic-link loops and broken links
 * named as such. Every failure is a located problem, never an exception.
 */
import { lstatSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { ferryEnvironment } from '../../config/environment.js';
import { fail, ok, problem, type FerryProblem, type Result } from '../errors.js';

/** The per-file cap (as `ferry serve` applies to files in Git); FERRY_MAX_FILE_BYTES raises it. */
export function maxFileBytes(): number {
  return ferryEnvironment().maxFileBytes;
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Why `path` cannot be read as a file, or its stats. */
export function checkRegularFile(path: string, limit = maxFileBytes()): Result<Stats> {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    return fail([linkProblem(path, e as NodeJS.ErrnoException)]);
  }
  if (!st.isFile())
    return fail([problem('IO', `is ${kindOf(st)}, not a regular file; only regular files are read`, { file: path })]);
  if (st.size > limit)
    return fail([
      problem(
        'IO',
        `is ${mib(st.size)}; files over ${mib(limit)} are refused (set FERRY_MAX_FILE_BYTES to raise the limit)`,
        { file: path },
      ),
    ]);
  return ok(st);
}

export function readRegularFile(path: string, limit = maxFileBytes()): Result<string> {
  const st = checkRegularFile(path, limit);
  if (!st.ok) return st;
  try {
    return ok(readFileSync(path, 'utf8'));
  } catch (e) {
    return fail([
      problem('IO', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: path }),
    ]);
  }
}

/** ENOENT on a path that is a link means a broken link; ELOOP a loop. */
export function linkProblem(path: string, e: NodeJS.ErrnoException): FerryProblem {
  if (e.code === 'ELOOP') return problem('IO', 'is a symbolic link loop', { file: path });
  if (e.code === 'ENOENT') {
    try {
      if (lstatSync(path).isSymbolicLink())
        return problem('IO', `is a broken symbolic link (to ${readlinkSync(path)})`, { file: path });
    } catch {
      /* not there at all */
    }
    return problem('IO', 'no such file or directory', { file: path });
  }
  return problem('IO', `cannot read: ${e.code ?? e.message}`, { file: path });
}
