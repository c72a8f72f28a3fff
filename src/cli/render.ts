import { stringify } from 'yaml';
import { loadWasmEngine } from '../oam/cue/wasm-engine.js';
import { loadRegistry } from '../oam/definitions/builtin.js';
import type { FerryProblem } from '../oam/errors.js';
import type { JsonObject } from '../oam/patch/json.js';
import { renderApp, type RenderedApp } from '../oam/render/app.js';
import { EvaluationMemo } from '../oam/render/memo.js';
import { RUNTIME_TRAITS } from '../traits/registry.js';
import { readAppInput } from './app-files.js';
import { EXIT_OK, reportProblems, reportWarnings, UsageError, type CliIO } from './io.js';

export interface RenderCommand {
  path: string;
  definitions: string[];
  env?: string;
  output: string;
  /** Warnings are errors. */
  strict?: boolean;
}

export async function runRender(cmd: RenderCommand, io: CliIO): Promise<number> {
  if (cmd.output !== 'yaml' && cmd.output !== 'json')
    throw new UsageError(`-o must be yaml or json, not "${cmd.output}"`);
  const input = readAppInput(cmd.path);
  if (!input.ok) return reportProblems(io, input.problems);
  const cue = await loadWasmEngine();
  const registry = loadRegistry(cue, [...input.value.definitionDirs, ...cmd.definitions]);
  if (!registry.ok) return reportProblems(io, registry.problems);
  const memo = new EvaluationMemo(cue);
  const problems: FerryProblem[] = [];
  const rendered: RenderedApp[] = [];
  for (const app of input.value.apps) {
    const r = renderApp({
      app,
      registry: registry.value,
      memo,
      runtimeTraits: RUNTIME_TRAITS,
      options: { ...(cmd.env !== undefined ? { env: cmd.env } : {}), strict: cmd.strict === true },
    });
    if (r.ok) rendered.push(r.value);
    else problems.push(...r.problems);
  }
  if (problems.length > 0) return reportProblems(io, problems);
  reportWarnings(
    io,
    rendered.flatMap((a) => a.warnings),
  );
  io.out(
    cmd.output === 'json'
      ? `${JSON.stringify(
          rendered.flatMap((a) => a.objects),
          null,
          2,
        )}\n`
      : toYaml(rendered),
  );
  return EXIT_OK;
}

/** Multi-document YAML; with several placements each document names its cluster. */
function toYaml(apps: RenderedApp[]): string {
  const docs: string[] = [];
  for (const app of apps) {
    const many = app.placements.length > 1;
    for (const p of app.placements) {
      for (const obj of p.objects)
        docs.push(`${many ? `# cluster: ${p.cluster}\n` : ''}${stringify(obj as JsonObject, { lineWidth: 0 })}`);
    }
  }
  return docs.map((d) => `---\n${d}`).join('');
}
