/**
 * Whether a local cluster's components answer: a GET on their http(s) endpoint, a TCP connect to their
 * port, and a wait for a check that fails early, naming the log, when a component exits meanwhile.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import type { Pki } from './pki.js';
import { isPortConflict, PortConflictError } from './ports.js';
import { isRecordedProcessRunning } from './process-identity.js';
import type { ComponentRecord } from './state.js';

/** GET a path on a local http endpoint; resolves the status code (0 when unreachable). */
export async function probeHttp(port: number, path: string): Promise<number> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    await r.body?.cancel();
    return r.status;
  } catch {
    return 0;
  }
}

/** GET a path on a local https endpoint (with the admin's client certificate when given); 0 when unreachable. */
export function probeHttps(port: number, path: string, pki?: Pki): Promise<number> {
  return new Promise((res) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        timeout: 2000,
        rejectUnauthorized: false,
        ...(pki ? { cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) } : {}),
      },
      (r) => {
        r.resume();
        res(r.statusCode ?? 0);
      },
    );
    req.on('error', () => res(0));
    req.on('timeout', () => {
      req.destroy();
      res(0);
    });
    req.end();
  });
}

/** Something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 2000 });
    const done = (open: boolean) => {
      socket.destroy();
      res(open);
    };
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
    socket.on('timeout', () => done(false));
  });
}

function logOf(c: ComponentRecord): string {
  try {
    return readFileSync(c.log, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Waits until `check` passes; fails at the deadline (adding `timeoutHint`), or as soon as one of
 * `components` (those not stopped on purpose) exits, naming its log.
 */
export async function waitFor(
  what: string,
  deadline: number,
  check: () => Promise<boolean>,
  components: readonly ComponentRecord[],
  timeoutHint = '',
): Promise<void> {
  while (Date.now() < deadline) {
    if (await check()) return;
    const dead = components.find((c) => !c.stopped && !isRecordedProcessRunning(c));
    if (dead) {
      if (isPortConflict(logOf(dead)))
        throw new PortConflictError(`${dead.name} could not bind its port (address already in use; see ${dead.log})`);
      throw new Error(`${dead.name} exited while waiting for ${what}; see ${dead.log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${timeoutHint}`);
}
