/**
 * `ferry apply --self-heal`'s drift loop (the controller's is its machine's periodic `checking` state): every
 * interval, plan against the live state; drift on managed fields (or anything else out of sync) is reported and,
 * when healing is on, corrected by a sync. Stops when the signal aborts.
 */
import { formatRef } from '../../objects/objects.js';
import { abortableSleep } from '../../util/sleep.js';
import { planApp, syncApp, type SyncOptions, type SyncResult } from './sync.js';

export interface DriftReport {
  at: Date;
  drifted: { object: string; paths: string[] }[];
  healed?: SyncResult;
}

export async function watchDrift(
  opts: SyncOptions & { intervalMs: number; heal: boolean; signal: AbortSignal; onReport: (r: DriftReport) => void },
): Promise<void> {
  while (!opts.signal.aborted) {
    const { plan } = await planApp(opts);
    const drifted = plan.items
      .filter((i) => i.action === 'update' || i.action === 'create')
      .map((i) => ({ object: formatRef(i.ref), paths: i.drift ?? [i.action === 'create' ? 'missing' : 'changed'] }));
    if (drifted.length > 0) {
      const report: DriftReport = { at: new Date(), drifted };
      if (opts.heal) report.healed = await syncApp({ ...opts, force: true });
      opts.onReport(report);
    }
    await abortableSleep(opts.intervalMs, opts.signal);
  }
}
