// npm start: `ferry serve` on this repository's examples/ (ferry.yaml-less layout: examples/apps/<app>)
// against $KUBECONFIG, or, when none is given, against three local clusters it starts (building the
// binaries on first use): "ferry-dev" (the controller's own, current context, with Prometheus and the
// traffic simulator for the checkout example's canary analysis) and "ferry-dev-prod-eu" /
// "ferry-dev-prod-us" as contexts "prod-eu" / "prod-us", the clusters multi-env's prod topology names.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { devServeArgs } = await import(join(root, 'dist/src/localcluster/dev-serve-args.js'));
let kubeconfig = process.env.KUBECONFIG;
let rigPrometheusUrl;
if (!kubeconfig) {
  const { startDevClusters, DEV_CLUSTERS } = await import(join(root, 'dist/src/localcluster/dev.js'));
  const dev = await startDevClusters({ log: (l) => console.error(`[cluster] ${l}`) });
  kubeconfig = dev.kubeconfig;
  rigPrometheusUrl = dev.prometheusUrl;
  const names = DEV_CLUSTERS.map((c) => c.name);
  const contexts = DEV_CLUSTERS.map((c) => c.context).join(', ');
  console.error(`local clusters ${names.map((n) => `"${n}"`).join(', ')} are up (contexts ${contexts})`);
  console.error(`  KUBECONFIG=${kubeconfig} ./bin/ferry status`);
  console.error(`  stop them with: ${names.map((n) => `npm run cluster:down -- --name ${n}`).join('; ')}`);
}
const serve = devServeArgs({
  repo: root,
  port: process.env.PORT ?? '8080',
  extra: process.argv.slice(2),
  rigPrometheusUrl,
  envPrometheusUrl: process.env.FERRY_PROMETHEUS_URL,
});
console.error(serve.note);
const child = spawn(join(root, 'bin', 'ferry'), ['serve', ...serve.args], {
  stdio: 'inherit',
  env: { ...process.env, KUBECONFIG: kubeconfig },
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill('SIGTERM'));
child.on('exit', (code) => process.exit(code ?? 0));
