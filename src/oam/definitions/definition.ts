import type { CuePosition, JsonSchema, PatchAnnotations } from '../cue/engine.js';

export type DefinitionKind = 'component' | 'trait' | 'policy' | 'workflow-step';

export interface DefinitionAttributes {
  /** The workload a component produces, e.g. {apiVersion: "apps/v1", kind: "Deployment"}. */
  workload?: { definition?: { apiVersion?: string; kind?: string }; type?: string };
  appliesToWorkloads?: string[];
  conflictsWith?: string[];
  podDisruptive?: boolean;
  stage?: string;
  status?: { healthPolicy?: string; customStatus?: string; details?: string };
}

/** A loaded definition: its metadata plus a handle to its template in the CUE engine. */
export interface Definition {
  name: string;
  kind: DefinitionKind;
  description: string;
  attributes: DefinitionAttributes;
  templateId: number;
  file: string;
  /** Where in `file` it is declared: the name of a `.cue` definition, the template of a CR (default 1:1). */
  at?: { line: number; column: number };
  /** Maps a CUE position in the template to the position in `file`. */
  position(p: CuePosition): { file: string; line: number; column: number };
  origin: 'builtin' | 'user';
  /** What the build-time index already read from the template, so a cold start need not ask the engine. */
  indexed?: { schema?: JsonSchema; annotations?: PatchAnnotations };
}
