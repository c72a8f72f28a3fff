/**
 * `ferry slo <app> -e ENV [-o json]`: what the SLO autoscaler of an app's component decided last — the
 * objective and whether it holds, the observed latency and request rate, the replicas and the reason.
 */
import type { ReleaseFlags } from './releases.js';
import { readState, type StateSummary } from '../gitops/store/release-store.js';
import { decodeStatus, type SloStatus } from '../traits/slo/status.js';
import { EXIT_INVALID, EXIT_OK, formatTable, type CliIO } from './io.js';
import { age, releaseOf } from './releases.js';

/** Each component's SLO status, from the release's trait states. */
export function slosOf(summary: StateSummary): { component: string; status: SloStatus }[] {
  return (summary.traits ?? []).flatMap((t) => {
    const status = t.trait === 'slo' ? decodeStatus(t.progress) : undefined;
    return status ? [{ component: t.component, status }] : [];
  });
}

const ms = (v: number | undefined) => (v === undefined ? '-' : `${v >= 100 ? Math.round(v) : v.toFixed(1)} ms`);

export function sloReport(app: string, env: string, slos: ReturnType<typeof slosOf>, now = Date.now()): string[] {
  const rows = slos.map(({ component, status: s }) => [
    component,
    s.objective,
    s.state,
    ms(s.observedMs),
    s.rps === undefined ? '-' : `${s.rps.toFixed(1)}/s`,
    s.desired === s.replicas ? String(s.replicas) : `${s.replicas} → ${s.desired}`,
    age(s.at, now),
  ]);
  return [
    `${app} (${env})`,
    formatTable([['COMPONENT', 'OBJECTIVE', 'STATE', 'OBSERVED', 'RATE', 'REPLICAS', 'EVALUATED'], ...rows]).trimEnd(),
    ...slos.map(({ component, status: s }) => `${component}: ${s.reason}`),
  ];
}

export async function runSlo(app: string, f: ReleaseFlags & { output?: string }, io: CliIO): Promise<number> {
  const found = await releaseOf(app, f, io);
  if (!found) return EXIT_INVALID;
  const { env, cluster, scope } = found;
  const summary = (await readState(cluster, scope)).summary;
  const slos = summary ? slosOf(summary) : [];
  if (slos.length === 0) {
    io.err(`error: ${app} in ${env} has no slo evaluated yet (status: ${summary?.status ?? 'not recorded'})\n`);
    return EXIT_INVALID;
  }
  if (f.output === 'json') {
    const shown = slos.map(({ component, status: { memory: _memory, ...s } }) => ({ component, ...s }));
    io.out(`${JSON.stringify(shown, null, 2)}\n`);
  } else io.out(`${sloReport(app, env, slos).join('\n')}\n`);
  return EXIT_OK;
}
