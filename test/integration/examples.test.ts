/** Every example renders through the real CLI and matches its golden output. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ferryProcess, repoRoot } from './helpers.js';

const apps = join(repoRoot, 'examples', 'apps');
const cases = readdirSync(apps).flatMap((app) =>
  readdirSync(join(apps, app))
    .filter((f) => /^expected(\.[\w-]+)?\.yaml$/.test(f))
    .map((f) => ({ app, golden: f, env: f.match(/^expected\.([\w-]+)\.yaml$/)?.[1] })),
);

describe('examples/apps', () => {
  it('has at least five apps, each with a golden output', () => {
    expect(new Set(cases.map((c) => c.app)).size).toBeGreaterThanOrEqual(5);
  });

  it.each(cases)('$app $golden', ({ app, golden, env }) => {
    const r = ferryProcess('render', join('examples', 'apps', app), ...(env ? ['--env', env] : []));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(apps, app, golden), 'utf8'));
  });
});
