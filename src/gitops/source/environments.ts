/**
 * `ferry.yaml`: the environments, in promotion order (name → kubeconfig context and namespace), and
 * defaults for the apps. Without environments, an app's own deploy steps / topology policies are its
 * environments, and each of their clusters is the kubeconfig context of that name ("local" = the
 * controller's own cluster).
 */
import { existsSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { fail, ok, problem, type FerryProblem, type Result } from '../../oam/errors.js';
import { readRegularFile } from '../../oam/files/read.js';
import { toJS } from '../../oam/model/parse.js';
import { METRIC_PROVIDERS, mergeMetricsSource, type MetricsSourceConfig } from '../../config/metrics-source.js';
import { DURATION_PATTERN } from '../../util/duration.js';
import { explain, FerryConfigError, keyNode } from './config-errors.js';
import { checkPromotions, PROMOTION_SCHEMA, type PromotionInput, type PromotionPolicy } from './promotion-policy.js';

export interface EnvironmentConfig {
  name: string;
  context?: string;
  kubeconfig?: string;
  namespace?: string;
  /**
   * The ServiceAccount ("namespace/name") its apps' objects are applied, pruned and read as: the controller
   * impersonates it (tenancy, as Flux's serviceAccountName); its own records stay under its own identity.
   */
  serviceAccount?: string;
  /**
   * The apps it takes, by their folder's name under apps/ (`*` matches any run of characters); none: every app.
   * An app no environment selects is delivered nowhere (and removed where it was).
   */
  apps?: string[];
  /** Where traits read this environment's metrics: its own fields over ferry.yaml's top-level `metrics`. */
  metrics?: MetricsSourceConfig;
  /** Where its releases come from, and the gates they pass (none: it follows Git). */
  promotion?: PromotionPolicy;
  /**
   * The order in which its topology's clusters take a new release, one after the other (the clusters not named
   * follow, in the topology's order; none named: the topology's order).
   */
  waves?: string[];
  /** Where `waves` is written in ferry.yaml (a name the topology does not place is reported there). */
  wavesAt?: { file: string; line: number; column: number };
  /** Declared by the app's own workflow (its deploy steps as a chain), not listed in ferry.yaml. */
  fromWorkflow?: true;
}

/** ferry.yaml's settings of a cluster a topology places on (a kubeconfig context). */
export interface ClusterConfig {
  /** Where traits read metrics on a placement there: field by field over its environment's. */
  metrics?: MetricsSourceConfig;
}

export interface FerryConfig {
  environments: EnvironmentConfig[];
  /** The top-level `metrics`: every environment's source unless it says otherwise. */
  metrics?: MetricsSourceConfig;
  /** Per cluster (by name): settings of its placements. */
  clusters?: Record<string, ClusterConfig>;
  defaults: {
    /** Re-apply the last good revision (and hold) when a sync or its verification fails. */
    autoRollback: boolean;
    /** How long verification waits for health. */
    verifyTimeout?: string;
    /** Delete the objects of an app (or app × environment) that Git no longer declares. */
    pruneRemovedApps: boolean;
  };
}

const EMPTY: FerryConfig = { environments: [], defaults: { autoRollback: false, pruneRemovedApps: true } };

const NAME = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** A ServiceAccount: "name" (in the environment's namespace) or "namespace/name". */
const SERVICE_ACCOUNT = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';

const SELECTOR = { type: 'string', minLength: 1 } as const;
const METRICS = {
  type: 'object',
  additionalProperties: false,
  properties: {
    prometheus: { type: 'string', pattern: '^https?://[^\\s]+$' },
    provider: { enum: [...METRIC_PROVIDERS] },
    custom: {
      type: 'object',
      additionalProperties: false,
      required: ['requests', 'errors', 'latencyBuckets'],
      properties: {
        requests: SELECTOR,
        errors: SELECTOR,
        latencyBuckets: SELECTOR,
        latencyUnit: { enum: ['seconds', 'milliseconds'] },
      },
    },
  },
} as const;

/** ferry.yaml's JSON Schema: unknown fields are errors, so a typo never passes silently. */
const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    metrics: METRICS,
    /** Settings of the clusters a topology places on (kubeconfig contexts): where traits read their metrics. */
    clusters: {
      type: 'object',
      additionalProperties: { type: 'object', additionalProperties: false, properties: { metrics: METRICS } },
    },
    environments: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: NAME, maxLength: 63 },
          context: { type: 'string', minLength: 1 },
          kubeconfig: { type: 'string', minLength: 1 },
          namespace: { type: 'string', pattern: NAME, maxLength: 63 },
          serviceAccount: { type: 'string', pattern: SERVICE_ACCOUNT },
          apps: { type: 'array', items: { type: 'string', pattern: '^[^/]+$' }, minItems: 1, uniqueItems: true },
          metrics: METRICS,
          promotion: PROMOTION_SCHEMA,
          waves: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true, minItems: 1 },
        },
      },
    },
    defaults: {
      type: 'object',
      additionalProperties: false,
      properties: {
        autoRollback: { type: 'boolean' },
        pruneRemovedApps: { type: 'boolean' },
        verifyTimeout: { type: 'string', pattern: DURATION_PATTERN },
      },
    },
  },
} as const;

// Compiled on first use: commands that never read a ferry.yaml do not pay for it.
let compiled: ValidateFunction | undefined;
const schemaValidator = () => (compiled ??= new Ajv({ allErrors: true, strict: true }).compile(SCHEMA));

export function parseFerryConfig(text: string, file: string): Result<FerryConfig> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0)
    return fail(
      doc.errors.map((e) => {
        // Without prettyErrors the error has no linePos: its offset is placed with the line counter.
        const pos = lines.linePos(e.pos[0]);
        return problem('InvalidApplication', `malformed YAML: ${e.message.split('\n')[0]!}`, {
          file,
          line: pos.line,
          column: pos.col,
        });
      }),
    );
  const converted = toJS(doc, file, lines);
  if (!converted.ok) return converted;
  const raw = converted.value ?? {};
  const validate = schemaValidator();
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => {
      const x = explain(e);
      const node = x.key ? keyNode(doc, x.path) : doc.getIn(x.path, true);
      const range =
        (node as { range?: [number, number, number] } | undefined)?.range ??
        (doc.getIn(x.path.slice(0, -1), true) as { range?: number[] } | undefined)?.range;
      const pos = lines.linePos(range?.[0] ?? 0);
      const value = ['type', 'pattern', 'enum'].includes(e.keyword) ? doc.getIn(x.path) : undefined;
      const shown =
        value === undefined || (typeof value === 'object' && value !== null) ? '' : `, not ${JSON.stringify(value)}`;
      return problem('PolicyInvalid', `${x.message}${shown}`, { file, line: pos.line, column: pos.col });
    });
    return fail(problems);
  }
  const cfg = raw as {
    environments?: (Omit<EnvironmentConfig, 'promotion'> & { promotion?: PromotionInput })[];
    defaults?: { autoRollback?: boolean; pruneRemovedApps?: boolean; verifyTimeout?: string };
    metrics?: MetricsSourceConfig;
    clusters?: Record<string, { metrics?: MetricsSourceConfig }>;
  };
  const seen = new Map<string, number>();
  const problems: FerryProblem[] = [];
  (cfg.environments ?? []).forEach((e, i) => {
    if (seen.has(e.name)) {
      const pos = lines.linePos(
        (doc.getIn(['environments', i], true) as { range?: number[] } | undefined)?.range?.[0] ?? 0,
      );
      problems.push(
        problem(
          'PolicyInvalid',
          `environment "${e.name}" is listed twice (environments[${seen.get(e.name)}] and environments[${i}])`,
          { file, line: pos.line, column: pos.col },
        ),
      );
    } else seen.set(e.name, i);
  });
  // A custom provider needs its templates, from the environment or the top level.
  const needsCustom = (m: MetricsSourceConfig | undefined, path: (string | number)[]) => {
    if (m?.provider !== 'custom' || m.custom) return;
    const pos = lines.linePos(
      (doc.getIn([...path, 'provider'], true) as { range?: number[] } | undefined)?.range?.[0] ?? 0,
    );
    problems.push(
      problem(
        'PolicyInvalid',
        `${path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
          .join('')
          .replace(/^\./, '')}.provider ` +
          'is "custom": give custom: {requests, errors, latencyBuckets} (series selectors)',
        { file, line: pos.line, column: pos.col },
      ),
    );
  };
  // A ServiceAccount without its namespace takes the environment's; without either it names nothing.
  (cfg.environments ?? []).forEach((e, i) => {
    if (e.serviceAccount === undefined || e.serviceAccount.includes('/') || e.namespace) return;
    const pos = lines.linePos(
      (doc.getIn(['environments', i, 'serviceAccount'], true) as { range?: number[] } | undefined)?.range?.[0] ?? 0,
    );
    problems.push(
      problem(
        'PolicyInvalid',
        `environments[${i}].serviceAccount "${e.serviceAccount}" needs a namespace: ` +
          `write <namespace>/${e.serviceAccount}, or give the environment a namespace`,
        { file, line: pos.line, column: pos.col },
      ),
    );
  });
  const promotions = checkPromotions(cfg.environments ?? []);
  for (const p of promotions.problems) {
    const path = ['environments', p.index, 'promotion', ...(p.field ? [p.field] : [])];
    const pos = lines.linePos((doc.getIn(path, true) as { range?: number[] } | undefined)?.range?.[0] ?? 0);
    problems.push(problem('PolicyInvalid', p.message, { file, line: pos.line, column: pos.col }));
  }
  needsCustom(cfg.metrics, ['metrics']);
  (cfg.environments ?? []).forEach((e, i) =>
    needsCustom(mergeMetricsSource(cfg.metrics, e.metrics), ['environments', i, 'metrics']),
  );
  const clusters = Object.entries(cfg.clusters ?? {}).filter(([, c]) => c.metrics !== undefined);
  for (const [name, c] of clusters)
    needsCustom(mergeMetricsSource(cfg.metrics, c.metrics), ['clusters', name, 'metrics']);
  if (problems.length > 0) return fail(problems);
  const d = cfg.defaults ?? {};
  const metricsOf = (e: EnvironmentConfig) => mergeMetricsSource(cfg.metrics, e.metrics);
  return ok({
    environments: (cfg.environments ?? []).map(({ promotion: _, ...e }, i) => {
      const metrics = metricsOf(e);
      const promotion = promotions.policies.get(e.name);
      const wavesNode = e.waves && (doc.getIn(['environments', i, 'waves'], true) as { range?: number[] } | undefined);
      const wavesPos = wavesNode ? lines.linePos(wavesNode.range?.[0] ?? 0) : undefined;
      const wavesAt = wavesPos && { file, line: wavesPos.line, column: wavesPos.col };
      const serviceAccount =
        e.serviceAccount === undefined || e.serviceAccount.includes('/')
          ? e.serviceAccount
          : `${e.namespace}/${e.serviceAccount}`;
      return {
        ...e,
        ...(serviceAccount ? { serviceAccount } : {}),
        ...(metrics ? { metrics } : {}),
        ...(promotion ? { promotion } : {}),
        ...(wavesAt ? { wavesAt } : {}),
      };
    }),
    ...(cfg.metrics ? { metrics: cfg.metrics } : {}),
    ...(cfg.clusters ? { clusters: cfg.clusters } : {}),
    defaults: {
      autoRollback: d.autoRollback === true,
      pruneRemovedApps: d.pruneRemovedApps !== false,
      ...(d.verifyTimeout !== undefined ? { verifyTimeout: d.verifyTimeout } : {}),
    },
  });
}

/** ferry.yaml problems, carried to the CLI's edge (exit 1 with every location). */

/** ferry.yaml at `path`, or ./ferry.yaml when it exists, or none. */
export function readFerryConfig(path: string | undefined): Result<FerryConfig> {
  const file = path ?? (existsSync('ferry.yaml') ? 'ferry.yaml' : undefined);
  if (!file) return ok(EMPTY);
  const text = readRegularFile(file);
  if (!text.ok) return text;
  return parseFerryConfig(text.value, file);
}

export function loadFerryConfig(path: string | undefined): FerryConfig {
  const r = readFerryConfig(path);
  if (!r.ok) throw new FerryConfigError(r.problems);
  return r.value;
}

export const emptyFerryConfig = (): FerryConfig => ({
  environments: [],
  defaults: { autoRollback: false, pruneRemovedApps: true },
});

/** The user an environment's apps act as (its `serviceAccount`, as the API server names it), if it has one. */
export function tenantUser(env: Pick<EnvironmentConfig, 'serviceAccount'> | undefined): string | undefined {
  if (!env?.serviceAccount) return undefined;
  const [namespace, name] = env.serviceAccount.split('/');
  return `system:serviceaccount:${namespace}:${name}`;
}
