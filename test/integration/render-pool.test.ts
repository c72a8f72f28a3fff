/** Rendering on worker threads gives exactly what rendering in-process gives. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RenderPool } from '../../src/oam/render/pool.js';
import { ferry, repoRoot } from './helpers.js';

let pool: RenderPool;
beforeAll(async () => {
  pool = await RenderPool.create({ size: 2 });
});
afterAll(async () => {
  await pool.close();
});

describe('RenderPool', () => {
  it('renders every example like the CLI does', async () => {
    const apps = readdirSync(join(repoRoot, 'examples', 'apps')).filter((a) => a !== 'custom-definition');
    const results = await Promise.all(
      apps.map((a) => {
        const f = join(repoRoot, 'examples', 'apps', a, 'app.yaml');
        return pool.render(f, readFileSync(f, 'utf8'));
      }),
    );
    for (const [i, app] of apps.entries()) {
      const r = results[i]!;
      expect(r.ok, app).toBe(true);
      const cli = await ferry('render', join(repoRoot, 'examples', 'apps', app, 'app.yaml'), '-o', 'json');
      expect(r.ok && r.apps.flatMap((x) => x.objects)).toEqual(JSON.parse(cli.stdout));
    }
  });

  it('returns located problems for a bad app', async () => {
    const f = join(repoRoot, 'test', 'fixtures', 'bad', 'duplicate.yaml');
    const r = await pool.render(f, readFileSync(f, 'utf8'));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems[0]).toMatchObject({ code: 'DuplicateComponent', at: { line: 10, column: 7 } });
  });
});
