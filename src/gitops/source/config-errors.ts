/**
 * ferry.yaml's schema errors in words: each ajv error becomes a sentence about the YAML path it concerns
 * (with the fields known there), and the node of that path, for its line and column.
 */
import type { ErrorObject } from 'ajv';
import { isMap, type parseDocument } from 'yaml';
import { formatProblem, type FerryProblem } from '../../oam/errors.js';
import { PROMOTION_FIELDS } from './promotion-policy.js';

/** A ferry.yaml that does not load, with its problems (file, line, column). */
export class FerryConfigError extends Error {
  constructor(readonly problems: FerryProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/** One ajv error in words, with the YAML path it is about. */
export function explain(e: ErrorObject): { path: (string | number)[]; key: boolean; message: string } {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  const where =
    path.length > 0
      ? path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
          .join('')
          .replace(/^\./, '')
      : 'ferry.yaml';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return {
        path: [...path, String(p.additionalProperty)],
        key: true,
        message: `unknown field "${String(p.additionalProperty)}" in ${where}${hint(path)}`,
      };
    case 'required':
      return { path, key: false, message: `${where} needs "${String(p.missingProperty)}"` };
    case 'type':
      return {
        path,
        key: false,
        message: `${where} must be ${typeWords(p.type)}`,
      };
    case 'pattern':
      return {
        path,
        key: false,
        message:
          where.endsWith('verifyTimeout') || where.endsWith('soak')
            ? `${where} must be a duration such as 30s, 5m or 1h`
            : where.endsWith('prometheus')
              ? `${where} must be an http:// or https:// URL`
              : `${where} must be lowercase letters, digits and "-" (an RFC 1123 label)`,
      };
    case 'enum':
      return {
        path,
        key: false,
        message: `${where} must be one of ${(p.allowedValues as string[]).join(', ')}`,
      };
    default:
      return { path, key: false, message: `${where} ${e.message ?? 'is invalid'}` };
  }
}

function typeWords(type: unknown): string {
  if (type === 'object') return 'a mapping';
  if (type === 'array') return 'a list';
  if (type === 'boolean') return 'true or false';
  return `a ${String(type)}`;
}

function hint(path: (string | number)[]): string {
  if (path.length === 0) return ' (known: environments, defaults, metrics)';
  if (path.at(-1) === 'custom') return ' (known: requests, errors, latencyBuckets, latencyUnit)';
  if (path.at(-1) === 'metrics') return ' (known: prometheus, provider, custom)';
  if (path.at(-1) === 'promotion') return ` (known: ${PROMOTION_FIELDS})`;
  if (path[0] === 'environments') return ' (known: name, context, kubeconfig, namespace, metrics, promotion)';
  if (path[0] === 'defaults') return ' (known: autoRollback, pruneRemovedApps, verifyTimeout)';
  return '';
}

export function keyNode(doc: ReturnType<typeof parseDocument>, path: (string | number)[]): unknown {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  if (!isMap(parent)) return parent;
  return parent.items.find(
    (p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(path[path.length - 1]),
  )?.key;
}
