// npm start: `ferry serve` on this repository's examples/ (ferry.yaml-less layout: examples/apps/<app>)
// against $KUBECONFIG, or, when none is given, against three local clusters it starts (building the
// binaries on first use): "ferry-dev" (the controller's own, current context) and "ferry-dev-prod-eu" /
// "ferry-dev-prod-us" as contexts "prod-eu" / "prod-us", the clusters multi-env's prod topology names.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let kubeconfig = process.env.KUBECONFIG;
if (!kubeconfig) {
  const { startDevClusters, DEV_CLUSTERS } = await import(join(root, 'dist/src/localcluster/dev.js'));
  const dev = await startDevClusters({ log: (l) => console.error(`[cluster] ${l}`) });
  kubeconfig = dev.kubeconfig;
  const names = DEV_CLUSTERS.map((c) => c.name);
  const contexts = DEV_CLUSTERS.map((c) => c.context).join(', ');
  console.error(`local clusters ${names.map((n) => `"${n}"`).join(', ')} are up (contexts ${contexts})`);
  console.error(`  KUBECONFIG=${kubeconfig} ./bin/ferry status`);
  console.error(`  stop them with: ${names.map((n) => `npm run cluster:down -- --name ${n}`).join('; ')}`);
}
const args = [
  'serve',
  '--repo',
  root,
  '--path',
  'examples',
  '--interval',
  '30s',
  '--no-leader-elect',
  '--port',
  process.env.PORT ?? '8080',
  ...process.argv.slice(2),
];
const child = spawn(join(root, 'bin', 'ferry'), args, {
  stdio: 'inherit',
  env: { ...process.env, KUBECONFIG: kubeconfig },
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill('SIGTERM'));
child.on('exit', (code) => process.exit(code ?? 0));
