/**
 * The traffic simulator process (`node dist/src/localcluster/traffic/main.js`), started by
 * `cluster:up --with-metrics`: it watches Pods, Services and HTTPRoutes, plays the requests the
 * annotations ask for, serves each pod's metrics at /metrics/<namespace>/<pod> on 127.0.0.1 and
 * writes the Prometheus file_sd targets for them, and serves the ingress controller's metrics at
 * /metrics/ingress-nginx, in the metric styles `--styles` names. It stands in for traffic as KWOK stands
 * in for the kubelet.
 */
import { createServer } from 'node:http';
import { renameSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { TRAFFIC_DEFAULTS } from '../../config/defaults.js';
import { KubeCluster } from '../../kube/kube-cluster.js';
import type { WatchQuery } from '../../ports/cluster.js';
import { SimMetrics } from './metrics.js';
import { seeded } from './rng.js';
import { Simulator, type Kind } from './simulator.js';
import { checkMetricStyles, parseMetricStyles } from './styles.js';

const o = new Command('ferry-traffic')
  .requiredOption('--kubeconfig <file>')
  .requiredOption('--port <port>', "port on 127.0.0.1 for the pods' metrics")
  .requiredOption('--targets <file>', 'Prometheus file_sd file to write')
  .option('--seed <n>', 'random seed', String(TRAFFIC_DEFAULTS.seed))
  .option('--tick-ms <ms>', 'how often requests are sent', String(TRAFFIC_DEFAULTS.tickMs))
  .option('--styles <list>', 'metric styles: pods, istio, nginx-ingress', checkMetricStyles, TRAFFIC_DEFAULTS.styles)
  .parse(process.argv)
  .opts<{ kubeconfig: string; port: string; targets: string; seed: string; tickMs: string; styles: string }>();

const port = Number(o.port);
const metrics = new SimMetrics(parseMetricStyles(o.styles));
const sim = new Simulator(seeded(Number(o.seed)), metrics);

let podsChanged = true;
function publishTargets(): void {
  if (!podsChanged) return;
  podsChanged = false;
  metrics.syncPods(sim.allPods());
  const tmp = `${o.targets}.tmp`;
  writeFileSync(tmp, JSON.stringify(metrics.podTargets(`127.0.0.1:${port}`), null, 1));
  renameSync(tmp, o.targets);
}

const cluster = KubeCluster.fromFile(o.kubeconfig);
const abort = new AbortController();
const kinds: [Kind, string][] = [
  ['Pod', 'v1'],
  ['Service', 'v1'],
  ['HTTPRoute', 'gateway.networking.k8s.io/v1'],
];
for (const [kind, apiVersion] of kinds) {
  const q: WatchQuery = { apiVersion, kind, namespace: '', labelSelector: '' };
  const changed = () => {
    if (kind === 'Pod') podsChanged = true;
  };
  void cluster.watch(
    q,
    {
      reset: (items) => {
        sim.reset(kind, items);
        changed();
      },
      event: (type, obj) => {
        if (type === 'DELETED') sim.remove(kind, obj);
        else sim.upsert(kind, obj);
        changed();
      },
      error: (e) => console.error(`traffic: watching ${kind}: ${e.message}`),
    },
    abort.signal,
  );
}

let last = performance.now();
const timer = setInterval(() => {
  publishTargets();
  metrics.syncFlows(sim.current().flows);
  const now = performance.now();
  sim.tick((now - last) / 1000);
  last = now;
}, Number(o.tickMs));

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const send = (code: number, body: string, type = 'text/plain; version=0.0.4') => {
    res.writeHead(code, { 'content-type': type });
    res.end(body);
  };
  const path = url.split('?')[0]!;
  if (path.startsWith('/metrics')) {
    void metrics.text(path).then((t) => (t === undefined ? send(404, `nothing at ${path}\n`) : send(200, t)));
  } else if (url === '/flows') {
    const { flows, arrival } = sim.current();
    send(
      200,
      JSON.stringify(
        {
          flows: flows.map((f) => ({
            ...f,
            backends: f.backends.map((b) => ({ ...b, pods: b.pods.map((p) => p.name) })),
          })),
          arrival: Object.fromEntries(arrival),
        },
        null,
        1,
      ),
      'application/json',
    );
  } else if (url === '/healthz') {
    send(200, 'ok\n');
  } else {
    send(404, 'not found\n');
  }
});
server.listen(port, '127.0.0.1', () =>
  console.error(`traffic: serving ${o.styles} metrics on http://127.0.0.1:${port}, seed ${o.seed}`),
);

function stop(): void {
  clearInterval(timer);
  abort.abort();
  server.close();
  void cluster.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
