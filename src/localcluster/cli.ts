/** `npm run cluster:up|cluster:down|cluster:status -- [--name NAME]`: the local control plane. */
import { Command } from 'commander';
import { CLUSTER_DEFAULTS } from '../config/defaults.js';
import { clusterStatus, startCluster, stopCluster } from './cluster.js';
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

onCluster('down', 'stop a local cluster and remove its files').action(async (o: { name: string }) => {
  const stopped = await stopCluster(name(o));
  console.error(
    stopped.length > 0
      ? `stopped ${stopped.map((c) => `${c.name} (pid ${c.pid})`).join(', ')}`
      : `no cluster "${name(o)}"`,
  );
});
onCluster('status', 'show whether a local cluster runs and is ready').action(async (o: { name: string }) => {
  const s = await clusterStatus(name(o));
  console.log(JSON.stringify(s, null, 2));
  process.exitCode = s.ready ? 0 : 1;
});

program.parseAsync(process.argv).catch((e: Error) => {
  console.error(`cluster: ${e.message}`);
  process.exit(1);
});
