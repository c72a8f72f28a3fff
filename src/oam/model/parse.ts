import { LineCounter, parseAllDocuments, visit, type Alias, type Document } from 'yaml';
import { fail, ok, problem, type FerryProblem, type Result } from '../errors.js';
import type { Application } from './application.js';
import { SourceMap } from './source-map.js';
import { checkApplication } from './validate.js';

/** An application together with where its text came from. */
export interface SourcedApplication {
  app: Application;
  source: SourceMap;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses every `kind: Application` document of a YAML file; other kinds are ignored. */
export function parseApplications(text: string, file: string): Result<SourcedApplication[]> {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems: FerryProblem[] = [];
  const apps: SourcedApplication[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    for (const e of doc.errors) {
      const pos = lines.linePos(e.pos[0]);
      problems.push(
        problem('InvalidYAML', `malformed YAML: ${e.message.split('\n')[0]}`, {
          file,
          line: pos.line,
          column: pos.col,
        }),
      );
    }
    if (doc.errors.length > 0) continue;
    const converted = toJS(doc, file, lines);
    if (!converted.ok) {
      problems.push(...converted.problems);
      continue;
    }
    const value = converted.value;
    if (value === null || value === undefined) continue;
    const source = new SourceMap(file, doc, lines);
    if (!isRecord(value) || value.kind !== 'Application') continue;
    const checked = checkApplication(value, source);
    if (checked.length > 0) problems.push(...checked);
    else apps.push({ app: value as unknown as Application, source });
  }
  if (problems.length > 0) return fail(problems);
  return ok(apps);
}

/**
 * A document as plain values, with YAML alias expansion capped (an "alias bomb" of nested aliases
 * would otherwise expand to gigabytes): at most 100 aliases, as a located problem instead of a throw,
 * at the alias that went past the cap.
 */
export function toJS(doc: Document, file: string, lines: LineCounter): Result<unknown> {
  try {
    return ok(doc.toJS({ maxAliasCount: 100 }) as unknown);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0] ?? '';
    const excessive = /alias/i.test(msg) && /excessive|count/i.test(msg);
    const name = msg.match(/: (\S+)$/)?.[1];
    let offset = (doc.contents as { range?: number[] } | null)?.range?.[0] ?? 0;
    const culprit = excessive ? aliasPastTheCap(doc) : undefined;
    if (culprit?.range) offset = culprit.range[0];
    else
      visit(doc, {
        Alias(_, node) {
          if (name !== undefined && node.source === name && node.range) {
            offset = node.range[0];
            return visit.BREAK;
          }
          return undefined;
        },
      });
    const pos = lines.linePos(offset);
    const pastTheCap = culprit ? `, past the cap at *${culprit.source}` : '';
    return fail([
      problem(
        'InvalidYAML',
        excessive
          ? `YAML aliases expand too far (more than 100 alias uses${pastTheCap}): refused as an alias bomb`
          : `malformed YAML: ${msg}`,
        { file, line: pos.line, column: pos.col },
      ),
    ]);
  }
}

/**
 * The alias whose resolution went past the alias cap: the conversion is run again with each alias's
 * `resolve` wrapped (on the instance, for this run only), and the innermost one that threw is it.
 */
function aliasPastTheCap(doc: Document): Alias | undefined {
  let culprit: Alias | undefined;
  const wrapped: Alias[] = [];
  visit(doc, {
    Alias(_, node) {
      const resolve = node.resolve;
      node.resolve = (...args: Parameters<Alias['resolve']>) => {
        try {
          return resolve.apply(node, args);
        } catch (e) {
          culprit ??= node;
          throw e;
        }
      };
      wrapped.push(node);
    },
  });
  try {
    doc.toJS({ maxAliasCount: 100 });
  } catch {
    // Expected: the same cap is exceeded again, now with the culprit recorded.
  } finally {
    for (const node of wrapped) delete (node as { resolve?: unknown }).resolve;
  }
  return culprit;
}
