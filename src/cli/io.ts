/** The CLI's edge: streams and exit codes, injected so commands stay testable. */
import { formatProblem, type FerryProblem } from '../oam/errors.js';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;
/** The cluster or the Git server cannot be reached (the message names the address). */
export const EXIT_UNREACHABLE = 3;

export const processIO: CliIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** Every problem is an address that could not be reached (exit 3 rather than invalid input). */
export const unreachable = (problems: FerryProblem[]) =>
  problems.length > 0 && problems.every((p) => p.code === 'Unreachable');

export function reportProblems(io: CliIO, problems: FerryProblem[]): number {
  for (const p of problems) io.err(`${formatProblem(p)}\n`);
  io.err(`${problems.length} error${problems.length === 1 ? '' : 's'}\n`);
  return unreachable(problems) ? EXIT_UNREACHABLE : EXIT_INVALID;
}

/** Render warnings, on stderr, as `ferry render`, `diff` and `apply` print them (the render goes on, exit 0). */
export function reportWarnings(io: CliIO, warnings: FerryProblem[]): void {
  for (const w of warnings) io.err(`warning: ${formatProblem(w)} (--strict makes this an error)\n`);
}

export class UsageError extends Error {}

/**
 * Invalid input found deep in a command (a kubeconfig, a context): reported located, exit 1 (or 3 when all are
 * unreachable).
 */
export class ProblemsError extends Error {
  constructor(readonly problems: FerryProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/** Rows as aligned columns (the last column is not padded), one line each. */
export function formatTable(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}
