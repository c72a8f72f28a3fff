/**
 * Two local clusters started at the same moment get disjoint ports and both come up; a component that
 * finds its port taken (here: a port held open and reported bindable) has the start retried on others.
 * Starts two extra one-node clusters and stops them.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startCluster, stopCluster } from '../../src/localcluster/cluster.js';
import { canBind, osFreePort, PortRegistry } from '../../src/localcluster/ports.js';

const names = [`ferry-ports-a-${process.pid}`, `ferry-ports-b-${process.pid}`];
const own = inject('ownCluster');

afterAll(async () => {
  for (const n of names) await stopCluster(n);
});

describe.skipIf(!own)('local cluster ports', () => {
  it('two clusters started at once come up on disjoint ports', async () => {
    const [a, b] = await Promise.all(names.map((name) => startCluster({ name, nodes: 1, timeoutSeconds: 300 })));
    const pa = Object.values(a!.ports);
    const pb = Object.values(b!.ports);
    expect(pa.filter((p) => pb.includes(p))).toEqual([]);
    await stopCluster(names[1]!);
  });

  it('a port taken behind the registry makes etcd exit; the start is retried on other ports', async () => {
    const server: Server = createServer();
    const busy = await new Promise<number>((res) =>
      server.listen(0, '127.0.0.1', () => res((server.address() as { port: number }).port)),
    );
    const lines: string[] = [];
    try {
      await stopCluster(names[1]!);
      let first = true;
      const lying = new PortRegistry({
        // The first candidate (etcd's client port) is the busy one, said to be free.
        candidate: async () => (first ? ((first = false), busy) : osFreePort()),
        bindable: async (p) => p === busy || canBind(p),
      });
      const state = await startCluster({
        name: names[1]!,
        nodes: 1,
        timeoutSeconds: 300,
        ports: lying,
        log: (l) => lines.push(l),
      });
      expect(state.ports.etcd).not.toBe(busy);
      expect(lines.join('\n')).toMatch(
        /etcd could not bind its port .*starting again on other ports \(attempt 2 of 3\)/,
      );
    } finally {
      server.close();
    }
  });
});
