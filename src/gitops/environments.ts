/**
 * Where an environment goes. `ferry.yaml` maps names to kubeconfig contexts and namespaces; without
 * it, an environment is one of the app's own deploy steps / topology policies, and each of its
 * clusters is the kubeconfig context of that name ("local" = the current context).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface EnvironmentConfig {
  name: string;
  context?: string;
  kubeconfig?: string;
  namespace?: string;
}

export interface FerryConfig {
  environments: EnvironmentConfig[];
}

export function loadFerryConfig(path: string | undefined): FerryConfig {
  const file = path ?? (existsSync('ferry.yaml') ? 'ferry.yaml' : undefined);
  if (!file) return { environments: [] };
  const raw = parse(readFileSync(file, 'utf8')) as { environments?: unknown } | null;
  const list = Array.isArray(raw?.environments) ? raw.environments : [];
  return {
    environments: list.map((e, i) => {
      const env = e as Record<string, unknown>;
      if (typeof env.name !== 'string' || env.name === '') throw new Error(`${file}: environments[${i}] needs a name`);
      return { name: env.name, ...(typeof env.context === 'string' ? { context: env.context } : {}), ...(typeof env.kubeconfig === 'string' ? { kubeconfig: env.kubeconfig } : {}), ...(typeof env.namespace === 'string' ? { namespace: env.namespace } : {}) };
    }),
  };
}
