/**
 * What `ferry status` shows of the Git source a controller follows: its commit, or its error; written only when either
 * changes.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import { writeSourceStatus } from '../store/release-store.js';
import type { Logger } from '../reconcile/telemetry.js';

export class SourceStatusRecorder {
  private seen = '';
  private io: Promise<void> = Promise.resolve();

  constructor(
    private readonly source: { repo: string; path: string },
    private readonly cluster: () => ClusterPort,
    private readonly log: Logger,
  ) {}

  record(seen: { commit?: string; error?: string }): void {
    const key = `${seen.commit ?? ''}\u0000${seen.error ?? ''}`;
    if (key === this.seen) return;
    this.seen = key;
    const status = { ...this.source, ...seen, since: new Date().toISOString() };
    const cluster = this.cluster();
    this.io = this.io
      .then(() => writeSourceStatus(cluster, status))
      .catch((e: unknown) => {
        this.seen = '';
        this.log.warn({ err: (e as Error).message }, 'cannot record the source status');
      });
  }

  settled(): Promise<void> {
    return this.io;
  }

  /** A later start records the source again. */
  reset(): void {
    this.seen = '';
  }
}
