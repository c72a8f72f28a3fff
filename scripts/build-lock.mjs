// A lock shared by the processes that build into one cache folder (scripts/build-kube.mjs): two first
// builds at once take turns instead of writing the same files. The lock is a directory holding
// owner.json (pid, its start time, host, a token); it is taken by renaming a directory prepared under a
// per-process name onto the lock's name, which fails while the lock exists, so it is taken with its
// owner in one step. A lock whose process is gone (same host; the pid's start time tells a reused pid
// apart) is stale: moved aside under a unique name, checked to be the one judged stale, and removed.
// Waiting prints who holds the lock, then again every minute.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Fields 3.. of /proc/<pid>/stat (state first), or null where /proc is missing. */
function statFields(pid) {
  try {
    // The command name (field 2) may hold spaces and parentheses: count after its last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The start time of a process (clock ticks since boot, field 22), or null where /proc is missing. */
export const processStartTime = (pid) => statFields(pid)?.[19] ?? null;

/** Whether the process that wrote `owner` still runs (a zombie, or another process under its pid, does not). */
export function ownerAlive(owner) {
  if (owner.host !== hostname()) return true; // cannot tell: only a live process on this host is checked
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if (e.code !== 'EPERM') return false;
  }
  const fields = statFields(owner.pid);
  if (fields === null) return true;
  return fields[0] !== 'Z' && (!owner.started || fields[19] === owner.started);
}

function readOwner(lockDir) {
  try {
    return JSON.parse(readFileSync(`${lockDir}/owner.json`, 'utf8'));
  } catch {
    return undefined;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function olderThan(path, ms) {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

/**
 * Takes the lock at `lockDir` (waiting while another live process holds it) and resolves a release
 * function. Options: log (a line to print), pollMs (250), noticeMs (60 s between wait messages),
 * timeoutMs (no limit), alive (owner → boolean; ownerAlive).
 */
export async function acquireBuildLock(lockDir, opts = {}) {
  const log = opts.log ?? ((line) => console.error(line));
  const pollMs = opts.pollMs ?? 250;
  const noticeMs = opts.noticeMs ?? 60_000;
  const alive = opts.alive ?? ownerAlive;
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  const token = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const owner = {
    pid: process.pid,
    started: processStartTime(process.pid),
    host: hostname(),
    token,
    since: new Date().toISOString(),
  };
  let noticed = 0;
  for (;;) {
    const mine = `${lockDir}.new-${token}`;
    mkdirSync(mine, { recursive: true });
    writeFileSync(`${mine}/owner.json`, `${JSON.stringify(owner)}\n`);
    try {
      renameSync(mine, lockDir);
      return () => release(lockDir, token);
    } catch (e) {
      rmSync(mine, { recursive: true, force: true });
      if (e.code !== 'EEXIST' && e.code !== 'ENOTEMPTY' && e.code !== 'EISDIR') throw e;
    }
    const holder = readOwner(lockDir);
    // A lock without an owner file was not made by this module (it always renames one in with its owner).
    const ownerless = holder === undefined && olderThan(lockDir, 10_000);
    if ((holder && !alive(holder)) || ownerless) {
      breakStale(lockDir, holder ?? {}, log);
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for the lock ${lockDir} (held by pid ${holder?.pid ?? 'unknown'})`);
    if (Date.now() - noticed >= noticeMs) {
      noticed = Date.now();
      const since = holder?.since ? `, since ${holder.since}` : '';
      log(`waiting for another build (pid ${holder?.pid ?? 'unknown'}${since}) that holds ${lockDir}`);
    }
    await sleep(pollMs);
  }
}

/** Moves a stale lock aside and removes it, unless another process replaced it meanwhile (then it goes back). */
function breakStale(lockDir, stale, log) {
  const aside = `${lockDir}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    renameSync(lockDir, aside);
  } catch {
    return; // gone already: another waiter broke it
  }
  const moved = readOwner(aside);
  if (moved?.token !== stale.token) {
    // A live lock taken after we read the stale one: put it back if its name is still free.
    try {
      renameSync(aside, lockDir);
    } catch {
      rmSync(aside, { recursive: true, force: true });
    }
    return;
  }
  rmSync(aside, { recursive: true, force: true });
  log(`removed a stale lock ${lockDir} (${stale.pid ? `pid ${stale.pid} is gone` : 'it names no owner'})`);
}

/** Renamed away first (the name is free at once), then removed: never a half-removed lock under its name. */
function release(lockDir, token) {
  if (readOwner(lockDir)?.token !== token) return;
  const aside = `${lockDir}.done-${token}`;
  try {
    renameSync(lockDir, aside);
  } catch {
    return;
  }
  rmSync(aside, { recursive: true, force: true });
}

/** Runs `fn` holding the lock; released when it ends, also by an exception. */
export async function withBuildLock(lockDir, fn, opts = {}) {
  const releaseLock = await acquireBuildLock(lockDir, opts);
  try {
    return await fn();
  } finally {
    releaseLock();
  }
}
