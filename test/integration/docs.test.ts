/**
 * The documentation stays true: README.md is the short newcomer's page linking every docs/ file, every
 * relative link points to a file, and every `./bin/ferry render|def …` (and `./bin/ferry --help`) shown with
 * its output in a console block prints that output (a line `…` stands for one or more lines, `…` inside a line for any
 * text;
 * paths may be shown relative to the repository).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ferry, repoRoot } from './helpers.js';

const docsDir = join(repoRoot, 'docs');
const docFiles = readdirSync(docsDir)
  .filter((f) => f.endsWith('.md'))
  .sort();
const pages = ['README.md', ...docFiles.map((f) => join('docs', f))].map((path) => ({
  path,
  text: readFileSync(join(repoRoot, path), 'utf8'),
}));
const readme = pages[0]!.text;

/** The page without its fenced code blocks (links inside code are not links). */
const prose = (text: string): string => text.replace(/^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '');

interface Shown {
  page: string;
  line: number;
  command: string;
  args: string[];
  exit?: number;
  output: string[];
}

/** `$ command` lines of ```console blocks, each with the lines shown below it. */
function shownCommands(page: string, text: string): Shown[] {
  const found: Shown[] = [];
  const lines = text.split('\n');
  let fence: string | undefined;
  let console_ = false;
  let current: Shown | undefined;
  lines.forEach((line, i) => {
    const f = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (fence === undefined && f) {
      fence = f[1];
      console_ = f[2] === 'console';
      return;
    }
    if (fence !== undefined && line.trimEnd() === fence) {
      fence = undefined;
      current = undefined;
      return;
    }
    if (fence === undefined || !console_) return;
    if (line.startsWith('$ ')) {
      const comment = /\s+#\s(.*)$/.exec(line);
      const command = line
        .slice(2)
        .replace(/\s+#\s.*$/, '')
        .trim();
      const exit = comment ? /\bexit (\d+)/.exec(comment[1]!) : null;
      current = {
        page,
        line: i + 1,
        command,
        args: command.split(/\s+/).slice(1),
        output: [],
        ...(exit ? { exit: Number(exit[1]) } : {}),
      };
      found.push(current);
    } else current?.output.push(line);
  });
  return found;
}

const tested = pages
  .flatMap((p) => shownCommands(p.path, p.text))
  .filter((c) => /^\.\/bin\/ferry (render|def|--help$)/.test(c.command) && c.output.length > 0);

const ELLIPSIS = '…';
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function lineMatches(shown: string, actual: string): boolean {
  const s = shown.trimEnd();
  const a = actual.trimEnd();
  if (!s.includes(ELLIPSIS)) return s === a;
  return new RegExp(`^${s.split(ELLIPSIS).map(escapeRegExp).join('[\\s\\S]*')}$`).test(a);
}

/** Shown lines against actual lines; a line that is only `…` stands for one or more actual lines. */
function outputMatches(shown: string[], actual: string[]): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (actual.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let ok: boolean;
    if (i === shown.length) ok = j === actual.length;
    else if (shown[i]!.trim() === ELLIPSIS) {
      ok = false;
      for (let k = j + 1; k <= actual.length && !ok; k++) ok = go(i + 1, k);
    } else ok = j < actual.length && lineMatches(shown[i]!, actual[j]!) && go(i + 1, j + 1);
    memo.set(key, ok);
    return ok;
  };
  return go(0, 0);
}

const linesOf = (text: string): string[] => {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
};

describe('README.md', () => {
  it('is the short page: at most 250 lines', () => {
    expect(linesOf(readme).length).toBeLessThanOrEqual(250);
  });

  it.each(docFiles)('links to docs/%s', (file) => {
    expect(prose(readme)).toContain(`](docs/${file})`);
  });
});

describe('relative links', () => {
  const links = pages.flatMap((p) =>
    [...prose(p.text).matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#'))
      .map((target) => ({ page: p.path, target })),
  );

  it('there are links to check', () => {
    expect(links.length).toBeGreaterThanOrEqual(docFiles.length);
  });

  it.each(links)('$page → $target exists', ({ page, target }) => {
    const file = resolve(repoRoot, dirname(page), decodeURIComponent(target.split('#')[0]!));
    expect(existsSync(file), `${page} links to ${target}, which is not a file (${relative(repoRoot, file)})`).toBe(
      true,
    );
  });
});

describe('commands shown with their output', () => {
  beforeAll(() => {
    // The commands are shown as run from the repository root.
    if (process.cwd() !== repoRoot) process.chdir(repoRoot);
  });

  it('there are commands to check', () => {
    expect(tested.length).toBeGreaterThanOrEqual(5);
  });

  it.each(tested)('$page:$line $command', async (shown) => {
    const r = await ferry(...shown.args);
    const where = `${shown.page}:${shown.line}: ${shown.command}`;
    expect(r.code, `${where} (stderr: ${r.stderr})`).toBe(shown.exit ?? 0);
    const printed = (r.code === 0 ? r.stdout : r.stderr).split(`${repoRoot}/`).join('');
    if (!outputMatches(shown.output, linesOf(printed))) {
      // Not the same: show both, so the failure reads as a diff.
      expect(printed, where).toBe(`${shown.output.join('\n')}\n`);
    }
  });
});
