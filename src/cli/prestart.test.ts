import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { engineTier } from './prestart.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-tier-'));
const file = join(dir, 'app.yaml');
writeFileSync(file, 'kind: Application\n');
// A folder of one app (as examples/apps/hello) and a folder of many.
const one = mkdtempSync(join(tmpdir(), 'ferry-tier-one-'));
writeFileSync(join(one, 'app.yaml'), 'kind: Application\n');
const many = mkdtempSync(join(tmpdir(), 'ferry-tier-many-'));
for (let i = 0; i < 12; i++) writeFileSync(join(many, `app-${i}.yaml`), 'kind: Application\n');
// Nine apps and their golden outputs: the goldens are not apps.
const goldens = mkdtempSync(join(tmpdir(), 'ferry-tier-goldens-'));
for (let i = 0; i < 9; i++) {
  writeFileSync(join(goldens, `app-${i}.yaml`), 'kind: Application\n');
  writeFileSync(join(goldens, `expected-${i}.yaml`), 'kind: Deployment\n');
}
afterAll(() => {
  for (const d of [dir, one, many, goldens]) rmSync(d, { recursive: true, force: true });
});

const tier = (args: string[], env: Record<string, string> = {}) => engineTier(['node', 'ferry', ...args], env);

describe("the CUE engine's WebAssembly tier", () => {
  it('is the baseline compiler for one-shot commands on one app', () => {
    expect(tier(['render', file])).toBe('baseline');
    expect(tier(['render', one])).toBe('baseline');
    expect(tier(['render', goldens])).toBe('baseline');
    // Not a folder, or not readable: the command reports it; the tier is the baseline's.
    expect(tier(['render', join(file, 'below-a-file')])).toBe('baseline');
    expect(tier(['render', join(dir, 'missing.yaml')])).toBe('baseline');
    expect(tier(['diff', file])).toBe('baseline');
    expect(tier(['def', 'list'])).toBe('baseline');
    expect(tier([])).toBe('baseline');
  });

  it('is the optimising compiler for the controller and for a folder of apps', () => {
    expect(tier(['serve'])).toBe('optimizing');
    expect(tier(['render', many])).toBe('optimizing');
    expect(tier(['render', '-o', 'json', many])).toBe('optimizing');
  });

  it('is what FERRY_WASM_OPTIMIZE says when it is set', () => {
    expect(tier(['render', file], { FERRY_WASM_OPTIMIZE: '1' })).toBe('optimizing');
    expect(tier(['render', file], { FERRY_WASM_OPTIMIZE: 'yes' })).toBe('optimizing');
    expect(tier(['serve'], { FERRY_WASM_OPTIMIZE: '0' })).toBe('baseline');
  });
});
