import type { Application, ComponentSpec } from '../model/application.js';

export interface ClusterVersion {
  major: string;
  minor: number;
  gitVersion: string;
  platform: string;
}

/** What a render is for: the app revision and the placement. */
export interface RenderTarget {
  /** Application revision number (context.appRevisionNum). */
  revision: number;
  /** Target cluster name ("local" for the hub). */
  cluster: string;
  /** Namespace the app's objects go to (topology may override the app's). */
  namespace: string;
  clusterVersion: ClusterVersion;
}

export const DEFAULT_CLUSTER_VERSION: ClusterVersion = {
  major: '1',
  minor: 36,
  gitVersion: 'v1.36.3',
  platform: 'linux/amd64',
};

export function appNamespace(app: Application): string {
  return app.metadata.namespace || 'default';
}

/** KubeVela's template `context` for one component. */
export function componentContext(app: Application, comp: ComponentSpec, target: RenderTarget): Record<string, unknown> {
  const appRevision = `${app.metadata.name}-v${target.revision}`;
  return {
    name: comp.name,
    namespace: target.namespace,
    cluster: target.cluster,
    appName: app.metadata.name,
    appRevision,
    appRevisionNum: target.revision,
    revision: `${comp.name}-v${target.revision}`,
    publishVersion: app.metadata.annotations?.['app.oam.dev/publishVersion'] ?? '',
    appLabels: app.metadata.labels ?? {},
    appAnnotations: app.metadata.annotations ?? {},
    components: app.spec.components,
    componentType: comp.type,
    replicaKey: '',
    workflowName: app.metadata.name,
    clusterVersion: target.clusterVersion,
  };
}
