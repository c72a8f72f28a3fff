/** KubeVela's Application (core.oam.dev/v1beta1), as Ferry reads it. */

export interface TraitSpec {
  type: string;
  properties?: Record<string, unknown>;
}

export interface ComponentSpec {
  name: string;
  type: string;
  properties?: Record<string, unknown>;
  traits?: TraitSpec[];
  dependsOn?: string[];
  inputs?: { from: string; parameterKey: string }[];
  outputs?: { name: string; valueFrom: string }[];
}

export interface PolicySpec {
  name: string;
  type: string;
  properties?: Record<string, unknown>;
}

export interface WorkflowStepSpec {
  name: string;
  type: string;
  properties?: Record<string, unknown>;
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
