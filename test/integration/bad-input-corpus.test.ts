/**
 * Bad input never crashes, hangs or passes: every case of the corpus (test/support/bad-corpus.ts) runs
 * as a real `ferry` process and must exit with its documented code, name its place, print no stack
 * trace and stay within 30 s and 1 GiB (peak RSS reported by the process itself).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { offlineCases, writeCase, type BadCase } from '../support/bad-corpus.js';
import { repoRoot } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'ferry-bad-corpus-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

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
    const child = spawn(join(repoRoot, 'bin', 'ferry'), args, { cwd, env: { ...process.env, FERRY_RUSAGE_FILE: rusage, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const why = `${c.name}: exit ${r.code}${r.signal ? ` (${r.signal})` : ''} after ${r.ms} ms\n${r.stderr.slice(0, 1500)}`;
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

const cases = offlineCases();

/** At most two ferry processes at once (two cores). */
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((res) => waiting.push(res));
  running++;
  try {
    return await f();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

describe('bad-input corpus (offline)', () => {
  it('has at least 130 offline cases across every category', () => {
    expect(cases.length).toBeGreaterThanOrEqual(130);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(new Set(cases.map((c) => c.category))).toEqual(new Set(['yaml', 'application', 'parameters', 'definitions', 'files', 'flags', 'ferry.yaml']));
  });

  it.concurrent.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = writeCase(root, c);
    const r = await slot(() => runFerry(c.args.map((a) => a.replaceAll('$DIR', dir)), dir));
    expectClean(c, r);
  });
});
