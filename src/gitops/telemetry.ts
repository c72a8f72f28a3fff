/** The controller's Prometheus metrics (prom-client) and its JSON logger (pino). */
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type { Logger };

export function jsonLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino({ base: { component: 'ferry' }, level: opts.level ?? process.env.FERRY_LOG_LEVEL ?? 'info', timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, (opts.destination ?? process.stdout) as never);
}

export class Metrics {
  readonly registry = new Registry();
  readonly reconcileDuration = new Histogram({ name: 'ferry_reconcile_duration_seconds', help: 'Time from a commit reaching an app/env to synced or failed', labelNames: ['app', 'env', 'result'], buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300], registers: [this.registry] });
  readonly syncStatus = new Gauge({ name: 'ferry_app_sync_status', help: '1 for the current reconcile state of each app/env', labelNames: ['app', 'env', 'status'], registers: [this.registry] });
  readonly health = new Gauge({ name: 'ferry_app_health', help: '1 for the last verified health of each app/env', labelNames: ['app', 'env', 'health'], registers: [this.registry] });
  readonly renders = new Counter({ name: 'ferry_renders_total', help: 'Renders of an app for an environment', labelNames: ['app', 'env'], registers: [this.registry] });
  readonly applies = new Counter({ name: 'ferry_applies_total', help: 'Sync (apply) runs of an app for an environment', labelNames: ['app', 'env', 'result'], registers: [this.registry] });
  readonly drift = new Counter({ name: 'ferry_drift_detected_total', help: 'Drift checks that found the cluster differing from the synced revision', labelNames: ['app', 'env', 'healed'], registers: [this.registry] });
  readonly failures = new Counter({ name: 'ferry_reconcile_failures_total', help: 'Failed reconciles by reason', labelNames: ['app', 'env', 'reason'], registers: [this.registry] });
  readonly gitFetch = new Histogram({ name: 'ferry_git_fetch_duration_seconds', help: 'Git poll (remote head check and fetch) time', buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers: [this.registry] });
  readonly gitErrors = new Counter({ name: 'ferry_git_fetch_errors_total', help: 'Failed Git polls', registers: [this.registry] });
  readonly webhooks = new Counter({ name: 'ferry_webhook_requests_total', help: 'Webhook requests by provider and result', labelNames: ['provider', 'result'], registers: [this.registry] });
  readonly leader = new Gauge({ name: 'ferry_leader', help: '1 while this replica holds the controller lease', registers: [this.registry] });

  /** The one label value currently set to 1 per gauge and app/env. */
  private readonly current = new Map<string, string>();

  private oneHot(gauge: Gauge, label: 'status' | 'health', app: string, env: string, value: string): void {
    const key = `${label}:${app}/${env}`;
    const prev = this.current.get(key);
    if (prev === value) return;
    if (prev) gauge.remove({ app, env, [label]: prev });
    gauge.set({ app, env, [label]: value }, 1);
    this.current.set(key, value);
  }

  /** Sets the one-hot status gauge of an app/env. */
  setStatus(app: string, env: string, status: string): void {
    this.oneHot(this.syncStatus, 'status', app, env, status);
  }

  setHealth(app: string, env: string, health: string): void {
    this.oneHot(this.health, 'health', app, env, health);
  }

  /** Drops the gauges of an app/env that is no longer reconciled. */
  forget(app: string, env: string): void {
    const gauges: [Gauge, 'status' | 'health'][] = [[this.syncStatus, 'status'], [this.health, 'health']];
    for (const [gauge, label] of gauges) {
      const key = `${label}:${app}/${env}`;
      const prev = this.current.get(key);
      if (prev) gauge.remove({ app, env, [label]: prev });
      this.current.delete(key);
    }
  }
}
