// npm start: `ferry serve` on this repository's examples/ (ferry.yaml-less layout: examples/apps/<app>)
// against $KUBECONFIG, or a local cluster "ferry-dev" started (and its binaries built) when none is given.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let kubeconfig = process.env.KUBECONFIG;
if (!kubeconfig) {
  const { startCluster } = await import(join(root, 'dist/src/localcluster/cluster.js'));
  // Three fake nodes: the stateful example spreads its three replicas over distinct nodes.
  const state = await startCluster({ name: 'ferry-dev', nodes: 3, log: (l) => console.error(`[cluster] ${l}`) });
  kubeconfig = state.kubeconfig;
  console.error(`local cluster "ferry-dev" is up; KUBECONFIG=${kubeconfig} (stop it with: npm run cluster:down -- --name ferry-dev)`);
}
const args = ['serve', '--repo', root, '--path', 'examples', '--interval', '30s', '--no-leader-elect', '--port', process.env.PORT ?? '8080', ...process.argv.slice(2)];
const child = spawn(join(root, 'bin', 'ferry'), args, { stdio: 'inherit', env: { ...process.env, KUBECONFIG: kubeconfig } });
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill('SIGTERM'));
child.on('exit', (code) => process.exit(code ?? 0));
