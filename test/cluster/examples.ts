/** The example apps (examples/apps) as a test repository holds them, for the suites that sync all of them. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../../bench/browser.js';

const EXAMPLES = join(ROOT, 'examples', 'apps');

/** Every example app's files as the repository holds them (apps/<example>/…), without the golden outputs. */
export function exampleFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!name.startsWith('expected')) files[`apps/${relative(EXAMPLES, path)}`] = readFileSync(path, 'utf8');
    }
  };
  walk(EXAMPLES);
  // multi-env's prod on the home cluster (npm start gives it two clusters of its own), without its HPA: the test
  // cluster runs the HPA controller, which marks it Degraded with no metrics API (as newcomer.test.ts does).
  const multi = 'apps/multi-env/app.yaml';
  files[multi] = files[multi]!.replace('clusters: [prod-eu, prod-us]', 'clusters: [local]').replace(
    /\n *- type: hpa\n *properties: \{[^\n]*\}/,
    '',
  );
  return files;
}

/** The Applications' names in those files. */
export const appNamesOf = (files: Record<string, string>): string[] =>
  Object.entries(files)
    .filter(([path]) => path.endsWith('/app.yaml'))
    .map(([, text]) => /\nmetadata:\n\s+name: (\S+)/.exec(text)![1]!);

/** Every namespace those files name. */
export const namespacesOf = (files: Record<string, string>): string[] => [
  ...new Set(Object.values(files).flatMap((t) => [...t.matchAll(/namespace: ([a-z0-9-]+)/g)].map((m) => m[1]!))),
];
