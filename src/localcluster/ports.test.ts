/** Port reservations for local clusters: two starts at once never share a port; stale reservations are reclaimed. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  holderAlive,
  isPortConflict,
  osFreePort,
  PortConflictError,
  PortRegistry,
  withReservedPorts,
} from './ports.js';

const NAMES = ['etcd', 'etcdPeer', 'apiserver', 'controllerManager', 'scheduler', 'kwok'] as const;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-ports-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The same candidates in the same order for everyone: the worst case of two processes asking the OS at once. */
const sameCandidates = (from: number) => {
  let next = from;
  return async () => next++;
};
/** Two registries on one folder stand for two processes (the exclusion is by file, not by process). */
const registry = (started: string, o: { from?: number; bindable?: (p: number) => Promise<boolean> } = {}) =>
  new PortRegistry({
    dir,
    candidate: sameCandidates(o.from ?? 41000),
    bindable: o.bindable ?? (async () => true),
    holder: { pid: process.pid, started },
    alive: () => true,
  });
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('port reservations', () => {
  it('two cluster starts at once, offered the same ports, reserve disjoint ones', async () => {
    const [a, b] = await Promise.all([registry('a').reserve(NAMES), registry('b').reserve(NAMES)]);
    const all = [...Object.values(a.ports), ...Object.values(b.ports)];
    expect(new Set(all).size).toBe(12);
    expect(all.every((p) => p >= 41000 && p < 41012)).toBe(true);
    expect(readdirSync(dir)).toHaveLength(12);
    a.release();
    expect(readdirSync(dir)).toHaveLength(6);
    b.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('many starts at once with real OS ports never share one', async () => {
    const starts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        new PortRegistry({ dir, holder: { pid: process.pid, started: `s${i}` }, alive: () => true }).reserve(NAMES),
      ),
    );
    const all = starts.flatMap((s) => Object.values(s.ports));
    expect(new Set(all).size).toBe(48);
    for (const s of starts) s.release();
  });

  it('skips a port something outside the registry is listening on', async () => {
    const server: Server = createServer();
    const busy = await new Promise<number>((res) =>
      server.listen(0, '127.0.0.1', () => res((server.address() as { port: number }).port)),
    );
    try {
      const r = await new PortRegistry({ dir, candidate: sameCandidates(busy) }).reserve(['a', 'b'] as const);
      expect(Object.values(r.ports)).not.toContain(busy);
      expect(readdirSync(dir)).not.toContain(String(busy));
      r.release();
    } finally {
      server.close();
    }
  });

  it("takes over the reservation of a process that is gone, and keeps a live process's", async () => {
    writeFileSync(join(dir, '42000'), JSON.stringify({ pid: deadPid() }));
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(join(dir, '42001'), JSON.stringify({ pid: sleeper.pid }));
      const r = await new PortRegistry({ dir, candidate: sameCandidates(42000), bindable: async () => true }).reserve([
        'x',
        'y',
      ] as const);
      expect(r.ports).toEqual({ x: 42000, y: 42002 });
      const mine = new PortRegistry({ dir });
      expect(mine.reserved()).toEqual([42000, 42001, 42002]);
      r.release();
      expect(mine.reserved()).toEqual([42001]);
    } finally {
      sleeper.kill();
    }
  });

  it('tells a reused pid from the process that reserved', () => {
    expect(holderAlive({ pid: process.pid })).toBe(true);
    expect(holderAlive({ pid: process.pid, started: 'not-my-start' })).toBe(false);
    expect(holderAlive({ pid: deadPid() })).toBe(false);
  });

  it('gives up after its tries when every candidate is taken', async () => {
    await registry('a', { from: 43000 }).reserve(['p'] as const);
    const stuck = new PortRegistry({ dir, candidate: async () => 43000, alive: () => true, attempts: 5 });
    await expect(stuck.reserve(['p'] as const)).rejects.toThrow(/no free port found after 5 tries/);
  });

  it('retries a start whose component could not bind its port, on other ports; releases all reservations', async () => {
    const seen: Record<string, number>[] = [];
    const lines: string[] = [];
    const result = await withReservedPorts(
      registry('a', { from: 44000 }),
      ['etcd', 'apiserver'] as const,
      async (ports, attempt) => {
        seen.push(ports);
        expect(readdirSync(dir).sort()).toEqual(Object.values(ports).map(String).sort());
        if (attempt === 1) throw new PortConflictError('etcd could not bind its port (address already in use)');
        return 'up';
      },
      { log: (l) => lines.push(l) },
    );
    expect(result).toBe('up');
    expect(seen).toEqual([
      { etcd: 44000, apiserver: 44001 },
      { etcd: 44002, apiserver: 44003 },
    ]);
    expect(lines).toEqual([
      'etcd could not bind its port (address already in use); starting again on other ports (attempt 2 of 3)',
    ]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('does not retry other failures, nor a conflict past its attempts', async () => {
    let calls = 0;
    await expect(
      withReservedPorts(registry('a'), ['p'] as const, async () => {
        calls++;
        throw new Error('etcd exited');
      }),
    ).rejects.toThrow('etcd exited');
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      withReservedPorts(
        registry('b', { from: 45000 }),
        ['p'] as const,
        async () => {
          calls++;
          throw new PortConflictError('taken');
        },
        { attempts: 2 },
      ),
    ).rejects.toThrow('taken');
    expect(calls).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('recognises a port conflict in the logs of etcd, kube-apiserver, Prometheus and Node', () => {
    expect(
      isPortConflict(
        '{"level":"fatal","msg":"discovery failed","error":"listen tcp 127.0.0.1:2380: bind: address already in use"}',
      ),
    ).toBe(true);
    expect(isPortConflict('E0101 failed to listen on 127.0.0.1:6443: bind: address already in use')).toBe(true);
    expect(isPortConflict('Error: listen EADDRINUSE: address already in use 127.0.0.1:9090')).toBe(true);
    expect(isPortConflict('etcdserver: request timed out')).toBe(false);
  });

  it('osFreePort gives a port that can be bound', async () => {
    const p = await osFreePort();
    expect(p).toBeGreaterThan(0);
  });
});
