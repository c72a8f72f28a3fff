/**
 * KWOK Stage objects for the local cluster: nodes become Ready and keep a
 * heartbeat lease, scheduled pods become Running and Ready, deleted pods go
 * away, finished Job pods succeed. Pods with any container image ending in
 * the "never ready" suffix (default `:bad`) run but never become Ready, so
 * progress deadlines and failed rollouts can be exercised for real.
 */

const neverReady = (suffix: string) => `[.spec.containers[].image | endswith(${JSON.stringify(suffix)})] | any`;

/** A scheduled pod starts: Ready with running containers, or (for the never-ready images) stuck unready. */
function podStarted(bad: string, ready: boolean): string {
  const why = ready ? '' : ', reason: ContainersNotReady';
  const container = ready
    ? 'ready: true, started: true, restartCount: 0, state: {running: {startedAt: {{ $now | Quote }}}}'
    : 'ready: false, started: false, restartCount: 0, state: {waiting: {reason: ImagePullBackOff, message: "simulated failure: image never becomes ready"}}';
  return `---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ${ready ? 'ferry-pod-ready' : 'ferry-pod-never-ready'}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: '.metadata.deletionTimestamp', operator: DoesNotExist}
    - {key: '.spec.nodeName', operator: Exists}
    - {key: '.status.podIP', operator: DoesNotExist}
    - key: '${bad}'
      operator: In
      values: ['${ready ? 'false' : 'true'}']
  delay: {durationMilliseconds: 200${ready ? ', jitterDurationMilliseconds: 600' : ''}}
  next:
    statusTemplate: |
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
      podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
      phase: ${ready ? 'Running' : 'Pending'}
      startTime: {{ $now | Quote }}
`;
}

export function kwokStages(neverReadySuffix: string): string {
  const bad = neverReady(neverReadySuffix);
  return `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ferry-node-ready
spec:
  resourceRef: {apiGroup: v1, kind: Node}
  selector:
    matchExpressions:
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: NotIn
      values: ['True']
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - {type: Ready, status: "True", reason: KubeletReady, message: "kwok fake node", lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}
      - {type: MemoryPressure, status: "False", reason: KubeletHasSufficientMemory, message: "", lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}
      - {type: DiskPressure, status: "False", reason: KubeletHasNoDiskPressure, message: "", lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}
      - {type: PIDPressure, status: "False", reason: KubeletHasSufficientPID, message: "", lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}
      - {type: NetworkUnavailable, status: "False", reason: RouteCreated, message: "", lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}
      addresses:
      - {type: InternalIP, address: {{ NodeIP | Quote }}}
      - {type: Hostname, address: {{ .metadata.name | Quote }}}
      allocatable: {cpu: "64", memory: 256Gi, pods: "250"}
      capacity: {cpu: "64", memory: 256Gi, pods: "250"}
      nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake}
      phase: Running
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ferry-node-heartbeat
spec:
  resourceRef: {apiGroup: v1, kind: Node}
  selector:
    matchExpressions:
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: In
      values: ['True']
  delay: {durationMilliseconds: 10000, jitterDurationMilliseconds: 5000}
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      {{ range .status.conditions }}
      - {type: {{ .type | Quote }}, status: {{ .status | Quote }}, reason: {{ .reason | Quote }}, message: {{ .message | Quote }}, lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ .lastTransitionTime | Quote }}}
      {{ end }}
  immediateNextStage: false
${podStarted(bad, true)}${podStarted(bad, false)}---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ferry-pod-complete
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: '.metadata.deletionTimestamp', operator: DoesNotExist}
    - {key: '.status.phase', operator: In, values: [Running]}
    - {key: '.metadata.ownerReferences.[].kind', operator: In, values: [Job]}
  delay: {durationMilliseconds: 1000}
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - {type: Ready, status: "False", reason: PodCompleted, lastTransitionTime: {{ $now | Quote }}}
      - {type: ContainersReady, status: "False", reason: PodCompleted, lastTransitionTime: {{ $now | Quote }}}
      containerStatuses:
      {{ range .spec.containers }}
      - {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: false, started: false, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}}
      {{ end }}
      phase: Succeeded
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ferry-pod-delete
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: '.metadata.deletionTimestamp', operator: Exists}
  delay: {durationMilliseconds: 100}
  next:
    finalizers: {empty: true}
    delete: true
`;
}
