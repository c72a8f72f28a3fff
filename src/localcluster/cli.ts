/**
 * `npm run cluster:up|cluster:down|cluster:status -- [--name NAME]`: the local control plane, and
 * `cluster:stop|cluster:start|cluster:restart -- --component C`: one of its components, on the same ports.
 */
import { Command } from 'commander';
import { CLUSTER_DEFAULTS } from '../config/defaults.js';
import { startCluster, stopCluster, type StoppedComponent } from './cluster.js';
import { clusterStatus } from './cluster-status.js';
import { COMPONENTS, restartComponent, startComponent, stopComponent, type ComponentChange } from './components.js';
import { checkMetricStyles, parseMetricStyles } from './traffic/styles.js';

const program = new Command('cluster').description(
  'a local Kubernetes control plane on 127.0.0.1 (etcd, kube-apiserver, controller-manager, scheduler, KWOK)',
);
const name = (o: { name: string }) => o.name;

/** Runs `fn` with process.stdout's writes sent to stderr. */
async function withStdoutOnStderr<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

program
  .command('up')
  .description('start (or reuse) a local cluster and print its kubeconfig path')
  .option('-n, --name <name>', 'cluster name (several can run at once)', CLUSTER_DEFAULTS.name)
  .option('--nodes <count>', 'fake nodes', String(CLUSTER_DEFAULTS.nodes))
  .option(
    '--never-ready-suffix <suffix>',
    'pods whose image ends with this never become Ready',
    CLUSTER_DEFAULTS.neverReadySuffix,
  )
  .option('--with-metrics', 'also start Prometheus and the traffic simulator')
  .option('--traffic-seed <n>', "the traffic simulator's random seed", String(CLUSTER_DEFAULTS.trafficSeed))
  .option(
    '--metric-styles <list>',
    'the series the simulator exposes: pods, istio, nginx-ingress (comma-separated)',
    checkMetricStyles,
    CLUSTER_DEFAULTS.metricStyles,
  )
  .action(
    async (o: {
      name: string;
      nodes: string;
      neverReadySuffix: string;
      withMetrics?: boolean;
      trafficSeed: string;
      metricStyles: string;
    }) => {
      // The kubeconfig path is the last line on stdout (`KUBECONFIG=$(npm run -s cluster:up | tail -1)`):
      // whatever else would reach stdout while the cluster starts goes to stderr.
      const state = await withStdoutOnStderr(() =>
        startCluster({
          name: name(o),
          nodes: Number(o.nodes),
          neverReadySuffix: o.neverReadySuffix,
          withMetrics: o.withMetrics ?? false,
          trafficSeed: Number(o.trafficSeed),
          metricStyles: parseMetricStyles(o.metricStyles),
          log: (l) => console.error(l),
        }),
      );
      if (state.prometheusUrl) console.error(`Prometheus: ${state.prometheusUrl}`);
      process.stdout.write(`${state.kubeconfig}\n`);
    },
  );
/** A command on one cluster, chosen by --name. */
const onCluster = (command: string, description: string) =>
  program.command(command).description(description).option('-n, --name <name>', 'cluster name', CLUSTER_DEFAULTS.name);

/** `stopped etcd (pid 1), kube-apiserver (pid 2); already gone: prometheus (pid 3)`. */
function describeDown(name: string, components: StoppedComponent[]): string {
  if (components.length === 0) return `no cluster "${name}"`;
  const list = (outcome: StoppedComponent['outcome']) =>
    components
      .filter((c) => c.outcome === outcome)
      .map((c) => `${c.name} (pid ${c.pid})`)
      .join(', ');
  const parts = [
    ['stopped ', list('stopped')],
    ['already stopped: ', list('already stopped')],
    ['already gone: ', list('already gone')],
  ];
  return parts
    .filter(([, names]) => names)
    .map(([label, names]) => `${label}${names}`)
    .join('; ');
}

onCluster('down', 'stop a local cluster and remove its files').action(async (o: { name: string }) => {
  console.error(describeDown(name(o), await stopCluster(name(o))));
});
onCluster('status', 'show whether a local cluster runs and is ready').action(async (o: { name: string }) => {
  const s = await clusterStatus(name(o));
  console.log(JSON.stringify(s, null, 2));
  process.exitCode = s.ready ? 0 : 1;
});

const seconds = (ms = 0) => `${(ms / 1000).toFixed(1)} s`;
const port = (c: ComponentChange) => (c.port !== undefined ? `, port ${c.port}` : '');

/** One line on what a stop, start or restart did. */
function describeChange(c: ComponentChange): string {
  switch (c.action) {
    case 'started':
      return `started ${c.name} (pid ${c.pid}${port(c)}), answering after ${seconds(c.readyMs)}`;
    case 'restarted':
      return `restarted ${c.name} (pid ${c.previousPid} → ${c.pid}${port(c)}), answering after ${seconds(c.readyMs)}`;
    case 'already running':
      return `${c.name} already runs (pid ${c.pid}${port(c)})`;
    case 'stopped':
      return `stopped ${c.name} (pid ${c.pid}); cluster:start brings it back${c.port ? ` on port ${c.port}` : ''}`;
    case 'already stopped':
      return `${c.name} was already stopped`;
    case 'killed':
      return `killed ${c.name} (pid ${c.pid})`;
    default:
      return `${c.name} (pid ${c.pid}) was already gone; marked stopped`;
  }
}

/** A command on one component of a cluster, chosen by --name and --component. */
const onComponent = (command: string, description: string) =>
  onCluster(command, description).requiredOption('-c, --component <component>', COMPONENTS.join(', '));
type ComponentOptions = { name: string; component: string; timeout: string };
const timeout = ['--timeout <seconds>', 'how long to wait until it answers', '120'] as const;

onComponent('stop', 'stop one component; its record, port and the kubeconfig stay').action(
  async (o: ComponentOptions) => console.error(describeChange(await stopComponent(name(o), o.component))),
);
onComponent('start', 'start a stopped component again on its port and wait until it answers')
  .option(...timeout)
  .action(async (o: ComponentOptions) => {
    const c = await startComponent(name(o), o.component, { timeoutSeconds: Number(o.timeout) });
    console.error(describeChange(c));
  });
onComponent('restart', 'stop and start one component on the same port, and wait until it answers')
  .option(...timeout)
  .action(async (o: ComponentOptions) => {
    const c = await restartComponent(name(o), o.component, { timeoutSeconds: Number(o.timeout) });
    console.error(describeChange(c));
  });

program.parseAsync(process.argv).catch((e: Error) => {
  console.error(`cluster: ${e.message}`);
  process.exit(1);
});
