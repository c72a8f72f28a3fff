import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../objects/objects.js';
import { computeHealth } from './compute.js';

const obj = (
  apiVersion: string,
  kind: string,
  spec: Record<string, unknown>,
  status: Record<string, unknown>,
  generation = 1,
): KubeObject => ({ apiVersion, kind, metadata: { name: 'x', generation }, spec, status });
const dep = (spec: Record<string, unknown>, status: Record<string, unknown>, gen = 1) =>
  obj('apps/v1', 'Deployment', spec, status, gen);

describe('computeHealth', () => {
  it.each([
    ['missing', undefined, 'Missing', 'NotFound'],
    [
      'deployment ready',
      dep(
        { replicas: 3 },
        { observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3, readyReplicas: 3 },
      ),
      'Healthy',
      'Available',
    ],
    [
      'deployment not observed',
      dep({ replicas: 3 }, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, 2),
      'Progressing',
      'ObservedGeneration',
    ],
    [
      'deployment rolling',
      dep({ replicas: 3 }, { observedGeneration: 1, replicas: 4, updatedReplicas: 2, availableReplicas: 3 }),
      'Progressing',
      'RolloutInProgress',
    ],
    [
      'deployment old replicas left',
      dep({ replicas: 3 }, { observedGeneration: 1, replicas: 4, updatedReplicas: 3, availableReplicas: 3 }),
      'Progressing',
      'RolloutInProgress',
    ],
    [
      'deployment deadline',
      dep(
        { replicas: 3 },
        {
          observedGeneration: 1,
          conditions: [
            { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'too slow' },
          ],
        },
      ),
      'Degraded',
      'ProgressDeadlineExceeded',
    ],
    ['deployment paused', dep({ replicas: 3, paused: true }, { observedGeneration: 1 }), 'Suspended', 'Paused'],
    [
      'statefulset revision pending',
      obj(
        'apps/v1',
        'StatefulSet',
        { replicas: 2 },
        { observedGeneration: 1, readyReplicas: 2, currentRevision: 'a', updateRevision: 'b' },
      ),
      'Progressing',
      'RolloutInProgress',
    ],
    [
      'daemonset ready',
      obj(
        'apps/v1',
        'DaemonSet',
        {},
        {
          observedGeneration: 1,
          desiredNumberScheduled: 2,
          updatedNumberScheduled: 2,
          numberAvailable: 2,
          numberReady: 2,
        },
      ),
      'Healthy',
      'Ready',
    ],
    [
      'job failed',
      obj('batch/v1', 'Job', {}, { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] }),
      'Degraded',
      'BackoffLimitExceeded',
    ],
    [
      'job complete',
      obj('batch/v1', 'Job', {}, { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }),
      'Healthy',
      'Complete',
    ],
    ['cronjob suspended', obj('batch/v1', 'CronJob', { suspend: true }, {}), 'Suspended', 'Suspended'],
    [
      'pod image pull',
      obj(
        'v1',
        'Pod',
        {},
        { phase: 'Pending', containerStatuses: [{ name: 'a', state: { waiting: { reason: 'ImagePullBackOff' } } }] },
      ),
      'Degraded',
      'ImagePullBackOff',
    ],
    [
      'pod ready',
      obj('v1', 'Pod', {}, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }),
      'Healthy',
      'Ready',
    ],
    ['lb service pending', obj('v1', 'Service', { type: 'LoadBalancer' }, {}), 'Progressing', 'PendingLoadBalancer'],
    ['pvc bound', obj('v1', 'PersistentVolumeClaim', {}, { phase: 'Bound' }), 'Healthy', 'Bound'],
    [
      'hpa cannot scale',
      obj(
        'autoscaling/v2',
        'HorizontalPodAutoscaler',
        {},
        { conditions: [{ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale' }] },
      ),
      'Degraded',
      'FailedGetScale',
    ],
    [
      'crd established',
      obj(
        'apiextensions.k8s.io/v1',
        'CustomResourceDefinition',
        {},
        { conditions: [{ type: 'Established', status: 'True' }] },
      ),
      'Healthy',
      'Established',
    ],
    ['namespace terminating', obj('v1', 'Namespace', {}, { phase: 'Terminating' }), 'Progressing', 'Terminating'],
    [
      'custom resource not ready',
      obj('example.dev/v1', 'Widget', {}, { conditions: [{ type: 'Ready', status: 'False', reason: 'Broken' }] }),
      'Degraded',
      'Broken',
    ],
    ['configmap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } as KubeObject, 'Healthy', 'Exists'],
  ])('%s', (_name, o, status, reason) => {
    expect(computeHealth(o as KubeObject | undefined)).toMatchObject({ status, reason });
  });
});
