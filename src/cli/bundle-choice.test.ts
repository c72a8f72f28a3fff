import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleIsCurrent } from './bundle-choice.js';

const root = mkdtempSync(join(tmpdir(), 'ferry-bundle-'));
const bundle = join(root, 'dist', 'src', 'cli-bundle');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A compiled tree of two modules and a bundle made from them at `builtAt` (seconds). */
function tree(builtAt: number, modulesAt: [number, number]): void {
  mkdirSync(bundle, { recursive: true });
  mkdirSync(join(root, 'dist', 'src', 'cli'), { recursive: true });
  const inputs = ['dist/src/cli/main.js', 'dist/src/cli/render.js'];
  inputs.forEach((f, i) => {
    writeFileSync(join(root, f), '');
    utimesSync(join(root, f), modulesAt[i]!, modulesAt[i]!);
  });
  writeFileSync(join(bundle, 'inputs.json'), JSON.stringify(inputs));
  writeFileSync(join(bundle, 'main.js'), '');
  utimesSync(join(bundle, 'main.js'), builtAt, builtAt);
}

describe('the bundle bin/ferry runs', () => {
  it('is used while no module it was made from is newer', () => {
    tree(2000, [1000, 1500]);
    expect(bundleIsCurrent(bundle, root)).toBe(true);
  });

  it('is not used once any one of them was compiled again (tsc --watch rewrites only what changed)', () => {
    tree(2000, [1000, 2500]);
    expect(bundleIsCurrent(bundle, root)).toBe(false);
  });

  it('is not used when its list of modules is missing or names a module that is gone', () => {
    tree(2000, [1000, 1500]);
    rmSync(join(root, 'dist', 'src', 'cli', 'render.js'));
    expect(bundleIsCurrent(bundle, root)).toBe(false);
    rmSync(join(bundle, 'inputs.json'));
    expect(bundleIsCurrent(bundle, root)).toBe(false);
  });
});
