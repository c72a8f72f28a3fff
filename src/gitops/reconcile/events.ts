/** Kubernetes Events about an Application, in its namespace (as `kubectl describe` shows them). */
import { randomBytes } from 'node:crypto';
import { type ClusterPort, ClusterError } from '../../ports/cluster.js';
import { LABEL_APP, LABEL_ENV, SYSTEM_NAMESPACE } from '../store/record-names.js';

export interface AppEvent {
  app: string;
  env: string;
  namespace: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * Records an Event on the cluster that keeps the release's records. An app whose namespace exists only
 * on a remote placement (a topology policy) has no namespace there: its Events go to ferry-system.
 */
export async function recordEvent(cluster: ClusterPort, e: AppEvent, now = new Date()): Promise<void> {
  try {
    await cluster.create(eventObject(e, e.namespace, now));
  } catch (err) {
    if (!(err instanceof ClusterError) || err.status !== 404 || e.namespace === SYSTEM_NAMESPACE) throw err;
    await cluster.create(eventObject(e, SYSTEM_NAMESPACE, now));
  }
}

function eventObject(e: AppEvent, namespace: string, now: Date) {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${e.app}.${e.env}.${randomBytes(6).toString('hex')}`,
      namespace,
      labels: { [LABEL_APP]: e.app, [LABEL_ENV]: e.env },
    },
    involvedObject: { apiVersion: 'core.oam.dev/v1beta1', kind: 'Application', name: e.app, namespace },
    reason: e.reason,
    // The API server caps an Event's message at 1 KiB.
    message: `[${e.env}] ${e.message}`.slice(0, 1000),
    type: e.type,
    source: { component: 'ferry' },
    firstTimestamp: stamp,
    lastTimestamp: stamp,
    count: 1,
  };
}
