/**
 * `ferry rollout status|promote|abort`: a canary (gray release) the controller is running. Its
 * progress is in the release's state record (`canaryOf(summary.traits)`); promote and abort are requests the
 * controller picks up from a `ferry-rollout.*` record within about a second (and then deletes).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readCommand, readState, writeCommand, type StateSummary } from '../gitops/store/release-store.js';
import { currentCommit } from '../gitops/store/state-summary.js';
import { decodeCommand, type RolloutCommand } from '../traits/canary/command.js';
import { canaryOf, progressLine, type CanaryPhase, type CanaryProgress } from '../traits/canary/progress.js';
import { EXIT_INVALID, EXIT_OK, formatTable, processIO, type CliIO } from './io.js';
import { age, releaseOf, type ReleaseFlags } from './releases.js';

/** Phases a promote or an abort can act on. */
const ACTIONABLE = new Set<CanaryPhase>(['Progressing', 'Paused', 'Inconclusive']);
/** Phases of a canary still under way (a watch goes on through them). */
const RUNNING = new Set<CanaryPhase>([...ACTIONABLE, 'Promoting']);
/** Release states a watch can end on when no canary is under way. */
const SETTLED = new Set(['synced', 'failed', 'held']);

/** `2/4`: the step being run, counted from 1, as progressLine counts it. */
const stepOf = (p: CanaryProgress): string => `${Math.min(p.step + 1, p.steps)}/${p.steps}`;

/** `[##>.]`: a cell per step; # done, > running (every cell left while promoting), x where it was aborted. */
export function stepBar(p: CanaryProgress): string {
  const done = p.phase === 'Succeeded' ? p.steps : Math.min(p.step, p.steps);
  const cell = (i: number) =>
    i < done ? '#' : p.phase === 'Promoting' ? '>' : i > done ? '.' : p.phase === 'Aborted' ? 'x' : '>';
  return `[${Array.from({ length: p.steps }, (_, i) => cell(i)).join('')}]`;
}

/**
 * A release's canary, and the commit the release has moved on to when the canary is an earlier commit's (a
 * newer commit with no canary of its own, or one whose canary has not started yet).
 */
export function canaryView(summary: StateSummary): { canary?: CanaryProgress; movedTo?: string } {
  const canary = canaryOf(summary.traits);
  const at = currentCommit(summary);
  return { canary, ...(canary && at !== undefined && at !== canary.commit ? { movedTo: at } : {}) };
}

/** `ferry rollout status` as lines: header, step bar, timing, and the analysis runs (newest last). */
export function rolloutReport(summary: StateSummary, now = Date.now()): string[] {
  const { canary: p, movedTo } = canaryView(summary);
  if (!p) return [`no canary for ${summary.app} in ${summary.env} (status: ${summary.status})`];
  const failures = `${p.failures} failed analys${p.failures === 1 ? 'is' : 'es'}`;
  const actual = p.actualWeight === undefined ? '' : ` (actual ${p.actualWeight} %)`;
  const lines = [
    `${summary.app} (${summary.env}) commit ${p.commit.slice(0, 12)}  ${progressLine(p)}`,
    ...(movedTo
      ? [`an earlier commit's canary: the release is at commit ${movedTo.slice(0, 12)} now (${summary.status})`]
      : []),
    `steps  ${stepBar(p)} ${stepOf(p)}  weight ${p.weight} %${actual}`,
    `component ${p.component}: ${p.workload} (stable), ${p.canary} (canary), by ${p.mode}; ` +
      `started ${age(p.startedAt, now)} ago, this step ${age(p.stepStartedAt, now)} ago; ${failures}`,
    '',
  ];
  if (p.analysis.length === 0) return [...lines, 'no analysis runs yet'];
  const names = [...new Set(p.analysis.flatMap((r) => r.measurements.map((m) => m.name)))];
  const rows = [
    ['TIME', 'STEP', 'WEIGHT', 'RESULT', ...names.map((n) => n.toUpperCase())],
    ...p.analysis.map((r) => [
      r.time.replace(/\.\d+Z$/, 'Z'),
      `${Math.min(r.step + 1, p.steps)}/${p.steps}`,
      `${r.weight} %`,
      r.result,
      ...names.map((n) => r.measurements.find((m) => m.name === n)?.message ?? '-'),
    ]),
  ];
  return [...lines, ...formatTable(rows).trimEnd().split('\n')];
}

/**
 * Where a watch ends: exit 0 when the canary succeeded, 1 when it was aborted; with no canary under
 * way (none, or an earlier commit's), once the release settles (synced or held: 0, failed: 1).
 * Undefined: keep watching.
 */
export function watchEnd(summary: StateSummary): number | undefined {
  const { canary, movedTo } = canaryView(summary);
  const phase = movedTo ? undefined : canary?.phase;
  if (phase === 'Succeeded') return EXIT_OK;
  if (phase === 'Aborted') return EXIT_INVALID;
  if ((phase === undefined || !RUNNING.has(phase)) && SETTLED.has(summary.status))
    return summary.status === 'failed' ? EXIT_INVALID : EXIT_OK;
  return undefined;
}

export interface WatchOptions {
  /** Clear the screen before each new block (a terminal); otherwise blocks are separated by a blank line. */
  tty?: boolean;
  /** JSON lines (the delivery, or null) instead of the report. */
  json?: boolean;
  intervalMs?: number;
  now?: () => number;
  wait?: (ms: number) => Promise<void>;
}

/** Re-reads the release every interval and prints it again when it changed, until watchEnd says it is over. */
export async function watchRollout(
  app: string,
  env: string,
  read: () => Promise<StateSummary | undefined>,
  io: CliIO,
  o: WatchOptions = {},
): Promise<number> {
  const wait = o.wait ?? ((ms: number) => sleep(ms));
  const now = o.now ?? Date.now;
  let last: string | undefined;
  for (;;) {
    const summary = await read();
    if (!summary) {
      io.err(`error: ${app} in ${env} is no longer recorded (did it leave Git?)\n`);
      return EXIT_INVALID;
    }
    // What is printed, without the ages (`started 2m ago`), which change on every read.
    const key = o.json ? JSON.stringify(canaryOf(summary.traits) ?? null) : rolloutReport(summary, 0).join('\n');
    if (key !== last) {
      if (o.json) io.out(`${JSON.stringify(canaryOf(summary.traits) ?? null)}\n`);
      else
        io.out(
          `${o.tty ? '\x1b[H\x1b[2J' : last === undefined ? '' : '\n'}${rolloutReport(summary, now()).join('\n')}\n`,
        );
      last = key;
    }
    const end = watchEnd(summary);
    if (end !== undefined) return end;
    await wait(o.intervalMs ?? 1000);
  }
}

export async function runRolloutStatus(
  app: string,
  f: ReleaseFlags & { watch?: boolean; output?: string },
  io: CliIO,
): Promise<number> {
  const found = await releaseOf(app, f, io);
  if (!found) return EXIT_INVALID;
  const { env, cluster, scope } = found;
  const read = async () => (await readState(cluster, scope)).summary;
  const summary = await read();
  if (!summary) {
    io.err(`error: no release recorded for ${app} in ${env} (is \`ferry serve\` running against this cluster?)\n`);
    return EXIT_INVALID;
  }
  const json = f.output === 'json';
  if (f.watch) {
    let first: StateSummary | undefined = summary;
    const next = async () => {
      const s = first ?? (await read());
      first = undefined;
      return s;
    };
    return watchRollout(app, env, next, io, { json, tty: !json && io === processIO && process.stdout.isTTY === true });
  }
  io.out(
    json ? `${JSON.stringify(canaryOf(summary.traits) ?? null, null, 2)}\n` : `${rolloutReport(summary).join('\n')}\n`,
  );
  return EXIT_OK;
}

/** The release and its canary, when a promote or an abort can act on it (otherwise reported, exit 1). */
async function actionable(app: string, f: ReleaseFlags, io: CliIO, verb: string) {
  const found = await releaseOf(app, f, io);
  if (!found) return undefined;
  const { env, cluster, scope } = found;
  const summary = (await readState(cluster, scope)).summary;
  const delivery = canaryOf(summary?.traits);
  if (!delivery) {
    io.err(`error: ${app} in ${env} has no canary to ${verb} (status: ${summary?.status ?? 'not recorded'})\n`);
    return undefined;
  }
  if (!ACTIONABLE.has(delivery.phase)) {
    io.err(`error: the canary of ${app} in ${env} is ${progressLine(delivery)}: nothing to ${verb}\n`);
    return undefined;
  }
  return { env, cluster, scope, delivery };
}

async function request(
  found: NonNullable<Awaited<ReturnType<typeof actionable>>>,
  command: RolloutCommand['command'],
  io: CliIO,
): Promise<void> {
  const pending = decodeCommand(await readCommand(found.cluster, found.scope));
  if (pending) io.err(`note: replacing the request not yet picked up (${pending.command}, ${pending.requestedAt})\n`);
  await writeCommand(found.cluster, found.scope, {
    command,
    requestedAt: new Date().toISOString(),
    commit: found.delivery.commit,
  });
}

export async function runRolloutPromote(app: string, f: ReleaseFlags & { full?: boolean }, io: CliIO): Promise<number> {
  const found = await actionable(app, f, io, 'promote');
  if (!found) return EXIT_INVALID;
  await request(found, f.full ? 'promote-full' : 'promote', io);
  io.out(
    `asked the controller to promote ${app} in ${found.env} (step ${stepOf(found.delivery)})` +
      `${f.full ? ' and skip the remaining steps' : ''}; ` +
      `follow it with \`ferry rollout status ${app} -e ${found.env} -w\`\n`,
  );
  return EXIT_OK;
}

export async function runRolloutAbort(app: string, f: ReleaseFlags, io: CliIO): Promise<number> {
  const found = await actionable(app, f, io, 'abort');
  if (!found) return EXIT_INVALID;
  await request(found, 'abort', io);
  io.out(
    `asked the controller to abort the canary of ${app} in ${found.env} at step ${stepOf(found.delivery)} ` +
      `(weight ${found.delivery.weight}): the stable version takes all traffic back; ` +
      `follow it with \`ferry rollout status ${app} -e ${found.env} -w\`\n`,
  );
  return EXIT_OK;
}
