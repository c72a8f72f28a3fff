/** KubeVela's Application (core.oam.dev/v1beta1), as Ferry reads it. */

/** What components, traits, policies and workflow steps share: a definition type and its properties. */
interface Typed {
  type: string;
  properties?: Record<string, unknown>;
}

export type TraitSpec = Typed;

export interface ComponentSpec extends Typed {
  name: string;
  traits?: TraitSpec[];
  dependsOn?: string[];
  inputs?: { from: string; parameterKey: string }[];
  outputs?: { name: string; valueFrom: string }[];
}

export interface PolicySpec extends Typed {
  name: string;
}

export interface WorkflowStepSpec extends Typed {
  name: string;
  dependsOn?: string[];
  subSteps?: WorkflowStepSpec[];
  if?: string;
  timeout?: string;
}

export interface Application {
  apiVersion: string;
  kind: 'Application';
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    components: ComponentSpec[];
    policies?: PolicySpec[];
    workflow?: { steps?: WorkflowStepSpec[]; mode?: { steps?: string; subSteps?: string } };
  };
}
