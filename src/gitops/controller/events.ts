/** Kubernetes Events about an Application, in its namespace (as `kubectl describe` shows them). */
import { randomBytes } from 'node:crypto';
import type { ClusterPort } from '../../ports/cluster.js';

export interface AppEvent {
  app: string;
  env: string;
  namespace: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export async function recordEvent(cluster: ClusterPort, e: AppEvent, now = new Date()): Promise<void> {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
  await cluster.create({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${e.app}.${e.env}.${randomBytes(6).toString('hex')}`,
      namespace: e.namespace,
      labels: { 'ferry.dev/app': e.app, 'ferry.dev/environment': e.env },
    },
    involvedObject: { apiVersion: 'core.oam.dev/v1beta1', kind: 'Application', name: e.app, namespace: e.namespace },
    reason: e.reason,
    // The API server caps an Event's message at 1 KiB.
    message: `[${e.env}] ${e.message}`.slice(0, 1000),
    type: e.type,
    source: { component: 'ferry' },
    firstTimestamp: stamp,
    lastTimestamp: stamp,
    count: 1,
  });
}
