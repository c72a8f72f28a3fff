import { createServer, type Server } from 'node:http';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KeepAliveTransport } from './kube-transport.js';

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (!s) return;
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
});

/** A server on 127.0.0.1 that answers /ok and never answers anything else. */
async function listen(): Promise<string> {
  server = createServer((req, res) => {
    if (req.url === '/ok') res.end('{"kind":"Status"}');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server!.address() as { port: number }).port}`;
}

describe('KeepAliveTransport', () => {
  it('answers, and fails a request the server never answers once it has been idle too long', async () => {
    const base = await listen();
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: base }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const transport = new KeepAliveTransport(kc, 4, 300);
    const ok = await transport.send(new RequestContext(`${base}/ok`, HttpMethod.GET));
    expect(ok.httpStatusCode).toBe(200);
    const hung = await transport.send(new RequestContext(`${base}/hang`, HttpMethod.GET)).catch((e: unknown) => e);
    expect(hung).toMatchObject({ code: 'ETIMEDOUT' });
    expect((hung as Error).message).toMatch(/no answer from 127\.0\.0\.1:\d+ within 0\.3 s/);
    await transport.close();
  });
});
