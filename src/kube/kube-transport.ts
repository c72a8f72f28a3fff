/**
 * The HTTP transport under client-node: one keep-alive HTTPS agent per kubeconfig, so requests reuse
 * TLS connections. client-node 1.4 builds a new agent for every request (a TLS handshake per GET,
 * ~130 requests/s on two cores); node-fetch 2 with a keep-alive agent ends streams early on Node 20,
 * so this library speaks node:https directly. Authentication headers still come from client-node
 * (token refresh, exec plugins); only the connection pool is ours. Proxied clusters keep the agent
 * client-node chose.
 */
import { Agent, request as httpsRequest, type AgentOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import {
  ResponseContext,
  SelfDecodingBody,
  type KubeConfig,
  type PromiseHttpLibrary,
  type RequestContext,
} from '@kubernetes/client-node';

/** Idle sockets are closed before the API server would close them (it keeps them ~90 s). */
const IDLE_MS = 30_000;
/**
 * A request that receives nothing for this long fails (ETIMEDOUT, transient: retried): a hung connection never
 * holds a caller (a Lease renewal) for ever. Longer than the API server's own 60 s request timeout.
 */
export const REQUEST_IDLE_MS = 90_000;

export class KeepAliveTransport implements PromiseHttpLibrary {
  private agent?: Promise<Agent>;

  constructor(
    private readonly kubeconfig: KubeConfig,
    private readonly maxSockets = 32,
    private readonly requestIdleMs = REQUEST_IDLE_MS,
  ) {}

  private pooled(): Promise<Agent> {
    this.agent ??= (async () => {
      const opts: AgentOptions & { headers?: unknown } = {};
      await this.kubeconfig.applyToHTTPSOptions(opts as never);
      const cluster = this.kubeconfig.getCurrentCluster();
      return new Agent({
        keepAlive: true,
        maxSockets: this.maxSockets,
        timeout: IDLE_MS,
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        ...(cluster?.skipTLSVerify ? { rejectUnauthorized: false } : {}),
        ...(cluster?.tlsServerName ? { servername: cluster.tlsServerName } : {}),
      });
    })();
    return this.agent;
  }

  /** Closes the pooled connections (a stopped controller leaves no sockets behind). */
  async close(): Promise<void> {
    if (this.agent) (await this.agent).destroy();
    this.agent = undefined;
  }

  async send(ctx: RequestContext): Promise<ResponseContext> {
    const url = new URL(ctx.getUrl());
    const proxied = !!this.kubeconfig.getCurrentCluster()?.proxyUrl;
    const secure = url.protocol === 'https:';
    const agent = proxied ? ctx.getAgent() : secure ? await this.pooled() : undefined;
    const body = ctx.getBody();
    if (body !== undefined && typeof body !== 'string')
      throw new Error('kube transport: only string bodies are supported');
    const headers: Record<string, string | number> = { ...ctx.getHeaders() };
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    return new Promise<ResponseContext>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: ctx.getHttpMethod(),
          headers,
          ...(agent ? { agent } : {}),
          ...(ctx.getSignal() ? { signal: ctx.getSignal() } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers))
              if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
            resolve(
              new ResponseContext(
                res.statusCode ?? 0,
                out,
                new SelfDecodingBody(Promise.resolve(Buffer.concat(chunks))),
              ),
            );
          });
        },
      );
      req.on('error', reject);
      req.setTimeout(this.requestIdleMs, () => {
        const e = new Error(`no answer from ${url.host} within ${this.requestIdleMs / 1000} s`) as Error & {
          code: string;
        };
        e.code = 'ETIMEDOUT';
        req.destroy(e);
      });
      req.end(body);
    });
  }
}
