/**
 * A poll asked of every replica of a sharded controller: a webhook reaches one replica (through a Service), and
 * the commit may change apps of any shard. The replica that got it writes the source's poll request (a ConfigMap
 * in ferry-system, ferry-poll.<source>); every replica watches it and polls Git at once when another one wrote it.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import { writeRecord } from './codec.js';
import { LABEL_KIND, LABEL_SOURCE, recordSelector, SYSTEM_NAMESPACE } from './record-names.js';

const name = (source: string) => `ferry-poll.${source}`;

/** Asks every replica of the source to poll now. */
export async function requestPoll(cluster: ClusterPort, source: string, by: string): Promise<void> {
  await writeRecord(cluster, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: name(source),
      namespace: SYSTEM_NAMESPACE,
      labels: { [LABEL_KIND]: 'poll', [LABEL_SOURCE]: source },
    },
    data: { by, at: new Date().toISOString() },
  });
}

/** Calls `poll` whenever a replica other than `me` asks, until `signal` aborts (without a watch: never). */
export async function watchPollRequests(
  cluster: ClusterPort,
  source: string,
  me: string,
  poll: () => void,
  signal: AbortSignal,
  onError: (e: Error) => void,
): Promise<void> {
  if (!cluster.watch) return;
  let listed = false;
  await cluster.watch(
    { apiVersion: 'v1', kind: 'ConfigMap', namespace: SYSTEM_NAMESPACE, labelSelector: recordSelector('poll', source) },
    {
      // A relist after a gap may have missed a request: poll once then (not on the first list).
      reset: () => {
        if (listed) poll();
        listed = true;
      },
      event: (type, cm) => {
        if (type !== 'DELETED' && (cm.data as Record<string, string> | undefined)?.by !== me) poll();
      },
      error: onError,
    },
    signal,
  );
}
