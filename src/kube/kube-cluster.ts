/** Adapter: the ClusterPort over @kubernetes/client-node, with retries and a write counter. */
import {
  createConfiguration,
  HttpMethod,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type RequestContext,
  ServerConfiguration,
  wrapHttpLibrary,
} from '@kubernetes/client-node';
import {
  ClusterError,
  SYNC_FIELD_MANAGER,
  type ClusterPort,
  type WatchHandlers,
  type WatchQuery,
  type WorkloadScale,
  workloadScale,
} from '../ports/cluster.js';
import { KeepAliveTransport } from './kube-transport.js';
import { reflect, streamWatch } from './kube-watch.js';
import { formatRef, refOf, type KubeObject, type ObjectRef } from '../objects/objects.js';
import { withRetry, type RetryOptions } from '../util/retry.js';

export const FIELD_MANAGER = SYNC_FIELD_MANAGER;

/** What of client-node's object API a subresource request needs (its path lookup, its request pipeline). */
interface ObjectApiInternals {
  configuration: { baseServer: { makeRequestContext(path: string, method: HttpMethod): RequestContext } };
  specUriPath(spec: unknown, action: 'patch'): Promise<string>;
  requestPromise(ctx: RequestContext): Promise<unknown>;
}

interface ApiErrorLike {
  code?: number;
  body?: unknown;
  message?: string;
}

function toClusterError(e: unknown, ref: ObjectRef | undefined): ClusterError | unknown {
  const err = e as ApiErrorLike & { code?: unknown };
  if (typeof err.code !== 'number') {
    if (typeof err.code === 'string')
      return new ClusterError(
        ref,
        0,
        `${ref ? `${formatRef(ref)}: ` : ''}cannot reach the API server (${err.code})`,
        [],
        true,
      );
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    if (cause)
      return new ClusterError(
        ref,
        0,
        `${ref ? `${formatRef(ref)}: ` : ''}cannot reach the API server (${cause})`,
        [],
        true,
      );
    return e;
  }
  let body = err.body as
    | { message?: string; details?: { causes?: { field?: string; message?: string }[] } }
    | string
    | undefined;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as typeof body;
    } catch {
      /* keep text */
    }
  }
  let message =
    typeof body === 'object' && body?.message ? body.message : String(err.message ?? body ?? 'request failed');
  // client-node looks the kind up first; a 404 there means the server does not serve this kind at all.
  if (err.code === 404 && /Failed to fetch resource metadata/.test(message) && ref)
    message = `the API server does not serve ${ref.apiVersion} ${ref.kind} (no such kind; is its CRD installed?)`;
  const fields =
    typeof body === 'object' ? (body?.details?.causes ?? []).map((c) => c.field).filter((f): f is string => !!f) : [];
  const transient = err.code === 429 || err.code >= 500;
  return new ClusterError(ref, err.code, `${ref ? `${formatRef(ref)}: ` : ''}${message}`, fields, transient);
}

export class KubeCluster implements ClusterPort {
  private readonly api: KubernetesObjectApi;
  private readonly transport: KeepAliveTransport;
  private writeCount = 0;

  constructor(
    readonly kubeconfig: KubeConfig,
    private readonly retry: RetryOptions = {},
    /** A request that receives nothing for this long fails (transient: retried); default REQUEST_IDLE_MS. */
    requestIdleMs?: number,
  ) {
    const server = kubeconfig.getCurrentCluster()?.server;
    if (!server) throw new Error('the kubeconfig has no current cluster');
    this.transport = new KeepAliveTransport(kubeconfig, undefined, requestIdleMs);
    this.api = new KubernetesObjectApi(
      createConfiguration({
        baseServer: new ServerConfiguration(server, {}),
        authMethods: { default: kubeconfig },
        httpApi: wrapHttpLibrary(this.transport),
      }),
    );
    (this.api as unknown as { setDefaultNamespace(kc: KubeConfig): void }).setDefaultNamespace(kubeconfig);
  }

  /** Closes pooled connections; the cluster stays usable (a new pool opens on the next call). */
  async close(): Promise<void> {
    await this.transport.close();
  }

  /**
   * The same cluster as `user` (impersonation: the `Impersonate-User` header on every request and watch, as
   * kubectl's --as). The API server checks this identity's `impersonate` right, then authorizes as `user`.
   */
  impersonating(user: string): KubeCluster {
    const kc = this.kubeconfig;
    const current = kc.getContextObject(kc.currentContext)?.user;
    const next = new KubeConfig();
    next.loadFromOptions({
      clusters: kc.clusters,
      contexts: kc.contexts,
      users: kc.users.map((u) => (u.name === current ? { ...u, impersonateUser: user } : u)),
      currentContext: kc.currentContext,
    });
    return new KubeCluster(next, this.retry);
  }

  static fromFile(path?: string, context?: string): KubeCluster {
    const kc = new KubeConfig();
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
    if (context) kc.setCurrentContext(context);
    return new KubeCluster(kc);
  }

  get writes(): number {
    return this.writeCount;
  }

  private async call<T>(ref: ObjectRef | undefined, fn: () => Promise<T>): Promise<T> {
    return withRetry(async () => {
      try {
        return await fn();
      } catch (e) {
        throw toClusterError(e, ref);
      }
    }, this.retry);
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return (await this.call(ref, () =>
        this.api.read({
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
        }),
      )) as unknown as KubeObject;
    } catch (e) {
      if (e instanceof ClusterError && e.status === 404) return undefined;
      // A kind the server does not know (its CRD is not installed yet) cannot have live objects.
      if (e instanceof Error && /resource.*not found|no matches for kind|Unrecognized kind/i.test(e.message))
        return undefined;
      throw e;
    }
  }

  async list(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    labelSelector: string,
  ): Promise<KubeObject[]> {
    const r = await this.call(undefined, () =>
      this.api.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector),
    );
    return (r.items ?? []).map((i) => ({ ...(i as unknown as KubeObject), apiVersion, kind }));
  }

  /** List, then watch from the list's version (see kube-watch.ts), until `signal` aborts. */
  async watch(q: WatchQuery, handlers: WatchHandlers, signal: AbortSignal): Promise<void> {
    const api = this.api as unknown as { specUriPath(spec: unknown, action: 'list'): Promise<string> };
    const list = async (w: WatchQuery) => {
      const r = await this.call(undefined, () =>
        this.api.list(w.apiVersion, w.kind, w.namespace, undefined, undefined, undefined, undefined, w.labelSelector),
      );
      return {
        items: (r.items ?? []).map((i) => ({
          ...(i as unknown as KubeObject),
          apiVersion: w.apiVersion,
          kind: w.kind,
        })),
        resourceVersion: r.metadata?.resourceVersion ?? '0',
      };
    };
    const stream = async (
      w: WatchQuery,
      rv: string,
      onEvent: (type: string, obj: KubeObject) => void,
      sig: AbortSignal,
    ) => {
      const path = await api.specUriPath(
        { apiVersion: w.apiVersion, kind: w.kind, metadata: { namespace: w.namespace } },
        'list',
      );
      await streamWatch(
        this.kubeconfig,
        path,
        w,
        rv,
        (type, obj) => onEvent(type, { ...obj, apiVersion: w.apiVersion, kind: w.kind }),
        sig,
      );
    };
    await reflect({ list, stream }, q, handlers, signal);
  }

  async apply(obj: KubeObject, opts: { dryRun?: boolean; force?: boolean } = {}): Promise<KubeObject> {
    const ref = refOf(obj);
    return (await this.call(ref, () => {
      this.writeCount++;
      return this.api.patch(
        obj as never,
        undefined,
        opts.dryRun ? 'All' : undefined,
        FIELD_MANAGER,
        opts.force ?? false,
        PatchStrategy.ServerSideApply,
      );
    })) as unknown as KubeObject;
  }

  /** A merge patch of the object's `scale` subresource (any kind that has one), as `fieldManager`. */
  async scale(ref: ObjectRef, replicas: number, fieldManager: string): Promise<void> {
    const api = this.api as unknown as ObjectApiInternals;
    const spec = {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
    };
    await this.call(ref, async () => {
      this.writeCount++;
      const path = `${await api.specUriPath(spec, 'patch')}/scale`;
      const request = api.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
      request.setHeaderParam('Accept', 'application/json');
      request.setHeaderParam('Content-Type', PatchStrategy.MergePatch);
      request.setQueryParam('fieldManager', fieldManager);
      request.setBody(JSON.stringify({ spec: { replicas } }));
      return api.requestPromise(request);
    });
  }

  async readScale(ref: ObjectRef): Promise<WorkloadScale | undefined> {
    const live = await this.get(ref);
    return live && workloadScale(live);
  }

  async create(obj: KubeObject): Promise<KubeObject> {
    return (await this.call(refOf(obj), () => {
      this.writeCount++;
      return this.api.create(obj as never, undefined, undefined, FIELD_MANAGER);
    })) as unknown as KubeObject;
  }

  async delete(ref: ObjectRef): Promise<void> {
    try {
      await this.call(ref, () => {
        this.writeCount++;
        return this.api.delete(
          {
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
          },
          undefined,
          undefined,
          undefined,
          undefined,
          'Background',
        );
      });
    } catch (e) {
      if (e instanceof ClusterError && e.status === 404) return;
      throw e;
    }
  }
}
