/**
 * The Go bridge's own tests (cue-bridge/*_test.go, natively): the standard library definitions can import (and
 * the tool/* packages they cannot), and the heap staying flat over thousands of evaluations.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

describe('the CUE bridge', () => {
  it('passes its Go tests (go test, natively; no benchmarks)', () => {
    const r = spawnSync('go', ['test', '-count=1', '-run', 'Test', '.'], {
      cwd: join(repoRoot, 'cue-bridge'),
      encoding: 'utf8',
      env: { ...process.env, GOTOOLCHAIN: 'local' },
      timeout: 170_000,
    });
    expect(r.error).toBeUndefined();
    expect(`${r.stdout}${r.stderr}`).toMatch(/^ok\s+ferry\.dev\/cue-bridge/m);
    expect(r.status).toBe(0);
  });
});
