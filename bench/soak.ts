/**
 * npm run bench:soak [-- --minutes 30 --apps 1000 --commits-per-minute 10 --mark-minutes 5]: `ferry serve` on a
 * generated repository while commits arrive (soak-run.ts), on a local cluster started for the run (or
 * FERRY_BENCH_KUBECONFIG). Prints RSS and open file descriptors at each mark, commit → applied p50/p99, errors,
 * and each target: RSS growth after the first mark < 10 %, p99 < 5 s, no error.
 */
import { parseArgs } from 'node:util';
import { startCluster, stopCluster } from '../src/localcluster/cluster.js';
import { nodesFor } from './cluster-size.js';
import { runSoak } from './soak-run.js';

const { values: a } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    apps: { type: 'string', default: '1000' },
    'commits-per-minute': { type: 'string', default: '10' },
    'mark-minutes': { type: 'string', default: '5' },
  },
});
const own = !process.env.FERRY_BENCH_KUBECONFIG;
const kubeconfig =
  process.env.FERRY_BENCH_KUBECONFIG ??
  (await startCluster({ name: 'ferry-soak', nodes: nodesFor(Number(a.apps)) })).kubeconfig;
try {
  const o = {
    kubeconfig,
    apps: Number(a.apps),
    minutes: Number(a.minutes),
    commitsPerMinute: Number(a['commits-per-minute']),
    markMinutes: Number(a['mark-minutes']),
    log: (l: string) => console.error(l),
  };
  const r = await runSoak(o);
  const first = r.marks.find((m) => m.minute >= o.markMinutes) ?? r.marks[0]!;
  const last = r.marks.at(-1)!;
  const growth = (100 * (last.rssMiB - first.rssMiB)) / first.rssMiB;
  const ok = (b: boolean) => (b ? 'met' : 'NOT met');
  console.log(
    `bench:soak (${o.apps} apps, ${o.commitsPerMinute} commits/min for ${o.minutes} min, webhooks, ` +
      'ferry serve as a process, 2-core VM)',
  );
  console.log(`  start → all synced:                  ${r.syncSeconds.toFixed(1)} s`);
  console.log('  minute   RSS MiB   open fds');
  for (const m of r.marks)
    console.log(
      `  ${String(m.minute).padStart(6)}   ${m.rssMiB.toFixed(0).padStart(7)}   ${String(m.fds).padStart(8)}`,
    );
  console.log(
    `  ${`RSS growth, minute ${first.minute} → ${last.minute}:`.padEnd(37)}${growth.toFixed(1)} %   ` +
      `(target < 10 %: ${ok(growth < 10)})`,
  );
  console.log(
    `  commit → applied (${r.applied} of ${r.commits}):       p50 ${r.p50.toFixed(2)} s, p99 ${r.p99.toFixed(2)} s   ` +
      `(target p99 < 5 s: ${ok(r.p99 < 5)})`,
  );
  console.log(`  errors:                              ${r.errors.length}   (target 0: ${ok(r.errors.length === 0)})`);
  for (const e of r.errors.slice(0, 5)) console.log(`    ${e}`);
} finally {
  if (own) await stopCluster('ferry-soak');
}
