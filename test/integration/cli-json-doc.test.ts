/**
 * docs/cli.md's "JSON output" tables stay equal to the code: for `ferry status -o json` (StateSummary,
 * src/gitops/store/state-summary.ts) and `ferry rollout status -o json` (CanaryProgress,
 * src/traits/canary/progress.ts), every field the types declare, nested ones as `traits[].commit`, is
 * documented with its type, and nothing else is. The TypeScript checker reads the types; summaries built by
 * the functions the controller and `ferry status` use carry no key the table lacks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { ReconcileContext } from '../../src/gitops/reconcile/machine.js';
import { newRelease, summaryOf } from '../../src/gitops/reconcile/release.js';
import { listStates, writeState } from '../../src/gitops/store/release-store.js';
import { MemoryCluster } from '../support/memory-cluster.js';
import { repoRoot } from './helpers.js';

const doc = readFileSync(join(repoRoot, 'docs', 'cli.md'), 'utf8').split('\n');

/** The rows (field, type) of the table under a `### ` heading. */
function documented(heading: string): Map<string, string> {
  const start = doc.indexOf(`### ${heading}`);
  expect(start, `docs/cli.md has a "### ${heading}" section`).toBeGreaterThanOrEqual(0);
  const header = doc.findIndex((l, i) => i > start && l.startsWith('| field | type | meaning |'));
  const rows = new Map<string, string>();
  for (const line of doc.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [field, type] = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replaceAll('\\|', '|'));
    rows.set(field!.replace(/^`|`$/g, ''), type!);
  }
  return rows;
}

const program = ts.createProgram(
  [join(repoRoot, 'src/gitops/store/state-summary.ts'), join(repoRoot, 'src/traits/canary/progress.ts')],
  { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, types: [] },
);
const checker = program.getTypeChecker();

function declared(file: string, name: string): { type: ts.Type; at: ts.Node } {
  const source = program.getSourceFile(join(repoRoot, file))!;
  const decl = source.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === name);
  expect(decl, `${file} declares ${name}`).toBeDefined();
  return { type: checker.getTypeAtLocation((decl as ts.InterfaceDeclaration).name), at: decl! };
}

/**
 * Every field of a type as the docs name and type it: `string`, `number`, `boolean`, `JSON` (unknown),
 * `one of \`a\`, \`b\`` (string literals), `array` (of objects: their fields follow as `name[].field`);
 * `, optional` when it may be absent.
 */
function fieldsOf(type: ts.Type, at: ts.Node, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const prop of checker.getPropertiesOfType(type)) {
    const name = `${prefix}${prop.name}`;
    const raw = checker.getTypeOfSymbolAtLocation(prop, at);
    const t = checker.getNonNullableType(raw);
    const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0 ? ', optional' : '';
    if (checker.isArrayType(t)) {
      out.set(name, `array${optional}`);
      const element = checker.getTypeArguments(t as ts.TypeReference)[0]!;
      for (const [k, v] of fieldsOf(element, at, `${name}[].`)) out.set(k, v);
    } else if (t.isUnion() && t.types.every((u) => u.isStringLiteral()))
      out.set(name, `one of ${t.types.map((u) => `\`${(u as ts.StringLiteralType).value}\``).join(', ')}${optional}`);
    else if (raw.flags & ts.TypeFlags.Unknown) out.set(name, `JSON${optional}`);
    else if (
      t.flags & ts.TypeFlags.Object &&
      checker.getPropertiesOfType(t).length > 0 &&
      !t.getCallSignatures().length
    ) {
      // A nested object: `object`, then each of its fields.
      out.set(name, `object${optional}`);
      for (const [k, v] of fieldsOf(t, at, `${name}.`)) out.set(k, v);
    } else out.set(name, `${checker.typeToString(t)}${optional}`);
  }
  return out;
}

/** A `one of` type as a set (the docs may order the values as they read best). */
const canonical = (type: string) =>
  type.startsWith('one of ') ? type.replace(/`[^`]+`(, `[^`]+`)*/, (v) => v.split(', ').sort().join(', ')) : type;
const byName = (m: Map<string, string>) =>
  Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));

describe('docs/cli.md: JSON output', () => {
  it.each([
    ['`ferry status -o json`', 'src/gitops/store/state-summary.ts', 'StateSummary'],
    ['`ferry rollout status -o json`', 'src/traits/canary/progress.ts', 'CanaryProgress'],
  ])('%s: every field of %s#%s, with its type', (heading, file, name) => {
    const { type, at } = declared(file, name);
    const code = fieldsOf(type, at);
    expect(code.size).toBeGreaterThan(10);
    expect(byName(documented(heading))).toEqual(byName(code));
  });

  it('the summaries the controller writes and `ferry status` lists have only documented fields', async () => {
    const release = {
      ...newRelease({ app: 'web', env: 'prod' }, 'aaaaaaaaaaaa', 'apps/web'),
      heldCommit: 'c1',
      traits: new Map([
        [
          'web/canary',
          { component: 'web', trait: 'canary', commit: 'c2', progress: {}, status: 's', outcome: 'aborted' },
        ],
      ]),
    };
    const ctx = (x: Partial<ReconcileContext>): ReconcileContext => ({ app: 'web', env: 'prod', attempts: 1, ...x });
    const failure = { reason: 'RenderFailed' as const, message: 'boom', commit: 'c2' };
    const cluster = new MemoryCluster();
    const summaries = [
      summaryOf(release, 'held', ctx({ revision: 'c2', lastGood: 'c1', hold: 'canary aborted', failure })),
      summaryOf(release, 'failed', ctx({ revision: 'c2', lastGood: 'c1', failure })),
      summaryOf(release, 'synced', ctx({ revision: 'c1', lastGood: 'c1' })),
    ];
    for (const [i, s] of summaries.entries())
      await writeState(cluster, { app: `a${i}`, env: 'prod', source: 'aaaaaaaaaaaa' }, {}, { ...s, app: `a${i}` });
    const keys = new Set<string>();
    const collect = (o: object, prefix = '') => {
      for (const [k, v] of Object.entries(o)) {
        keys.add(`${prefix}${k}`);
        if (Array.isArray(v)) for (const e of v) collect(e as object, `${prefix}${k}[].`);
      }
    };
    for (const s of [...summaries, ...(await listStates(cluster))]) collect({ ...s, traits: s.traits ?? [] });
    expect(keys).toContain('lastErrorCommit');
    expect(keys).toContain('waitingFor');
    const inDoc = documented('`ferry status -o json`');
    expect([...keys].filter((k) => !inDoc.has(k))).toEqual([]);
  });
});
