/**
 * The controller's Prometheus metrics (prom-client) and its logger (pino: JSON lines, or pino-pretty on a terminal).
 */
import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ferryEnvironment } from '../../config/environment.js';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/**
 * JSON lines unless the output is a terminal (a person reading `npm start`): tests, CI and log
 * collectors read JSON. `FERRY_LOG_FORMAT=json|pretty` overrides the choice.
 */
export function chooseLogFormat(
  isTTY: boolean | undefined,
  override: string | undefined = ferryEnvironment().logFormat,
): LogFormat {
  if (override === 'json' || override === 'pretty') return override;
  return isTTY === true ? 'pretty' : 'json';
}

export interface LoggerOptions {
  level?: string;
  destination?: NodeJS.WritableStream;
  /** Default: chooseLogFormat(destination.isTTY). */
  format?: LogFormat;
}

/** The first line of a pretty log entry: "app/env message: error". */
export function prettyMessage(log: Record<string, unknown>, messageKey = 'msg'): string {
  const where = [log.app, log.env].filter((x) => typeof x === 'string' && x !== '').join('/');
  const err = log.err as unknown;
  const reason =
    typeof err === 'string'
      ? err
      : err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string'
        ? (err as { message: string }).message
        : undefined;
  return `${where ? `${where} ` : ''}${String(log[messageKey] ?? '')}${reason ? `: ${reason}` : ''}`;
}

/** The controller's logger: the JSON line format is unchanged when not on a terminal. */
export function jsonLogger(opts: LoggerOptions = {}): Logger {
  const destination = opts.destination ?? process.stdout;
  const format = opts.format ?? chooseLogFormat((destination as { isTTY?: boolean }).isTTY);
  const level = opts.level ?? ferryEnvironment().logLevel;
  const base = {
    base: { component: 'ferry' },
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (format === 'json') return pino(base, destination as never);
  // In-process and synchronous (no worker thread): lines appear in order with the rest of the output.
  // "12:00:01.234 INFO: hello/default synced {"revision":1}"; an error's message ends the line.
  const pretty = PinoPretty({
    destination: destination as never,
    sync: true,
    colorize: (destination as { isTTY?: boolean }).isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,component,app,env,err',
    singleLine: true,
    messageFormat: (log, messageKey) => prettyMessage(log, messageKey),
    customPrettifiers: {
      commit: (v) => (typeof v === 'string' && /^[0-9a-f]{40}$/.test(v) ? v.slice(0, 12) : (v as string)),
    },
  });
  return pino(base, pretty);
}

export class Metrics {
  readonly registry = new Registry();
  readonly reconcileDuration = new Histogram({
    name: 'ferry_reconcile_duration_seconds',
    help: 'Time from a commit reaching an app/env to synced or failed',
    labelNames: ['app', 'env', 'result'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly syncStatus = new Gauge({
    name: 'ferry_app_sync_status',
    help: '1 for the current reconcile state of each app/env',
    labelNames: ['app', 'env', 'status'],
    registers: [this.registry],
  });
  readonly health = new Gauge({
    name: 'ferry_app_health',
    help: '1 for the last verified health of each app/env',
    labelNames: ['app', 'env', 'health'],
    registers: [this.registry],
  });
  readonly renders = new Counter({
    name: 'ferry_renders_total',
    help: 'Renders of an app for an environment',
    labelNames: ['app', 'env'],
    registers: [this.registry],
  });
  readonly applies = new Counter({
    name: 'ferry_applies_total',
    help: 'Sync (apply) runs of an app for an environment',
    labelNames: ['app', 'env', 'result'],
    registers: [this.registry],
  });
  readonly drift = new Counter({
    name: 'ferry_drift_detected_total',
    help: 'Drift checks that found the cluster differing from the synced revision',
    labelNames: ['app', 'env', 'healed'],
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'ferry_reconcile_failures_total',
    help: 'Failed reconciles by reason',
    labelNames: ['app', 'env', 'reason'],
    registers: [this.registry],
  });
  readonly gitFetch = new Histogram({
    name: 'ferry_git_fetch_duration_seconds',
    help: 'Git poll (remote head check and fetch) time',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly gitErrors = new Counter({
    name: 'ferry_git_fetch_errors_total',
    help: 'Failed Git polls',
    registers: [this.registry],
  });
  readonly webhooks = new Counter({
    name: 'ferry_webhook_requests_total',
    help: 'Webhook requests by provider and result',
    labelNames: ['provider', 'result'],
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'ferry_leader',
    help: '1 while this replica holds the controller lease',
    registers: [this.registry],
  });

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
    const gauges: [Gauge, 'status' | 'health'][] = [
      [this.syncStatus, 'status'],
      [this.health, 'health'],
    ];
    for (const [gauge, label] of gauges) {
      const key = `${label}:${app}/${env}`;
      const prev = this.current.get(key);
      if (prev) gauge.remove({ app, env, [label]: prev });
      this.current.delete(key);
    }
  }
}
