/**
 * KubeVela's own test data (../shared/conformance/kubevela), read at test time:
 * every trait-patch case and the dry-run golden pair, through Ferry's engine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformanceDir, ferry, repoRoot } from './helpers.js';

const NON_CONCRETE_BASE =
  'base holds a non-concrete value (value: string); ' +
  'a real render exports context.output first and fails, as KubeVela does';

/** Cases that are out of scope, with the reason (the data's SKIPPED.md agrees). */
const OUT_OF_SCOPE: Record<string, string> = {
  '009': NON_CONCRETE_BASE,
  '010': NON_CONCRETE_BASE,
  '011': NON_CONCRETE_BASE,
  '012': NON_CONCRETE_BASE,
};

const dir = conformanceDir();
const index = JSON.parse(readFileSync(join(dir, 'patch-cases', 'index.json'), 'utf8')) as {
  n3: string;
  short: string;
  runnable: boolean;
}[];

describe('KubeVela trait-patch cases', () => {
  it('every case is run or listed as out of scope', () => {
    const runnable = readdirSync(join(dir, 'patch-cases', 'run')).sort();
    for (const c of index)
      expect(runnable.includes(c.n3) || c.n3 in OUT_OF_SCOPE, `case ${c.n3}-${c.short}`).toBe(true);
    const skipped = readFileSync(join(dir, 'patch-cases', 'SKIPPED.md'), 'utf8');
    for (const n of Object.keys(OUT_OF_SCOPE)) expect(skipped).toContain(`**${n}-`);
  });

  it.each(
    index.filter((c) => existsSync(join(dir, 'patch-cases', 'run', c.n3))).map((c) => [`${c.n3}-${c.short}`, c.n3]),
  )('%s', async (_name, n3) => {
    const run = join(dir, 'patch-cases', 'run', n3);
    const expected = JSON.parse(readFileSync(join(run, 'expected.json'), 'utf8')) as Record<string, unknown>;
    const r = await ferry('render', join(run, 'app.yaml'), '--definitions', join(run, 'defs'), '-o', 'json');
    if (expected.expectError === true) {
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/conformance-(base|patch)\.cue:\d+:\d+/);
      return;
    }
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const widgets = (JSON.parse(r.stdout) as { kind: string; metadata: { name: string }; spec: unknown }[]).filter(
      (o) => o.kind === 'Widget' && o.metadata.name === 'w',
    );
    expect(widgets).toHaveLength(1);
    expect(widgets[0]!.spec).toEqual(expected);
  });
});

describe('KubeVela dry-run golden', () => {
  const golden = join(dir, 'dryrun-golden');
  const expected = JSON.parse(readFileSync(join(golden, 'expected.json'), 'utf8')) as {
    metadata: { labels: Record<string, string> };
  }[];
  const withoutRevision = (objs: { metadata: { labels: Record<string, string> } }[]) =>
    objs.map((o) => ({
      ...o,
      metadata: {
        ...o.metadata,
        labels: Object.fromEntries(Object.entries(o.metadata.labels).filter(([k]) => k !== 'app.oam.dev/appRevision')),
      },
    }));

  it.each(['defs', 'defs-cue'])('renders the golden objects and labels with %s', async (defs) => {
    const r = await ferry('render', join(golden, 'app.yaml'), '--definitions', join(golden, defs), '-o', 'json');
    // KubeVela's test app passes two properties its definition does not declare; KubeVela ignores them, Ferry warns.
    expect(
      r.stderr
        .trimEnd()
        .split('\n')
        .map((l) => l.replace(/^warning: .*app\.yaml:(\d+:\d+): .*unknown parameter "(\w+)".*$/, '$1 $2')),
    ).toEqual(['14:16 lives', '15:18 enemies']);
    const got = JSON.parse(r.stdout) as { metadata: { labels: Record<string, string> } }[];
    for (const o of got) expect(typeof o.metadata.labels['app.oam.dev/appRevision']).toBe('string');
    expect(withoutRevision(got)).toEqual(withoutRevision(expected));
  });
});

describe('the shared conformance runner', () => {
  it('passes every case through ./bin/ferry', () => {
    const out = execFileSync('bash', [join(dir, 'run.sh'), repoRoot], { encoding: 'utf8', timeout: 170_000 });
    const m = out.match(/^conformance: (\d+) passed, (\d+) failed$/m);
    expect(m, out).not.toBeNull();
    expect(out.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(Number(m![2])).toBe(0);
    expect(Number(m![1])).toBeGreaterThanOrEqual(26);
  });
});
