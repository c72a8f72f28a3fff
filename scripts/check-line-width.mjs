#!/usr/bin/env node
// The formatter wraps code at its line width but leaves long strings and comments as they are:
// this check fails on any line of the formatted tree that is still wider (read from biome.json).
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const width = JSON.parse(readFileSync(new URL('../biome.json', import.meta.url), 'utf8')).formatter.lineWidth;
const files = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'test', 'bench', 'scripts', 'bin'],
  { encoding: 'utf8' },
)
  .split('\n')
  .filter((f) => /\.(ts|mjs|js|cjs)$/.test(f) && !f.startsWith('test/fixtures/'));
const long = [];
for (const f of files) {
  readFileSync(f, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if ([...line].length > width) long.push(`${f}:${i + 1}: ${[...line].length} characters (width ${width})`);
    });
}
if (long.length > 0) {
  console.error(long.join('\n'));
  console.error(`check-line-width: ${long.length} lines wider than ${width}`);
  process.exit(1);
}
console.log(`check-line-width: ${files.length} files, no line wider than ${width}`);
