/** Waits until objects are healthy: fails fast on Degraded, gives up at a timeout. */
import type { ClusterPort } from '../../ports/cluster.js';
import { computeHealth } from '../health/compute.js';
import type { HealthCheck } from '../health/types.js';

export type { HealthCheck };
import { formatRef, refOf, type KubeObject } from '../../objects/objects.js';

/** Health of one live object; custom rules (definitions' healthPolicy) plug in here. */

export async function waitHealthy(
  cluster: ClusterPort,
  objects: KubeObject[],
  opts: { timeoutMs?: number; health?: HealthCheck },
): Promise<{ ok: boolean; errors: string[] }> {
  const check = opts.health ?? ((live) => computeHealth(live));
  const deadline = Date.now() + (opts.timeoutMs ?? 5 * 60_000);
  // Reads back off (250 ms doubling to 4 s): a thousand releases verifying at once stay cheap.
  let pause = 250;
  for (;;) {
    const states = await Promise.all(objects.map(async (o) => ({ o, h: check(await cluster.get(refOf(o)), o) })));
    const degraded = states.filter((s) => s.h.status === 'Degraded');
    if (degraded.length > 0)
      return {
        ok: false,
        errors: degraded.map(
          (s) => `${formatRef(refOf(s.o))} is Degraded: ${s.h.reason}${s.h.message ? ` (${s.h.message})` : ''}`,
        ),
      };
    const pending = states.filter((s) => s.h.status !== 'Healthy' && s.h.status !== 'Suspended');
    if (pending.length === 0) return { ok: true, errors: [] };
    if (Date.now() > deadline)
      return {
        ok: false,
        errors: pending.map(
          (s) =>
            `timed out waiting for ${formatRef(refOf(s.o))}: ` +
            `${s.h.status} ${s.h.reason}${s.h.message ? ` (${s.h.message})` : ''}`,
        ),
      };
    await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(0, deadline - Date.now()) + 10)));
    pause = Math.min(pause * 2, 4000);
  }
}
