/** Recorded PIDs against real short-lived processes: only the process that was recorded is ever signalled. */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  endProcesses,
  isRecordedProcessRunning,
  parseProcStat,
  processStartTime,
  type RecordedProcess,
} from './process-identity.js';

const children: ChildProcess[] = [];

/** A `sleep 30` child, and its record as a cluster would write it. */
function sleeper(): { child: ChildProcess; record: RecordedProcess & { name: string } } {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  const pid = child.pid!;
  return { child, record: { name: 'sleep', pid, startTime: processStartTime(pid)!, command: ['sleep', '30'] } };
}
const ended = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
const exited = (c: ChildProcess) => new Promise<void>((r) => (ended(c) ? r() : c.once('exit', () => r())));
const stillRuns = (c: ChildProcess) => !ended(c) && processStartTime(c.pid!) !== undefined;
afterEach(() => {
  for (const c of children.splice(0)) if (!ended(c)) c.kill('SIGKILL');
});

describe('parseProcStat', () => {
  it.each([
    ['a plain name', '42 (sleep) S 1 42 42 0 -1 4194560 93 0 0 0 0 0 0 0 20 0 1 0 123456 8192 100'],
    ['a name with ") " and spaces', '42 (a) b (c) S 1 42 42 0 -1 4194560 93 0 0 0 0 0 0 0 20 0 1 0 123456 8192 100'],
  ])('reads state and start time past %s', (_, text) => {
    expect(parseProcStat(text)).toEqual({ state: 'S', startTime: 123456 });
  });

  it('reads this process', () => {
    expect(processStartTime(process.pid)).toBeGreaterThan(0);
    expect(processStartTime(2 ** 22 + 1)).toBeUndefined();
  });
});

describe('endProcesses', () => {
  it('stops a process whose start time matches the record', async () => {
    const { child, record } = sleeper();
    expect(isRecordedProcessRunning(record)).toBe(true);
    const ended = await endProcesses([record]);
    expect(ended).toEqual({ stopped: [record], gone: [] });
    await exited(child);
    expect(child.signalCode).toBe('SIGTERM');
    expect(isRecordedProcessRunning(record)).toBe(false);
  });

  it('never signals a PID whose start time differs (another process has it now): reported gone', async () => {
    const { child, record } = sleeper();
    const foreign = { ...record, startTime: record.startTime! - 1 };
    expect(isRecordedProcessRunning(foreign)).toBe(false);
    expect(await endProcesses([foreign], { graceMs: 100 })).toEqual({ stopped: [], gone: [foreign] });
    await new Promise((r) => setTimeout(r, 200));
    expect(stillRuns(child)).toBe(true);
  });

  it('reports a PID whose process has exited as gone', async () => {
    const { child, record } = sleeper();
    child.kill('SIGKILL');
    await exited(child);
    expect(await endProcesses([record])).toEqual({ stopped: [], gone: [record] });
  });

  it('a record without a start time (written before it was kept): its binary must start the command line', async () => {
    const { child, record } = sleeper();
    const { startTime: _, ...old } = record;
    const other = { ...old, command: ['/usr/bin/prometheus', '--config.file=x'] };
    expect(await endProcesses([other], { graceMs: 100 })).toEqual({ stopped: [], gone: [other] });
    expect(stillRuns(child)).toBe(true);
    expect(await endProcesses([old])).toEqual({ stopped: [old], gone: [] });
    await exited(child);
  });

  it('sends SIGKILL when asked (a crash), and to a process that ignores SIGTERM after the grace period', async () => {
    const { child, record } = sleeper();
    expect((await endProcesses([record], { signal: 'SIGKILL' })).stopped).toEqual([record]);
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');
    const ignoresTerm = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('ready')";
    const stubborn = spawn(process.execPath, ['-e', ignoresTerm], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(stubborn);
    await new Promise((r) => stubborn.stdout!.once('data', r));
    const rec = { pid: stubborn.pid!, startTime: processStartTime(stubborn.pid!)!, command: [process.execPath] };
    expect((await endProcesses([rec], { graceMs: 300 })).stopped).toEqual([rec]);
    await exited(stubborn);
    expect(stubborn.signalCode).toBe('SIGKILL');
  });
});
