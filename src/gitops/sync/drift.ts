/** Drift in words: what a plan of an already-synced revision would change, one line per object. */
import { formatRef } from '../../objects/objects.js';
import type { SyncPlan } from './plan.js';

/** "drifted Deployment/shop/web (/spec/replicas)", "missing Service/shop/web", "extra ConfigMap/…". */
export function driftOf(plan: SyncPlan, cluster?: string): string[] {
  const where = cluster ? `[${cluster}] ` : '';
  const out: string[] = [];
  for (const x of plan.items) {
    if (x.action === 'create') out.push(`${where}missing ${formatRef(x.ref)}`);
    else if (x.action === 'delete') out.push(`${where}extra ${formatRef(x.ref)}`);
    else if (x.action === 'update')
      out.push(`${where}drifted ${formatRef(x.ref)}${x.drift?.length ? ` (${x.drift.join(', ')})` : ''}`);
  }
  return out;
}

/** One line for an Event or a status: the first ten, and how many more. */
export function driftText(drift: string[], shown = 10): string {
  return drift.slice(0, shown).join('; ') + (drift.length > shown ? `; and ${drift.length - shown} more` : '');
}
