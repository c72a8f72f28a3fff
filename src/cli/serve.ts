/** `ferry serve`: the GitOps controller (leader election, the loop, HTTP endpoints) until SIGTERM. */
import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVE_DEFAULTS } from '../config/defaults.js';
import { ferryEnvironment } from '../config/environment.js';
import { Controller } from '../gitops/controller/controller.js';
import { tenantUser, type EnvironmentConfig } from '../gitops/source/environments.js';
import { GitSource, isRemote, type GitAuth } from '../gitops/source/git-source.js';
import { KubeCluster } from '../kube/kube-cluster.js';
import { runLeaderElection } from '../gitops/controller/leader.js';
import { runShards } from '../gitops/controller/shards.js';
import { requestPoll, watchPollRequests } from '../gitops/store/poll-request.js';
import { leaderLeaseName } from '../gitops/store/record-names.js';
import { sourceId } from '../gitops/store/release-store.js';
import { startServer } from '../gitops/controller/server.js';
import { createApi } from '../gitops/controller/api.js';
import { controllerApi } from '../gitops/controller/api-source.js';
import { staticAssets } from '../gitops/controller/static-assets.js';
import { dashboardCommands } from './dashboard-commands.js';
import { jsonLogger, Metrics } from '../gitops/reconcile/telemetry.js';
import { loadWasmEngine } from '../oam/cue/wasm-engine.js';
import { loadRegistry } from '../oam/definitions/builtin.js';
import { tuneForController } from './controller-runtime.js';
import { RUNTIME_TRAITS } from '../traits/registry.js';
import type { TraitRuntimeContext } from '../traits/api/runtime-trait.js';
import { metricSources } from '../metrics/sources.js';
import { parseDuration } from './duration.js';
import { formatProblem } from '../oam/errors.js';
import { openCluster } from './cluster-access.js';
import { EXIT_INVALID, EXIT_OK, reportProblems, UsageError, type CliIO } from './io.js';

export interface ServeCommand {
  repo: string;
  ref?: string;
  commit?: string;
  path: string;
  interval: string;
  port: string;
  /** The address the HTTP port listens on (default 127.0.0.1). */
  address?: string;
  kubeconfig?: string;
  context?: string;
  cacheDir?: string;
  verifyTimeout: string;
  resync: string;
  leaderElect: boolean;
  /** Shard the apps over the replicas (N Leases); replaces leader election. */
  shards?: string;
  leaseDuration: string;
  identity?: string;
  /** The leader Lease's name (default ferry-controller.<source>). */
  leaderElectionId?: string;
  gitSecret?: string;
  concurrency: string;
  /** Prometheus for canary analysis (default $FERRY_PROMETHEUS_URL). */
  prometheusUrl?: string;
  canaryReadyTimeout?: string;
}

/** Git credentials: FERRY_GIT_TOKEN (or FERRY_GIT_USERNAME + FERRY_GIT_PASSWORD), or a Secret. */
async function gitAuth(cmd: ServeCommand, cluster: KubeCluster): Promise<GitAuth | undefined> {
  if (cmd.gitSecret) {
    const [namespace, name] = cmd.gitSecret.includes('/')
      ? cmd.gitSecret.split('/')
      : [SERVE_DEFAULTS.gitSecretNamespace, cmd.gitSecret];
    const secret = await cluster.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: name! });
    if (!secret) throw new UsageError(`--git-secret: Secret ${namespace}/${name} not found`);
    const data = (secret.data ?? {}) as Record<string, string>;
    const dec = (k: string) => (data[k] ? Buffer.from(data[k], 'base64').toString('utf8') : undefined);
    const password = dec('password') ?? dec('token');
    if (!password) throw new UsageError(`--git-secret: Secret ${namespace}/${name} has neither "password" nor "token"`);
    return { username: dec('username') ?? 'git', password };
  }
  const env = ferryEnvironment();
  const password = env.gitToken ?? env.gitPassword;
  return password === undefined ? undefined : { username: env.gitUsername, password };
}

/** What the runtime traits run with: the ready timeout. */
function traitContext(cmd: ServeCommand): Omit<TraitRuntimeContext, 'registry'> {
  return { readyTimeoutMs: parseDuration(cmd.canaryReadyTimeout ?? SERVE_DEFAULTS.canaryReadyTimeout) };
}

export async function runServe(cmd: ServeCommand, io: CliIO): Promise<number> {
  tuneForController();
  const intervalMs = parseDuration(cmd.interval);
  const port = Number(cmd.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number, not "${cmd.port}"`);
  if (cmd.address !== undefined && isIP(cmd.address) === 0)
    throw new UsageError(`--address must be an IP address (127.0.0.1, 0.0.0.0, ::), not "${cmd.address}"`);
  if (cmd.leaderElectionId !== undefined && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(cmd.leaderElectionId))
    throw new UsageError(
      "--leader-election-id must be a Lease name (lowercase letters, digits, '-' and '.'), " +
        `not "${cmd.leaderElectionId}"`,
    );
  const shards = cmd.shards === undefined ? undefined : Number(cmd.shards);
  if (shards !== undefined && (!Number.isInteger(shards) || shards < 1 || shards > 1024))
    throw new UsageError(`--shards must be a whole number from 1 to 1024, not "${cmd.shards}"`);
  const identity = cmd.identity ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  // The controller's own cluster: a missing or garbled kubeconfig, or an unknown context, is located
  // (exit 1).
  // A long-running controller retries transient errors with the adapter's defaults.
  const opened = openCluster(cmd.kubeconfig, cmd.context, { inCluster: true, retry: {} });
  if (!opened.ok) return reportProblems(io, opened.problems);
  const home = opened.value;
  // Leases go over their own connections, as client-go advises: a renewal never queues behind the apps' traffic. A
  // request that hangs fails after a third of the Lease, tried once: the loops try again within a quarter period
  // (a retry here would come at the step-down, and repeat a write that may have landed with a stale version).
  const leaseMs = parseDuration(cmd.leaseDuration);
  const coordination = new KubeCluster(home.kubeconfig, { attempts: 1 }, Math.max(1000, leaseMs / 3));
  const log = jsonLogger();
  const metrics = new Metrics();
  const clusters = new Map<string, KubeCluster>([[`${cmd.kubeconfig ?? ''}|${cmd.context ?? ''}`, home]]);
  /** Another environment's or placement's cluster; a kubeconfig that does not open fails that release alone. */
  const clusterAt = (file: string | undefined, context: string | undefined) => {
    const key = `${file ?? ''}|${context ?? ''}`;
    let c = clusters.get(key);
    if (!c) {
      const other = openCluster(file, context, { inCluster: true, retry: {} });
      if (!other.ok) throw new Error(other.problems.map(formatProblem).join('; '));
      clusters.set(key, (c = other.value));
    }
    return c;
  };
  const clusterFor = (env: EnvironmentConfig | undefined, placement: string): KubeCluster => {
    if (placement !== 'local') {
      if (!home.kubeconfig.getContexts().some((c) => c.name === placement))
        throw new Error(
          `the app places objects on cluster "${placement}", but the kubeconfig has no context of that name`,
        );
      return clusterAt(env?.kubeconfig ?? cmd.kubeconfig, placement);
    }
    return env?.context || env?.kubeconfig ? clusterAt(env.kubeconfig ?? cmd.kubeconfig, env.context) : home;
  };
  // An environment with a serviceAccount: its apps' objects are written and read as that account (impersonated).
  const tenants = new Map<string, KubeCluster>();
  const appClusterFor = (env: EnvironmentConfig | undefined, placement: string): KubeCluster => {
    const own = clusterFor(env, placement);
    const user = tenantUser(env);
    if (!user) return own;
    const key = `${env?.kubeconfig ?? ''}|${env?.context ?? ''}|${placement}|${user}`;
    let c = tenants.get(key);
    if (!c) tenants.set(key, (c = own.impersonating(user)));
    return c;
  };
  const repo = isRemote(cmd.repo) ? cmd.repo : resolve(cmd.repo);
  const cacheDir =
    cmd.cacheDir ?? join(ferryEnvironment().reposDir, createHash('sha256').update(repo).digest('hex').slice(0, 16));
  const source = new GitSource({
    repo,
    cacheDir,
    ...(cmd.ref ? { ref: cmd.ref } : {}),
    ...(cmd.commit ? { commit: cmd.commit } : {}),
    auth: await gitAuth(cmd, home),
  });
  const registry = loadRegistry(await loadWasmEngine(), []);
  if (!registry.ok) return reportProblems(io, registry.problems);
  const controller = new Controller({
    source,
    path: cmd.path,
    intervalMs,
    clusterFor,
    appClusterFor,
    registry: registry.value,
    metrics,
    log,
    verifyTimeoutMs: parseDuration(cmd.verifyTimeout),
    resyncMs: cmd.resync === '0' ? 0 : parseDuration(cmd.resync),
    concurrency: Number(cmd.concurrency),
    ...(shards !== undefined ? { shards, identity } : {}),
    runtimeTraits: RUNTIME_TRAITS,
    traitContext: traitContext(cmd),
    // Each environment's metrics (ferry.yaml `metrics`), else the Prometheus the command names.
    metricSources: metricSources(cmd.prometheusUrl ?? ferryEnvironment().prometheusUrl),
  });
  /** An environment of the ferry.yaml the controller read last. */
  const environmentNamed = (env: string | undefined) =>
    controller.ferryConfig()?.environments.find((e) => e.name === env);
  let leading = !cmd.leaderElect;
  const server = await startServer({
    port,
    ...(cmd.address ? { address: cmd.address } : {}),
    metrics,
    log,
    webhookSecret: ferryEnvironment().webhookSecret,
    branch: cmd.ref,
    ready: () =>
      leading
        ? {
            ready: controller.ready,
            message: controller.ready
              ? controller.sourceError
                ? `ready; git source failing: ${controller.sourceError}`
                : 'ready'
              : 'first poll in progress',
          }
        : { ready: true, message: 'standby (not the leader)' },
    trigger: () => {
      if (!leading) return false;
      controller.trigger();
      // Sharded: the commit may change apps of every replica's shards; they all poll.
      if (shards !== undefined)
        void requestPoll(home, sourceId(repo, cmd.path), identity).catch((e) =>
          log.warn({ err: (e as Error).message }, 'cannot ask the other replicas to poll'),
        );
      return true;
    },
    api: createApi(
      controllerApi(
        controller,
        RUNTIME_TRAITS,
        dashboardCommands({
          source: sourceId(repo, cmd.path),
          ferryConfig: () => controller.ferryConfig(),
          // The controller's own clusters (in-cluster credentials, its contexts), opened once.
          cluster: (env, placement = 'local') => clusterFor(environmentNamed(env), placement),
          // A rollback's objects: as the environment's tenant, as the controller writes them.
          appCluster: (env, placement = 'local') => appClusterFor(environmentNamed(env), placement),
        }),
      ),
      log,
      ferryEnvironment().uiToken ? { token: ferryEnvironment().uiToken } : {},
    ),
    assets: staticAssets(fileURLToPath(new URL('../../ui/', import.meta.url))),
  });
  log.info(
    { port: server.port, address: cmd.address ?? '127.0.0.1', repo, path: cmd.path, interval: cmd.interval },
    'ferry serve listening on 127.0.0.1',
  );
  io.err(
    `ferry serve: http://${cmd.address && cmd.address !== '0.0.0.0' ? cmd.address : '127.0.0.1'}:${server.port} ` +
      '(dashboard, healthz, readyz, metrics, webhook, api/v1)\n',
  );
  const stop = new AbortController();
  const done = new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }));
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    stop.abort();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  const lead = () => {
    leading = true;
    metrics.leader.set(1);
    log.info({}, 'leading: starting the loop');
    controller.start();
  };
  let election: Promise<void> = Promise.resolve();
  if (shards !== undefined) {
    const source = sourceId(repo, cmd.path);
    lead();
    election = Promise.allSettled([
      runShards({
        cluster: coordination,
        source,
        identity,
        shards,
        leaseSeconds: leaseMs / 1000,
        signal: stop.signal,
        take: (shard) => controller.takeShard(shard),
        drop: (shard) => controller.dropShard(shard),
        log,
      }),
      watchPollRequests(
        home,
        source,
        identity,
        () => controller.trigger(),
        stop.signal,
        (e) => log.warn({ err: e.message }, 'watching poll requests failed; trying again'),
      ),
    ]).then((results) => {
      for (const x of results) if (x.status === 'rejected') log.error({ err: String(x.reason) }, 'sharding failed');
    });
    log.info({ identity, shards }, 'sharded: taking a fair share of the shards');
  } else if (cmd.leaderElect) {
    const lease = cmd.leaderElectionId ?? leaderLeaseName(sourceId(repo, cmd.path));
    election = runLeaderElection({
      cluster: coordination,
      identity,
      name: lease,
      leaseSeconds: leaseMs / 1000,
      signal: stop.signal,
      onStartedLeading: lead,
      onStoppedLeading: () => {
        leading = false;
        metrics.leader.set(0);
        log.warn({}, 'lost the lease: stopping the loop');
        void controller.stop();
      },
    }).catch((e) => log.error({ err: (e as Error).message }, 'leader election failed'));
    log.info({ identity, lease }, 'waiting for the controller lease');
  } else lead();
  await done;
  await controller.stop();
  await election;
  await server.close();
  await coordination.close();
  log.info({}, 'stopped');
  return stop.signal.aborted ? EXIT_OK : EXIT_INVALID;
}
