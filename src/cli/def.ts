import { CueBudgetExceeded, type JsonSchema } from '../oam/cue/engine.js';
import { loadWasmEngine } from '../oam/cue/wasm-engine.js';
import { loadRegistry } from '../oam/definitions/builtin.js';
import { problem, type FerryProblem } from '../oam/errors.js';
import { EXIT_INVALID, EXIT_OK, reportProblems, type CliIO } from './io.js';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export async function runDefList(definitions: string[], io: CliIO): Promise<number> {
  const registry = loadRegistry(await loadWasmEngine(), definitions);
  if (!registry.ok) return reportProblems(io, registry.problems);
  const rows = [['NAME', 'TYPE', 'ORIGIN', 'DESCRIPTION']];
  for (const d of registry.value.all()) rows.push([d.name, d.kind, d.origin, d.description]);
  io.out(table(rows));
  return EXIT_OK;
}

function typeName(s: JsonSchema): string {
  const t = Array.isArray(s.type) ? s.type.join('|') : (s.type ?? 'any');
  if (s.enum) return s.enum.map((e) => JSON.stringify(e)).join('|');
  if (t === 'array' && s.items) return `[]${typeName(s.items)}`;
  if (t === 'object' && s.additionalProperties && !s.properties?.length)
    return `map[string]${typeName(s.additionalProperties)}`;
  return t;
}

/** Flattens a parameter schema into rows, nested fields as `a.b`. */
function parameterRows(schema: JsonSchema, prefix = ''): string[][] {
  const rows: string[][] = [];
  const required = new Set(schema.required ?? []);
  const order = schema['x-order'] ?? Object.keys(schema.properties ?? {});
  for (const name of order) {
    const p = schema.properties?.[name];
    if (!p) continue;
    const full = `${prefix}${name}`;
    const def = p.default === undefined ? '' : JSON.stringify(p.default);
    rows.push([full, typeName(p), def, required.has(name) ? 'yes' : 'no', p.description ?? '']);
    if (p.properties && Object.keys(p.properties).length > 0) rows.push(...parameterRows(p, `${full}.`));
    if (p.items?.properties && Object.keys(p.items.properties).length > 0)
      rows.push(...parameterRows(p.items, `${full}[].`));
  }
  return rows;
}

export async function runDefShow(name: string, definitions: string[], io: CliIO): Promise<number> {
  const registry = loadRegistry(await loadWasmEngine(), definitions);
  if (!registry.ok) return reportProblems(io, registry.problems);
  const found = registry.value.find(name);
  if (found.length === 0) {
    io.err(`unknown definition "${name}"; \`ferry def list\` shows them all\n`);
    return EXIT_INVALID;
  }
  // Every schema first: a definition whose parameters cannot be read within the CUE budget is a located
  // error, with nothing printed.
  const problems: FerryProblem[] = [];
  const schemas = found.map((d) => {
    try {
      return registry.value.schema(d);
    } catch (e) {
      if (!(e instanceof CueBudgetExceeded)) throw e;
      problems.push(
        problem('LimitExceeded', `${d.kind} "${d.name}": reading its parameters ${e.message}`, {
          file: d.file,
          ...(d.at ?? { line: 1, column: 1 }),
        }),
      );
      return {};
    }
  });
  if (problems.length > 0) return reportProblems(io, problems);
  for (const [i, d] of found.entries()) {
    io.out(`${d.name} (${d.kind}, ${d.origin}): ${d.description}\nfile: ${d.file}\n`);
    if (d.attributes.appliesToWorkloads) io.out(`applies to: ${d.attributes.appliesToWorkloads.join(', ')}\n`);
    if (d.attributes.conflictsWith?.length) io.out(`conflicts with: ${d.attributes.conflictsWith.join(', ')}\n`);
    const rows = parameterRows(schemas[i]!);
    io.out('\n');
    io.out(
      rows.length > 0 ? table([['NAME', 'TYPE', 'DEFAULT', 'REQUIRED', 'DESCRIPTION'], ...rows]) : 'no parameters\n',
    );
  }
  return EXIT_OK;
}
