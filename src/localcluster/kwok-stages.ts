/**
 * KWOK Stage objects for the local cluster: nodes become Ready and keep a
 * heartbeat lease, scheduled pods become Running and Ready, deleted pods go
 * away, finished Job pods succeed. Pods with any container image ending in
 * the "never ready" suffix (default `:bad`) run but never become Ready, so
 * progress deadlines and failed rollouts can be exercised for real.
 */

const neverReady = (suffix: string) => `[.spec.containers[].image | endswith(${JSON.stringify(suffix)})] | any`;

/**
 * One Stage: the objects it selects (kind, match expressions), after how long, and what happens `next` (YAML under it).
 */
function stage(name: string, kind: 'Node' | 'Pod', match: string[], delay: string | undefined, next: string): string {
  return `---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ${name}
spec:
  resourceRef: {apiGroup: v1, kind: ${kind}}
  selector:
    matchExpressions:
${match.map((m) => `    - ${m}\n`).join('')}${delay ? `  delay: {${delay}}\n` : ''}  next:
${next}`;
}

/** Pods one fake node holds (its allocatable `pods`): N pods need N / this many nodes, and room to surge. */
export const PODS_PER_NODE = 250;

const NOT_DELETED = "{key: '.metadata.deletionTimestamp', operator: DoesNotExist}";
const NODE_READY = `key: '.status.conditions.[] | select( .type == "Ready" ) | .status'`;
/** A fake node's condition heartbeat: both times are now. */
const BEAT_NOW = 'lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}';
/** A heartbeat that keeps a node condition as it is (only lastHeartbeatTime moves). */
const CONDITION_KEPT =
  '{type: {{ .type | Quote }}, status: {{ .status | Quote }}, reason: {{ .reason | Quote }}, ' +
  'message: {{ .message | Quote }}, lastHeartbeatTime: {{ $now | Quote }}, ' +
  'lastTransitionTime: {{ .lastTransitionTime | Quote }}}';
/** The pod IP KWOK allocates on the pod's node. */
const POD_IP =
  'PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ' +
  '( or .metadata.name "" ) ( or .metadata.namespace "" )';
/** The status of a finished Job pod's container. */
const CONTAINER_COMPLETED =
  'ready: false, started: false, restartCount: 0, ' +
  'state: {terminated: {exitCode: 0, reason: Completed, ' +
  'startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}';

/** A scheduled pod starts: Ready with running containers, or (for the never-ready images) stuck unready. */
function podStarted(bad: string, ready: boolean): string {
  const why = ready ? '' : ', reason: ContainersNotReady';
  const container = ready
    ? 'ready: true, started: true, restartCount: 0, state: {running: {startedAt: {{ $now | Quote }}}}'
    : 'ready: false, started: false, restartCount: 0, ' +
      'state: {waiting: {reason: ImagePullBackOff, message: "simulated failure: image never becomes ready"}}';
  return stage(
    ready ? 'ferry-pod-ready' : 'ferry-pod-never-ready',
    'Pod',
    [
      NOT_DELETED,
      "{key: '.spec.nodeName', operator: Exists}",
      "{key: '.status.podIP', operator: DoesNotExist}",
      `key: '${bad}'\n      operator: In\n      values: ['${ready ? 'false' : 'true'}']`,
    ],
    `durationMilliseconds: 200${ready ? ', jitterDurationMilliseconds: 600' : ''}`,
    `    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - {type: Initialized, status: "True", lastTransitionTime: {{ $now | Quote }}}
      - {type: Ready, status: "${ready ? 'True' : 'False'}"${why}, lastTransitionTime: {{ $now | Quote }}}
      - {type: ContainersReady, status: "${ready ? 'True' : 'False'}"${why}, lastTransitionTime: {{ $now | Quote }}}
      - {type: PodScheduled, status: "True", lastTransitionTime: {{ $now | Quote }}}
      containerStatuses:
      {{ range .spec.containers }}
      - {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ${container}}
      {{ end }}
      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      podIP: {{ ${POD_IP} | Quote }}
      phase: ${ready ? 'Running' : 'Pending'}
      startTime: {{ $now | Quote }}
`,
  );
}

export function kwokStages(neverReadySuffix: string): string {
  const bad = neverReady(neverReadySuffix);
  const stages = [
    stage(
      'ferry-node-ready',
      'Node',
      [`${NODE_READY}\n      operator: NotIn\n      values: ['True']`],
      undefined,
      `    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - {type: Ready, status: "True", reason: KubeletReady, message: "kwok fake node", ${BEAT_NOW}}
      - {type: MemoryPressure, status: "False", reason: KubeletHasSufficientMemory, message: "", ${BEAT_NOW}}
      - {type: DiskPressure, status: "False", reason: KubeletHasNoDiskPressure, message: "", ${BEAT_NOW}}
      - {type: PIDPressure, status: "False", reason: KubeletHasSufficientPID, message: "", ${BEAT_NOW}}
      - {type: NetworkUnavailable, status: "False", reason: RouteCreated, message: "", ${BEAT_NOW}}
      addresses:
      - {type: InternalIP, address: {{ NodeIP | Quote }}}
      - {type: Hostname, address: {{ .metadata.name | Quote }}}
      allocatable: {cpu: "64", memory: 256Gi, pods: "${PODS_PER_NODE}"}
      capacity: {cpu: "64", memory: 256Gi, pods: "${PODS_PER_NODE}"}
      nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake}
      phase: Running
`,
    ),
    stage(
      'ferry-node-heartbeat',
      'Node',
      [`${NODE_READY}\n      operator: In\n      values: ['True']`],
      'durationMilliseconds: 10000, jitterDurationMilliseconds: 5000',
      `    statusTemplate: |
      {{ $now := Now }}
      conditions:
      {{ range .status.conditions }}
      - ${CONDITION_KEPT}
      {{ end }}
  immediateNextStage: false
`,
    ),
    podStarted(bad, true),
    podStarted(bad, false),
    stage(
      'ferry-pod-complete',
      'Pod',
      [
        NOT_DELETED,
        "{key: '.status.phase', operator: In, values: [Running]}",
        "{key: '.metadata.ownerReferences.[].kind', operator: In, values: [Job]}",
      ],
      'durationMilliseconds: 1000',
      `    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - {type: Ready, status: "False", reason: PodCompleted, lastTransitionTime: {{ $now | Quote }}}
      - {type: ContainersReady, status: "False", reason: PodCompleted, lastTransitionTime: {{ $now | Quote }}}
      containerStatuses:
      {{ range .spec.containers }}
      - {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ${CONTAINER_COMPLETED}}
      {{ end }}
      phase: Succeeded
`,
    ),
    stage(
      'ferry-pod-delete',
      'Pod',
      ["{key: '.metadata.deletionTimestamp', operator: Exists}"],
      'durationMilliseconds: 100',
      '    finalizers: {empty: true}\n    delete: true\n',
    ),
  ];
  return stages.join('').replace(/^---\n/, '');
}
