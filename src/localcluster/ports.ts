/**
 * Ports for a local cluster's components. A free port is found by listening on port 0 and closing
 * again; the component binds it later, so two clusters starting at once could pick the same one. Each
 * pick is therefore reserved, machine-wide, until the cluster is up: a file per port created with
 * O_EXCL in a shared folder, naming the process (pid and start time) that holds it; a reservation
 * whose process is gone is taken over. A port something else binds in between (another program, an
 * outgoing connection's ephemeral port) is caught afterwards: the component exits with "address already
 * in use" and the start is retried on new ports (`isPortConflict`, `PortConflictError`, cluster.ts).
 */
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** The shared folder of reservations (per user: one user's processes cannot remove another's files). */
export const defaultPortsDir = (): string => join(tmpdir(), `ferry-ports-${userInfo().uid}`);

/** A port the OS says is free now (listening on 0 on 127.0.0.1, then closing). */
export function osFreePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
export function canBind(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** A process's start time (clock ticks since boot) from /proc, or undefined where there is none. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export interface Holder {
  pid: number;
  /** The process's start time, telling a reused pid apart. */
  started?: string;
}

/** Whether the process that made a reservation still runs. */
export function holderAlive(h: Holder): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startTime(h.pid);
  return h.started === undefined || now === undefined || now === h.started;
}

export interface PortRegistryOptions {
  dir?: string;
  /** Candidate ports (default: whatever the OS says is free). */
  candidate?: () => Promise<number>;
  /** Whether a candidate can be bound (default: try to listen on it). */
  bindable?: (port: number) => Promise<boolean>;
  /** Whether a reservation's holder runs (default: holderAlive). */
  alive?: (h: Holder) => boolean;
  /** This process, as written into its reservations. */
  holder?: Holder;
  /** Candidates tried per port before giving up (default 200). */
  attempts?: number;
}

/** Ports reserved together; `release()` gives them up (the components have bound them, or the start failed). */
export interface Reservation<K extends string> {
  ports: Record<K, number>;
  release(): void;
}

export class PortRegistry {
  readonly dir: string;
  private readonly candidate: () => Promise<number>;
  private readonly bindable: (port: number) => Promise<boolean>;
  private readonly alive: (h: Holder) => boolean;
  private readonly holder: Holder;
  private readonly attempts: number;

  constructor(o: PortRegistryOptions = {}) {
    this.dir = o.dir ?? defaultPortsDir();
    this.candidate = o.candidate ?? osFreePort;
    this.bindable = o.bindable ?? canBind;
    this.alive = o.alive ?? holderAlive;
    this.holder = o.holder ?? {
      pid: process.pid,
      ...(startTime(process.pid) ? { started: startTime(process.pid) } : {}),
    };
    this.attempts = o.attempts ?? 200;
  }

  /** One port per name, each free and reserved by no live process; none of them shared. */
  async reserve<K extends string>(names: readonly K[]): Promise<Reservation<K>> {
    mkdirSync(this.dir, { recursive: true });
    const taken: number[] = [];
    const ports = {} as Record<K, number>;
    try {
      for (const name of names) ports[name] = await this.reserveOne(taken);
    } catch (e) {
      this.releasePorts(taken);
      throw e;
    }
    return { ports, release: () => this.releasePorts(taken) };
  }

  /** The ports reserved by live processes now (for tests and diagnostics). */
  reserved(): number[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .filter((p) => {
        const h = this.read(p);
        return h !== undefined && this.alive(h);
      })
      .sort((a, b) => a - b);
  }

  private async reserveOne(taken: number[]): Promise<number> {
    for (let i = 0; i < this.attempts; i++) {
      const port = await this.candidate();
      if (taken.includes(port) || !this.claim(port)) continue;
      // Reserved; still bindable? (Something outside the registry may hold it.)
      if (await this.bindable(port)) {
        taken.push(port);
        return port;
      }
      this.releasePorts([port]);
    }
    throw new Error(`no free port found after ${this.attempts} tries (reservations in ${this.dir})`);
  }

  private file = (port: number) => join(this.dir, String(port));

  private read(port: number): Holder | undefined {
    try {
      return JSON.parse(readFileSync(this.file(port), 'utf8')) as Holder;
    } catch {
      return undefined;
    }
  }

  /** Creates the port's file exclusively; a file whose holder is gone is removed and the claim tried once more. */
  private claim(port: number, retry = true): boolean {
    try {
      const fd = openSync(this.file(port), 'wx');
      try {
        writeSync(fd, JSON.stringify(this.holder));
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const h = this.read(port);
    // A file being written this instant reads as nothing: taken, not stale.
    if (!retry || h === undefined || this.alive(h)) return false;
    // Stale: moved aside atomically, so two processes that both found it stale cannot both take it over;
    // a claim made meanwhile that was moved by mistake is linked back (link, like O_EXCL, never replaces).
    const aside = `${this.file(port)}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      renameSync(this.file(port), aside);
    } catch {
      return false;
    }
    try {
      const moved = JSON.parse(readFileSync(aside, 'utf8')) as Holder;
      if (moved.pid !== h.pid || moved.started !== h.started) {
        try {
          linkSync(aside, this.file(port));
        } catch {
          /* a newer claim took the name: it stands */
        }
        return false;
      }
    } catch {
      return false;
    } finally {
      rmSync(aside, { force: true });
    }
    return this.claim(port, false);
  }

  private releasePorts(ports: number[]): void {
    for (const p of ports.splice(0)) {
      const h = this.read(p);
      if (h?.pid === this.holder.pid && h.started === this.holder.started) rmSync(this.file(p), { force: true });
    }
  }
}

/** A component exited at start because its port was taken: the start is retried on other ports. */
export class PortConflictError extends Error {}

/** Whether a component's log says it could not bind its port. */
export const isPortConflict = (log: string): boolean => /address already in use|EADDRINUSE/i.test(log);

/**
 * Runs `start` with freshly reserved ports; a `PortConflictError` (a component could not bind one) runs it
 * again on new ports, up to `attempts` times. The reservations end when `start` does: by then the components
 * hold their ports, or have been stopped.
 */
export async function withReservedPorts<K extends string, T>(
  registry: PortRegistry,
  names: readonly K[],
  start: (ports: Record<K, number>, attempt: number) => Promise<T>,
  opts: { attempts?: number; log?: (line: string) => void } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const reservation = await registry.reserve(names);
    try {
      return await start(reservation.ports, attempt);
    } catch (e) {
      if (!(e instanceof PortConflictError) || attempt >= attempts) throw e;
      opts.log?.(`${e.message}; starting again on other ports (attempt ${attempt + 1} of ${attempts})`);
    } finally {
      reservation.release();
    }
  }
}
