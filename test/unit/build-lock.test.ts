/** scripts/build-lock.mjs: two builds of one cache folder take turns; a lock whose process is gone is taken over. */
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireBuildLock, ownerAlive, processStartTime, withBuildLock } from '../../scripts/build-lock.mjs';

const lockModule = fileURLToPath(new URL('../../scripts/build-lock.mjs', import.meta.url));
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-build-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A process that takes the lock, notes when it holds it, and keeps it `holdMs`, as a build would. */
function lockSection(name: string, holdMs: number): Promise<{ code: number | null; stderr: string }> {
  const script = `
    import { appendFileSync } from 'node:fs';
    import { withBuildLock } from ${JSON.stringify(lockModule)};
    await withBuildLock(${JSON.stringify(join(dir, 'build.lock'))}, async () => {
      appendFileSync(${JSON.stringify(join(dir, 'log'))}, 'enter ${name} ' + Date.now() + '\\n');
      await new Promise((r) => setTimeout(r, ${holdMs}));
      appendFileSync(${JSON.stringify(join(dir, 'log'))}, 'exit ${name} ' + Date.now() + '\\n');
    }, { pollMs: 50, log: (l) => console.error(l) });
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** A pid that no process has any more (a child that exited and was reaped). */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('the build lock', () => {
  it('lets two builds started at once run their lock sections one after the other', async () => {
    const [a, b] = await Promise.all([lockSection('a', 600), lockSection('b', 600)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const events = readFileSync(join(dir, 'log'), 'utf8').trim().split('\n');
    // enter x, exit x, enter y, exit y: never both inside.
    expect(events.map((e) => e.split(' ').slice(0, 2).join(' '))).toSatisfy(
      (e: string[]) =>
        e.length === 4 &&
        e[0]!.startsWith('enter') &&
        e[1] === e[0]!.replace('enter', 'exit') &&
        e[2]!.startsWith('enter') &&
        e[3] === e[2]!.replace('enter', 'exit'),
    );
    const times = events.map((e) => Number(e.split(' ')[2]));
    expect(times[2]).toBeGreaterThanOrEqual(times[1]!);
    // The one that waited said so, naming the holder.
    expect(`${a.stderr}${b.stderr}`).toMatch(
      /waiting for another build \(pid \d+, since .+\) that holds .*build\.lock/,
    );
    // Nothing left behind: no lock, no per-process temporary names.
    expect(readdirSync(dir).sort()).toEqual(['log']);
  });

  it('takes over a lock whose process is gone, and says so', async () => {
    const lock = join(dir, 'build.lock');
    mkdirSync(lock);
    const pid = deadPid();
    writeFileSync(join(lock, 'owner.json'), JSON.stringify({ pid, host: hostname(), token: 'old', since: 'x' }));
    const lines: string[] = [];
    const started = Date.now();
    const release = await acquireBuildLock(lock, { pollMs: 20, log: (l) => lines.push(l) });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(lines).toEqual([`removed a stale lock ${lock} (pid ${pid} is gone)`]);
    expect(JSON.parse(readFileSync(join(lock, 'owner.json'), 'utf8')).pid).toBe(process.pid);
    release();
    expect(existsSync(lock)).toBe(false);
  });

  it('tells a reused pid from its owner by the start time', () => {
    const me = { pid: process.pid, host: hostname(), token: 't', since: 'x' };
    expect(ownerAlive({ ...me, started: processStartTime(process.pid) })).toBe(true);
    expect(ownerAlive({ ...me, started: '1' })).toBe(false);
    expect(ownerAlive({ ...me, pid: deadPid(), started: null })).toBe(false);
    // Another host's process cannot be checked: its lock is kept.
    expect(ownerAlive({ ...me, pid: deadPid(), host: `${hostname()}-elsewhere`, started: null })).toBe(true);
  });

  it('waits while a live process holds it, then times out naming the holder', async () => {
    const lock = join(dir, 'build.lock');
    const release = await acquireBuildLock(lock);
    const lines: string[] = [];
    await expect(acquireBuildLock(lock, { pollMs: 20, timeoutMs: 200, log: (l) => lines.push(l) })).rejects.toThrow(
      `timed out waiting for the lock ${lock} (held by pid ${process.pid})`,
    );
    expect(lines).toHaveLength(1);
    release();
    await withBuildLock(lock, () => expect(existsSync(lock)).toBe(true));
    expect(existsSync(lock)).toBe(false);
  });

  it('removes a lock folder that names no owner once it is old', async () => {
    const lock = join(dir, 'build.lock');
    mkdirSync(lock);
    writeFileSync(join(lock, 'stray'), '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const lines: string[] = [];
    const release = await acquireBuildLock(lock, { pollMs: 20, log: (l) => lines.push(l) });
    expect(lines).toEqual([`removed a stale lock ${lock} (it names no owner)`]);
    release();
  });
});
