/** Health of services, storage, autoscalers, ingresses, CRDs and namespaces. */
import type { KubeObject } from '../../objects/objects.js';
import { conditionOf, health, type Health } from './types.js';

export function serviceHealth(o: KubeObject): Health {
  if (o.spec?.type === 'LoadBalancer') {
    const ingress = (o.status?.loadBalancer as { ingress?: unknown[] } | undefined)?.ingress;
    if (!ingress || ingress.length === 0)
      return health('Progressing', 'PendingLoadBalancer', 'waiting for a load balancer address');
  }
  return health('Healthy', 'ServiceReady', '');
}

export function pvcHealth(o: KubeObject): Health {
  const phase = o.status?.phase;
  if (phase === 'Bound') return health('Healthy', 'Bound', 'claim is bound');
  if (phase === 'Lost') return health('Degraded', 'Lost', 'the bound volume is lost');
  return health('Progressing', String(phase ?? 'Pending'), 'claim is not bound yet');
}

export function hpaHealth(o: KubeObject): Health {
  const able = conditionOf(o, 'AbleToScale');
  if (able?.status === 'False') return health('Degraded', able.reason ?? 'NotAbleToScale', able.message ?? '');
  const active = conditionOf(o, 'ScalingActive');
  if (active?.status === 'False' && active.reason !== 'ScalingDisabled')
    return health('Degraded', active.reason ?? 'ScalingInactive', active.message ?? '');
  return health('Healthy', 'Scaling', '');
}

/** Without a controller behind it an Ingress has no address; like kstatus, it counts as healthy once accepted. */
export function ingressHealth(): Health {
  return health('Healthy', 'Accepted', '');
}

export function crdHealth(o: KubeObject): Health {
  const names = conditionOf(o, 'NamesAccepted');
  if (names?.status === 'False') return health('Degraded', names.reason ?? 'NamesNotAccepted', names.message ?? '');
  if (conditionOf(o, 'Established')?.status === 'True') return health('Healthy', 'Established', '');
  return health('Progressing', 'NotEstablished', 'waiting for the CRD to be established');
}

export function namespaceHealth(o: KubeObject): Health {
  if (o.status?.phase === 'Terminating') return health('Progressing', 'Terminating', 'namespace is being deleted');
  return health('Healthy', 'Active', '');
}
