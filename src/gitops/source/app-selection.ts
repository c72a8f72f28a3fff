/** Which app folders an environment takes: ferry.yaml `environments[].apps`, folder-name patterns. */
import type { EnvironmentConfig } from './environments.js';

const patterns = new Map<string, RegExp>();
/** An `apps` pattern as a regular expression: `*` is any run of characters, everything else itself. */
const patternOf = (p: string): RegExp => {
  let re = patterns.get(p);
  if (!re) patterns.set(p, (re = new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`)));
  return re;
};

/** Whether an environment takes the app of a folder (apps/<folder>): its `apps` patterns, or every app. */
export function selectsApp(env: Pick<EnvironmentConfig, 'apps'> | undefined, folder: string): boolean {
  return !env?.apps || env.apps.some((p) => patternOf(p).test(folder));
}
