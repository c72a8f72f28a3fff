/**
 * Workflow steps Ferry runs itself: `deploy`, `suspend`, `step-group` and
 * `apply-component`. Every other step type needs KubeVela's workflow runtime:
 * its definition loads and is listed, but an app that uses it gets a located
 * "not supported by Ferry" error instead of a render that silently skips it.
 */
import type { DefinitionRegistry } from '../definitions/registry.js';
import { problem, type FerryProblem } from '../errors.js';
import type { Application, WorkflowStepSpec } from '../model/application.js';
import type { SourceMap, ValuePath } from '../model/source-map.js';

export const SUPPORTED_STEPS: readonly string[] = ['deploy', 'suspend', 'step-group', 'apply-component'];

export function checkWorkflowSteps(app: Application, source: SourceMap, registry: DefinitionRegistry): FerryProblem[] {
  const out: FerryProblem[] = [];
  const visit = (steps: unknown, path: ValuePath, inGroup: boolean) => {
    if (!Array.isArray(steps)) return;
    steps.forEach((raw, i) => {
      const step = raw as Partial<WorkflowStepSpec> | null;
      const at: ValuePath = [...path, i];
      if (typeof step !== 'object' || step === null || typeof step.type !== 'string') return;
      const type = step.type.split('@')[0] ?? step.type;
      const loc = {
        file: source.file,
        ...source.locate([...at, 'type']),
        app: app.metadata.name,
        path: `workflow step "${String(step.name ?? i)}"`,
      };
      if (SUPPORTED_STEPS.includes(type)) {
        if (type === 'step-group') {
          if (inGroup) out.push(problem('Unsupported', 'a step-group cannot contain another step-group', loc));
          visit(step.subSteps, [...at, 'subSteps'], true);
        }
        return;
      }
      const known = registry.get('workflow-step', type);
      out.push(
        known
          ? problem(
              'Unsupported',
              `not supported by Ferry: ${type} (workflow step "${String(step.name ?? i)}" ` +
                `needs KubeVela's workflow runtime; Ferry runs ${SUPPORTED_STEPS.join(', ')})`,
              loc,
              [{ file: known.file }],
            )
          : problem(
              'UnknownDefinition',
              `unknown workflow step type "${type}"; Ferry runs ${SUPPORTED_STEPS.join(', ')}`,
              loc,
            ),
      );
    });
  };
  visit(app.spec.workflow?.steps, ['spec', 'workflow', 'steps'], false);
  return out;
}
