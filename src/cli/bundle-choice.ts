/**
 * Whether bin/ferry may run the bundle (dist/src/cli-bundle, scripts/bundle-cli.mjs) rather than the compiled
 * modules: only while no module it was made from is newer than it (after `tsc` alone, or `tsc --watch`, the
 * compiled modules are the current code). Loaded on its own, before either.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** `bundleDir` holds main.js and inputs.json (paths relative to `root`, the installation). */
export function bundleIsCurrent(bundleDir: string, root: string): boolean {
  try {
    const built = statSync(join(bundleDir, 'main.js')).mtimeMs;
    const inputs = JSON.parse(readFileSync(join(bundleDir, 'inputs.json'), 'utf8')) as string[];
    return inputs.length > 0 && inputs.every((f) => statSync(join(root, f)).mtimeMs <= built);
  } catch {
    return false;
  }
}
