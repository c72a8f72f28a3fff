/**
 * docs/cli.md stays in step with the code: (a) its table of environment variables is the list Ferry reads
 * (src/config/environment.ts, the only reader of process.env under src/), both ways, with the same meaning
 * and default, and every FERRY_* variable anything in the repository reads is documented; (b) every flag
 * that `bin/ferry <command> --help` lists, for every command and subcommand, is in docs/cli.md's flag tables
 * for that command, every flag documented there exists, and a default the help shows is the documented one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { ENVIRONMENT_VARIABLES } from '../../src/config/environment.js';
import { ferryProcess, repoRoot } from './helpers.js';

const doc = readFileSync(join(repoRoot, 'docs', 'cli.md'), 'utf8');

/** The lines of a `## ` section of the page (up to the next `## `). */
function section(title: string): string[] {
  const lines = doc.split('\n');
  const start = lines.indexOf(`## ${title}`);
  expect(start, `docs/cli.md has a "## ${title}" section`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** Table rows (cells, trimmed; `\|` kept as `|`) of the table whose header row is `header`. */
function table(lines: string[], header: string): string[][] {
  const at = lines.findIndex((l) => l.replace(/\s+/g, ' ') === header);
  expect(at, `a table with the header ${header}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replaceAll('\\|', '|')),
    );
  }
  return rows;
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(repoRoot, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(repoRoot, path)).isDirectory()) return name === 'fixtures' ? [] : sourceFiles(path);
    return /\.(ts|mjs|js)$/.test(name) || dir === 'bin' ? [path] : [];
  });
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

describe('docs/cli.md: environment variables', () => {
  const envSection = section('Environment variables');
  const documented = table(envSection, '| variable | meaning | default |');
  const names = (rows: string[][]) => rows.map((r) => r[0]!.replace(/^`|`$/g, ''));

  it('documents exactly the variables src/config reads, with their meaning and default', () => {
    const listed = ENVIRONMENT_VARIABLES.map((v) => v.name);
    expect(names(documented).sort()).toEqual([...listed].sort());
    for (const v of ENVIRONMENT_VARIABLES) {
      const row = documented.find((r) => r[0] === `\`${v.name}\``)!;
      expect({ name: v.name, meaning: row[1], default: row[2] }).toEqual({
        name: v.name,
        meaning: v.meaning,
        default: v.default,
      });
    }
  });

  it('the config module reads exactly the listed variables, and nothing else under src/ reads process.env', () => {
    const config = read('src/config/environment.ts');
    const readNames = new Set(
      [...config.matchAll(/\b(?:raw|parse)\(env, '([A-Za-z_][A-Za-z0-9_]*)'/g)].map((m) => m[1]!),
    );
    expect([...readNames].sort()).toEqual(ENVIRONMENT_VARIABLES.map((v) => v.name).sort());
    const readers = sourceFiles('src').filter(
      (f) => !f.startsWith(join('src', 'config')) && /process\s*\.\s*env|process\s*\[\s*['"]env/.test(read(f)),
    );
    expect(readers).toEqual([]);
  });

  it('every FERRY_* variable named in the code, the scripts, the tests and the benchmarks is documented', () => {
    const named = new Map<string, string>();
    for (const f of ['src', 'bin', 'scripts', 'test', 'bench'].flatMap(sourceFiles))
      for (const m of read(f).matchAll(/\bFERRY_[A-Z0-9_]+\b/g)) if (!named.has(m[0])) named.set(m[0], f);
    const missing = [...named].filter(([name]) => !doc.includes(`\`${name}\``)).map(([n, f]) => `${n} (${f})`);
    expect(missing).toEqual([]);
    // And every variable the second table documents is still read somewhere.
    const others = table(envSection, '| variable | meaning |').flatMap((r) =>
      [...r[0]!.matchAll(/`([A-Z_][A-Z0-9_]*)`/g)].map((m) => m[1]!),
    );
    expect(others.filter((v) => v.startsWith('FERRY_') && !named.has(v))).toEqual([]);
  });
});

/** Every command and subcommand of `ferry`, as the words after `ferry` ('' for ferry itself). */
function commandPaths(): string[] {
  const walk = (c: Command, prefix: string[]): string[][] => [
    prefix,
    ...c.commands.filter((s) => s.name() !== 'help').flatMap((s) => walk(s, [...prefix, s.name()])),
  ];
  return walk(
    buildProgram({ out: () => {}, err: () => {} }, () => {}),
    [],
  ).map((p) => p.join(' '));
}

interface HelpFlag {
  flags: string[];
  description: string;
}

/** The options `ferry <path> --help` lists (without -h, --help). */
function helpFlags(path: string): HelpFlag[] {
  const r = ferryProcess(...(path ? path.split(' ') : []), '--help');
  expect(r.code, `ferry ${path} --help: ${r.stderr}`).toBe(0);
  const lines = r.stdout.split('\n');
  const start = lines.indexOf('Options:');
  expect(start, `ferry ${path} --help has an Options: section`).toBeGreaterThanOrEqual(0);
  const options: HelpFlag[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line === '' || !line.startsWith(' ')) break;
    const m = /^ {2}(-\S.*?)(?: {2,}(.*))?$/.exec(line);
    if (m) {
      options.push({
        flags: [...m[1]!.matchAll(/(?<![\w-])--?[A-Za-z][\w-]*/g)].map((x) => x[0]),
        description: m[2] ?? '',
      });
    } else options.at(-1)!.description += ` ${line.trim()}`;
  }
  return options.filter((o) => !o.flags.includes('--help'));
}

/** Per command path: the rows of the tables under the `### ` headings of "## Flags" that name it. */
function documentedFlags(): Map<string, string[][]> {
  const byCommand = new Map<string, string[][]>();
  let current: string[] = [];
  let rows: string[][] | undefined;
  for (const line of section('Flags')) {
    if (line.startsWith('### ')) {
      current = [...line.matchAll(/`ferry((?: [a-z-]+)*)`/g)].map((m) => m[1]!.trim());
      for (const c of current) if (!byCommand.has(c)) byCommand.set(c, []);
      rows = undefined;
    } else if (line.startsWith('| flag |')) rows = [];
    else if (rows && line.startsWith('| ---')) continue;
    else if (rows && line.startsWith('|')) {
      const cells = line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim());
      for (const c of current) byCommand.get(c)!.push(cells);
    } else if (!line.startsWith('|')) rows = undefined;
  }
  return byCommand;
}

const flagsOf = (cell: string) => [...cell.matchAll(/(?<![\w-])--?[A-Za-z][\w-]*/g)].map((m) => m[0]);

describe('docs/cli.md: flags', () => {
  const paths = commandPaths();
  const documented = documentedFlags();

  it('there are commands to check, and a section for every one of them', () => {
    expect(paths.length).toBeGreaterThanOrEqual(15);
    expect(paths.filter((p) => !documented.has(p))).toEqual([]);
    expect([...documented.keys()].filter((p) => !paths.includes(p))).toEqual([]);
  });

  it.each(paths.map((p) => [p || '(ferry itself)', p] as const))('ferry %s', (_label, path) => {
    const help = helpFlags(path);
    const rows = documented.get(path) ?? [];
    const inDoc = new Set(rows.flatMap((r) => flagsOf(r[0]!)));
    const inHelp = new Set(help.flatMap((o) => o.flags));
    expect(
      [...inHelp].filter((f) => !inDoc.has(f)),
      `flags of ferry ${path} missing from docs/cli.md`,
    ).toEqual([]);
    expect(
      [...inDoc].filter((f) => !inHelp.has(f)),
      `flags in docs/cli.md that ferry ${path} lacks`,
    ).toEqual([]);
    // A default --help shows (a quoted one: not [] or false) is the one the doc gives, as `value`.
    for (const o of help) {
      const shown = /default: "([^"]*)"/.exec(o.description)?.[1];
      if (shown === undefined) continue;
      const row = rows.find((r) => flagsOf(r[0]!).some((f) => o.flags.includes(f)))!;
      expect(row.join(' | '), `ferry ${path} ${o.flags.join(', ')}: default ${shown}`).toContain(`\`${shown}\``);
    }
  });
});

it('every section of the flag tables has a table or says it has no flags', () => {
  const flags = section('Flags');
  const headings = flags.filter((l) => l.startsWith('### ')).length;
  const described = flags.join('\n').split('\n### ').slice(1);
  expect(described).toHaveLength(headings);
  for (const s of described) expect(s, s.split('\n')[0]).toMatch(/\| flag \||No (other )?flags\b/);
});
