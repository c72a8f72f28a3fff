/** computeHealth(obj): a registry of health rules keyed by group/Kind; unknown kinds use their Ready condition. */
import { groupOf, type KubeObject } from '../../objects/objects.js';
import { crdHealth, hpaHealth, ingressHealth, namespaceHealth, pvcHealth, serviceHealth } from './others.js';
import { conditionOf, health, type Health } from './types.js';
import {
  cronJobHealth,
  daemonSetHealth,
  deploymentHealth,
  jobHealth,
  podHealth,
  replicaSetHealth,
  statefulSetHealth,
} from './workloads.js';

const RULES: Record<string, (o: KubeObject) => Health> = {
  'apps/Deployment': deploymentHealth,
  'apps/StatefulSet': statefulSetHealth,
  'apps/DaemonSet': daemonSetHealth,
  'apps/ReplicaSet': replicaSetHealth,
  'batch/Job': jobHealth,
  'batch/CronJob': cronJobHealth,
  '/Pod': podHealth,
  '/Service': serviceHealth,
  '/PersistentVolumeClaim': pvcHealth,
  'autoscaling/HorizontalPodAutoscaler': hpaHealth,
  'networking.k8s.io/Ingress': ingressHealth,
  'apiextensions.k8s.io/CustomResourceDefinition': crdHealth,
  '/Namespace': namespaceHealth,
};

export function computeHealth(live: KubeObject | undefined): Health {
  if (!live) return health('Missing', 'NotFound', 'the object does not exist');
  if (live.metadata.deletionTimestamp) return health('Progressing', 'Terminating', 'the object is being deleted');
  const rule = RULES[`${groupOf(live.apiVersion)}/${live.kind}`];
  if (rule) return rule(live);
  const ready = conditionOf(live, 'Ready');
  if (ready?.status === 'True') return health('Healthy', ready.reason ?? 'Ready', ready.message ?? '');
  if (ready?.status === 'False') return health('Degraded', ready.reason ?? 'NotReady', ready.message ?? '');
  if (ready) return health('Progressing', ready.reason ?? 'Unknown', ready.message ?? '');
  return live.status === undefined || Object.keys(live.status).length === 0
    ? health('Healthy', 'Exists', '')
    : health('Unknown', 'NoRule', `no health rule for ${live.kind}`);
}
