/**
 * Bad input never crashes, hangs or passes: every case of the corpus (test/support/bad-corpus.ts) runs
 * as a real `ferry` process and must exit with its documented code, name its place, print no stack
 * trace and stay within 30 s and 1 GiB (peak RSS reported by the process itself).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { caseRun, offlineCases, writeCase } from '../support/bad-corpus.js';
import { expectClean, runFerry } from '../support/ferry-process.js';

const root = mkdtempSync(join(tmpdir(), 'ferry-bad-corpus-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

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
    expect(new Set(cases.map((c) => c.category))).toEqual(
      new Set(['yaml', 'application', 'parameters', 'definitions', 'files', 'flags', 'records', 'ferry.yaml']),
    );
  });

  it.concurrent.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = writeCase(root, c);
    const { args, env } = caseRun(c, dir);
    const r = await slot(() => runFerry(args, dir, env));
    expectClean(c, r);
  });
});
