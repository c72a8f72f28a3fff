/** Health of the workload kinds, by kstatus' rules (observed generation, replica counts, conditions). */
import type { KubeObject } from '../../objects/objects.js';
import { conditionOf, health, num, type Health } from './types.js';

function stale(o: KubeObject): Health | undefined {
  const observed = o.status?.observedGeneration;
  if (typeof o.metadata.generation === 'number' && typeof observed === 'number' && observed < o.metadata.generation) {
    return health(
      'Progressing',
      'ObservedGeneration',
      `waiting for the controller to observe generation ${o.metadata.generation}`,
    );
  }
  return undefined;
}

export function deploymentHealth(o: KubeObject): Health {
  const progressing = conditionOf(o, 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded')
    return health('Degraded', 'ProgressDeadlineExceeded', progressing.message ?? 'progress deadline exceeded');
  if (o.spec?.paused === true) return health('Suspended', 'Paused', 'deployment is paused');
  const s = stale(o);
  if (s) return s;
  const want = typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1;
  const st = o.status ?? {};
  if (num(st.updatedReplicas) < want)
    return health('Progressing', 'RolloutInProgress', `${num(st.updatedReplicas)} of ${want} replicas updated`);
  if (num(st.replicas) > num(st.updatedReplicas))
    return health(
      'Progressing',
      'RolloutInProgress',
      `${num(st.replicas) - num(st.updatedReplicas)} old replicas pending termination`,
    );
  if (num(st.availableReplicas) < num(st.updatedReplicas))
    return health(
      'Progressing',
      'RolloutInProgress',
      `${num(st.availableReplicas)} of ${num(st.updatedReplicas)} updated replicas available`,
    );
  return health('Healthy', 'Available', `${num(st.readyReplicas)}/${want} ready`);
}

export function statefulSetHealth(o: KubeObject): Health {
  const s = stale(o);
  if (s) return s;
  const want = typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1;
  const st = o.status ?? {};
  if (num(st.readyReplicas) < want)
    return health('Progressing', 'RolloutInProgress', `${num(st.readyReplicas)} of ${want} replicas ready`);
  if (st.updateRevision && st.currentRevision !== st.updateRevision)
    return health('Progressing', 'RolloutInProgress', 'waiting for the rolling update to finish');
  return health('Healthy', 'Ready', `${num(st.readyReplicas)}/${want} ready`);
}

export function daemonSetHealth(o: KubeObject): Health {
  const s = stale(o);
  if (s) return s;
  const st = o.status ?? {};
  const want = num(st.desiredNumberScheduled);
  if (num(st.updatedNumberScheduled) < want)
    return health('Progressing', 'RolloutInProgress', `${num(st.updatedNumberScheduled)} of ${want} pods updated`);
  if (num(st.numberAvailable) < want)
    return health('Progressing', 'RolloutInProgress', `${num(st.numberAvailable)} of ${want} pods available`);
  return health('Healthy', 'Ready', `${num(st.numberReady)}/${want} ready`);
}

export function replicaSetHealth(o: KubeObject): Health {
  const s = stale(o);
  if (s) return s;
  const want = typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1;
  const failure = conditionOf(o, 'ReplicaFailure');
  if (failure?.status === 'True') return health('Degraded', failure.reason ?? 'ReplicaFailure', failure.message ?? '');
  if (num(o.status?.availableReplicas) < want)
    return health('Progressing', 'ReplicasNotAvailable', `${num(o.status?.availableReplicas)} of ${want} available`);
  return health('Healthy', 'Available', `${want}/${want} available`);
}

export function jobHealth(o: KubeObject): Health {
  const failed = conditionOf(o, 'Failed');
  if (failed?.status === 'True')
    return health('Degraded', failed.reason ?? 'JobFailed', failed.message ?? 'job failed');
  const complete = conditionOf(o, 'Complete');
  if (complete?.status === 'True') return health('Healthy', 'Complete', `${num(o.status?.succeeded)} succeeded`);
  if (o.spec?.suspend === true) return health('Suspended', 'Suspended', 'job is suspended');
  return health('Progressing', 'Running', `${num(o.status?.active)} active, ${num(o.status?.succeeded)} succeeded`);
}

export function cronJobHealth(o: KubeObject): Health {
  if (o.spec?.suspend === true) return health('Suspended', 'Suspended', 'cron job is suspended');
  return health(
    'Healthy',
    'Scheduled',
    o.status?.lastScheduleTime ? `last run ${String(o.status.lastScheduleTime)}` : 'not run yet',
  );
}

export function podHealth(o: KubeObject): Health {
  const phase = String(o.status?.phase ?? 'Pending');
  if (phase === 'Succeeded') return health('Healthy', 'Succeeded', 'pod completed');
  if (phase === 'Failed') return health('Degraded', 'Failed', String(o.status?.message ?? 'pod failed'));
  const statuses = (o.status?.containerStatuses ?? []) as {
    name: string;
    state?: { waiting?: { reason?: string; message?: string } };
  }[];
  const stuck = statuses.find((c) =>
    ['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError', 'InvalidImageName'].includes(
      c.state?.waiting?.reason ?? '',
    ),
  );
  if (stuck)
    return health(
      'Degraded',
      stuck.state!.waiting!.reason!,
      `container ${stuck.name}: ${stuck.state?.waiting?.message ?? ''}`.trim(),
    );
  if (phase === 'Running' && conditionOf(o, 'Ready')?.status === 'True')
    return health('Healthy', 'Ready', 'pod is ready');
  return health('Progressing', phase, 'pod is not ready yet');
}
