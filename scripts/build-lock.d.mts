// Types of scripts/build-lock.mjs, for the TypeScript tests that import it.
export interface LockOwner {
  pid: number;
  started: string | null;
  host: string;
  token: string;
  since: string;
}

export interface LockOptions {
  log?: (line: string) => void;
  pollMs?: number;
  noticeMs?: number;
  timeoutMs?: number;
  alive?: (owner: LockOwner) => boolean;
}

export function processStartTime(pid: number): string | null;
export function ownerAlive(owner: LockOwner): boolean;
export function acquireBuildLock(lockDir: string, opts?: LockOptions): Promise<() => void>;
export function withBuildLock<T>(lockDir: string, fn: () => T | Promise<T>, opts?: LockOptions): Promise<T>;
