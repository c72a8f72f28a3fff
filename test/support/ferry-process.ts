/** Runs bin/ferry as a real process with a deadline and its own peak-RSS report; checks a bad case's outcome. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { repoRoot } from '../integration/helpers.js';
import type { BadCase } from './bad-corpus.js';

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  maxRssKiB: number;
}

const LIMIT_MS = 30_000;

/** Runs bin/ferry with a hard deadline; the process reports its own peak RSS (FERRY_RUSAGE_FILE). */
export function runFerry(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const rusage = join(cwd, `.rusage-${Math.random().toString(36).slice(2)}`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(join(repoRoot, 'bin', 'ferry'), args, {
      cwd,
      env: { ...process.env, FERRY_RUSAGE_FILE: rusage, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS + 5_000);
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      const maxRssKiB = existsSync(rusage) ? Number(readFileSync(rusage, 'utf8')) : NaN;
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, maxRssKiB });
    });
  });
}

export function expectClean(c: BadCase, r: Run): void {
  const signal = r.signal ? ` (${r.signal})` : '';
  const why = `${c.name}: exit ${r.code}${signal} after ${r.ms} ms\n${r.stderr.slice(0, 1500)}`;
  expect(r.signal, why).toBeNull();
  expect(r.ms, why).toBeLessThan(LIMIT_MS);
  expect(r.code, why).toBe(c.exit);
  expect(r.stderr, why).not.toMatch(/internal error/);
  expect(r.stderr, why).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  expect(r.stderr, why).toMatch(c.where);
  if (c.says) expect(r.stderr, why).toMatch(c.says);
  if (c.exit !== 2) expect(r.stdout, why).toBe('');
  expect(r.maxRssKiB, why).toBeLessThan(1024 * 1024);
}
