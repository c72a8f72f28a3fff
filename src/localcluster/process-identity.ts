/**
 * Whether a recorded PID still is the process that was recorded, and ending recorded processes only
 * when it is. A PID is reused once its process has exited, so signalling a PID read from a file written
 * long ago may hit anyone's process; its start time (field 22 of /proc/<pid>/stat, clock ticks after
 * boot) tells the two apart, as `pid + start time` is unique until the machine reboots.
 */
import { readFileSync } from 'node:fs';

/** A process as a cluster records it: its PID, when it started and what it runs. */
export interface RecordedProcess {
  /** What it is, for messages. */
  name?: string;
  pid: number;
  /** `starttime` of /proc/<pid>/stat when it was spawned; absent in records written before it was kept. */
  startTime?: number;
  /** Binary and arguments it was started with. */
  command: readonly string[];
}

/** What ending some recorded processes did: those it stopped, and those that were already gone. */
export interface EndedProcesses<T extends RecordedProcess> {
  stopped: T[];
  /** Exited, or their PID now belongs to another process (never signalled). */
  gone: T[];
}

/** State and start time from the text of /proc/<pid>/stat (the name in field 2 may hold spaces and parentheses). */
export function parseProcStat(text: string): { state: string; startTime: number } | undefined {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // `rest` starts at field 3 (state); starttime is field 22.
  const startTime = Number(rest[19]);
  return rest[0] && Number.isInteger(startTime) ? { state: rest[0], startTime } : undefined;
}

function procStat(pid: number): { state: string; startTime: number } | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The start time of a process (clock ticks after boot), or undefined when there is no such process. */
export function processStartTime(pid: number): number | undefined {
  return procStat(pid)?.startTime;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The recorded process still runs (a zombie does not): same start time, or, for a record without one, a
 * live process whose command line starts with the recorded binary.
 */
export function isRecordedProcessRunning(p: RecordedProcess): boolean {
  const stat = procStat(p.pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  if (p.startTime !== undefined) return stat.startTime === p.startTime;
  const binary = p.command[0];
  if (!binary) return false;
  const cmdline = commandLine(p.pid);
  return cmdline === binary || cmdline.startsWith(`${binary}\0`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until none of `ps` runs, or the deadline; returns those still running. */
async function waitForExit<T extends RecordedProcess>(ps: T[], ms: number): Promise<T[]> {
  const deadline = Date.now() + ms;
  let running = ps.filter(isRecordedProcessRunning);
  while (running.length > 0 && Date.now() < deadline) {
    await sleep(50);
    running = running.filter(isRecordedProcessRunning);
  }
  return running;
}

/** Sends `signal` to each process that still is the recorded one; returns those signalled. */
function signalRecorded<T extends RecordedProcess>(ps: T[], signal: NodeJS.Signals): T[] {
  return ps.filter((p) => {
    if (!isRecordedProcessRunning(p)) return false;
    try {
      process.kill(p.pid, signal);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Ends the recorded processes that still run: `signal` (default SIGTERM), then SIGKILL after `graceMs`
 * (default 10 s) for those still there. A PID that is not the recorded process is never signalled and is
 * reported gone. Throws when a process survives SIGKILL.
 */
export async function endProcesses<T extends RecordedProcess>(
  ps: readonly T[],
  opts: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<EndedProcesses<T>> {
  const stopped = signalRecorded([...ps], opts.signal ?? 'SIGTERM');
  const gone = ps.filter((p) => !stopped.includes(p));
  const stubborn = await waitForExit(stopped, opts.graceMs ?? 10_000);
  signalRecorded(stubborn, 'SIGKILL');
  const survivors = await waitForExit(stubborn, 10_000);
  if (survivors.length > 0)
    throw new Error(`could not stop ${survivors.map((p) => `${p.name ?? 'process'} (pid ${p.pid})`).join(', ')}`);
  // An exited child of this very process stays a zombie until its exit is collected, which needs the event loop.
  const reapDeadline = Date.now() + 2000;
  const unreaped = (p: T) => {
    const t = processStartTime(p.pid);
    return t !== undefined && (p.startTime === undefined || t === p.startTime);
  };
  while (Date.now() < reapDeadline && stopped.some(unreaped)) await sleep(20);
  return { stopped, gone };
}
