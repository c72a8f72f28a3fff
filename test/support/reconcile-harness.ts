/**
 * The GitOps controller without Kubernetes, for fast tests of the reconcile logic: a real local Git
 * repository (a temp folder, committed to with the git CLI and read by GitSource as a local path), the
 * real Controller with the built-in definitions (loaded as `ferry serve` loads them), and a SimCluster
 * as every cluster. The controller polls only when told (`poll()`); it hears of holds placed and lifted
 * at once, through the SimCluster's watch. Each test makes its own harness.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { Controller, type ControllerOptions } from '../../src/gitops/controller/controller.js';
import { applyToPlacements } from '../../src/gitops/release/placements.js';
import type { ReconcileContext } from '../../src/gitops/reconcile/machine.js';
import type { Release } from '../../src/gitops/reconcile/release.js';
import { Metrics } from '../../src/gitops/reconcile/telemetry.js';
import { GitSource } from '../../src/gitops/source/git-source.js';
import type { RecordScope } from '../../src/gitops/store/record-names.js';
import {
  appendRevision,
  type Hold,
  placeHold,
  readHistory,
  readHold,
  readState,
  releaseHold,
  type Revision,
  type SavedState,
  sourceId,
  writeState,
} from '../../src/gitops/store/release-store.js';
import { findBridgeDir, instantiateWasmEngine } from '../../src/oam/cue/wasm-engine.js';
import { loadRegistry } from '../../src/oam/definitions/builtin.js';
import type { DefinitionRegistry } from '../../src/oam/definitions/registry.js';
import { formatProblem } from '../../src/oam/errors.js';
import type { KubeObject } from '../../src/objects/objects.js';
import type { AnyRuntimeTrait } from '../../src/traits/api/runtime-trait.js';
import { RUNTIME_TRAITS } from '../../src/traits/registry.js';
import { SimCluster } from './sim-cluster.js';

let builtins: Promise<DefinitionRegistry> | undefined;

/**
 * The built-in definitions, once per test file, loaded as `ferry serve` loads them; the CUE engine runs
 * on the test's thread (`ferry serve` guards it on a worker thread, whose script is the compiled one).
 */
export function builtinRegistry(): Promise<DefinitionRegistry> {
  builtins ??= instantiateWasmEngine(findBridgeDir()).then((cue) => {
    const r = loadRegistry(cue, []);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    return r.value;
  });
  return builtins;
}

export interface AppTrait {
  type: string;
  properties?: Record<string, unknown>;
}

/** An Application with one `webservice` component of the app's name. */
export function webApp(o: { name?: string; namespace?: string; image: string; traits?: AppTrait[]; port?: unknown }) {
  const name = o.name ?? 'web';
  return stringify({
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name, namespace: o.namespace ?? 'shop' },
    spec: {
      components: [
        {
          name,
          type: 'webservice',
          properties: { image: o.image, port: o.port ?? 8080 },
          ...(o.traits ? { traits: o.traits } : {}),
        },
      ],
    },
  });
}

export interface HarnessOptions {
  /** The app (folder apps/<app>, component of the same name) and its namespace: web in shop. */
  app?: string;
  namespace?: string;
  /** The first commit's image (nginx:1.0) and traits, or its whole app.yaml. */
  image?: string;
  traits?: AppTrait[];
  appYaml?: string;
  /** ferry.yaml of the first commit. */
  ferryYaml?: string;
  /** More files of the first commit (e.g. definitions/soak.cue). */
  files?: Record<string, string>;
  /** The runtime traits (default: the registered ones). */
  runtimeTraits?: readonly AnyRuntimeTrait[];
  /** The controller's metric sources (default: none). */
  metricSources?: ControllerOptions['metricSources'];
  verifyTimeoutMs?: number;
  /** Start the controller (and wait for its first poll); default true. */
  start?: boolean;
  /** Sharded as `ferry serve --shards N`: the controller owns no app until a test gives it a shard. */
  shards?: number;
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export class ReconcileHarness {
  readonly root = mkdtempSync(join(tmpdir(), 'ferry-reconcile-'));
  readonly repo = join(this.root, 'repo');
  readonly cluster = new SimCluster();
  /** The clusters a topology places on by name ("local" is `cluster`), made when first asked for. */
  readonly placed = new Map<string, SimCluster>();
  readonly app: string;
  readonly namespace: string;
  readonly env = 'default';
  /** The records' scope: the app in the default environment, of this repository's source. */
  readonly scope: RecordScope;
  /** Every log line of every controller, parsed. */
  readonly logs: LogLine[] = [];
  /** Every state the release's machine reported (as the status gauge sees them), across restarts. */
  readonly states: string[] = [];
  controller?: Controller;
  /** The commits made, oldest first. */
  readonly commits: string[] = [];

  private constructor(private readonly o: HarnessOptions) {
    this.app = o.app ?? 'web';
    this.namespace = o.namespace ?? 'shop';
    this.scope = { app: this.app, env: this.env, source: sourceId(this.repo, '.') };
  }

  /** A repository with the app at its first commit, and a started controller that has polled it. */
  static async create(o: HarnessOptions = {}): Promise<ReconcileHarness> {
    const h = new ReconcileHarness(o);
    mkdirSync(h.repo);
    h.git('init', '-q', '-b', 'main');
    h.commit(
      {
        'ferry.yaml': o.ferryYaml ?? 'defaults:\n  autoRollback: false\n',
        [`apps/${h.app}/app.yaml`]:
          o.appYaml ?? webApp({ name: h.app, namespace: h.namespace, image: o.image ?? 'nginx:1.0', traits: o.traits }),
        ...o.files,
      },
      'first',
    );
    if (o.start !== false) await h.start();
    return h;
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: this.repo,
      encoding: 'utf8',
    }).trim();
  }

  /** Writes files (null deletes) and commits them; returns the commit. */
  commit(files: Record<string, string | null>, message = 'change'): string {
    for (const [path, text] of Object.entries(files)) {
      const full = join(this.repo, path);
      if (text === null) rmSync(full, { force: true, recursive: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, text);
      }
    }
    this.git('add', '-A');
    this.git('commit', '-qm', message, '--allow-empty');
    const commit = this.git('rev-parse', 'HEAD');
    this.commits.push(commit);
    return commit;
  }

  /** Commits a new app.yaml for the app; returns the commit. */
  commitApp(appYaml: string): string {
    return this.commit({ [`apps/${this.app}/app.yaml`]: appYaml });
  }

  /** A new Controller on the repository and the cluster; resolves after its first poll. */
  async start(): Promise<Controller> {
    if (this.controller) throw new Error('the controller runs already');
    const states = this.states;
    const key = `${this.app}/${this.env}`;
    // One Metrics per controller (the runtime traits register theirs on its registry), tracing the machine's states.
    const metrics = new (class extends Metrics {
      override setStatus(app: string, env: string, status: string): void {
        if (`${app}/${env}` === key) states.push(status);
        super.setStatus(app, env, status);
      }
    })();
    const logs = this.logs;
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
    const controller = new Controller({
      source: new GitSource({ repo: this.repo, cacheDir: join(this.root, 'cache') }),
      path: '.',
      // Polls only when a test says so.
      intervalMs: 3_600_000,
      clusterFor: (_env, placement) => this.clusterAt(placement),
      registry: await builtinRegistry(),
      metrics,
      log,
      verifyTimeoutMs: this.o.verifyTimeoutMs ?? 2000,
      runtimeTraits: this.o.runtimeTraits ?? RUNTIME_TRAITS,
      traitContext: {},
      ...(this.o.metricSources ? { metricSources: this.o.metricSources } : {}),
      ...(this.o.shards ? { shards: this.o.shards } : {}),
    });
    this.controller = controller;
    controller.start();
    await until('the first poll', () => controller.ready || undefined);
    return controller;
  }

  /** The cluster a placement of that name is on: the home one for "local". */
  clusterAt(name: string): SimCluster {
    if (name === 'local') return this.cluster;
    let c = this.placed.get(name);
    if (!c) this.placed.set(name, (c = new SimCluster()));
    return c;
  }

  /** Stops the controller (as leadership lost or SIGTERM would): its machines stop, its writes are awaited. */
  async stop(): Promise<void> {
    const c = this.controller;
    this.controller = undefined;
    await c?.stop();
  }

  /** Stops the controller and starts a new one on the same repository and cluster. */
  async restart(): Promise<Controller> {
    await this.stop();
    return this.start();
  }

  /** One poll of the Git source (a new commit reaches the changed releases; holds are settled). */
  poll(): Promise<{ commit?: string; changed: string[] }> {
    return this.running().pollOnce();
  }

  private running(): Controller {
    if (!this.controller) throw new Error('no controller runs');
    return this.controller;
  }

  /** The app's release in the running controller. */
  get release(): Release | undefined {
    return this.controller?.releases.get(`${this.app}/${this.env}`);
  }

  /** The release's machine: its state and context. */
  get machine(): { value: string; context: ReconcileContext } | undefined {
    const s = this.release?.actor?.getSnapshot();
    return s ? { value: s.value as string, context: s.context } : undefined;
  }

  /**
   * Waits until the release's machine is in `state` (at `revision`, when given) and what it writes about
   * that state has been written; returns the machine.
   */
  async waitFor(
    state: string,
    revision?: string,
    timeoutMs = 8000,
  ): Promise<{ value: string; context: ReconcileContext }> {
    const m = await until(
      `${this.app}/${this.env} to be ${state}${revision ? ` at ${revision.slice(0, 12)}` : ''}`,
      () => {
        const m = this.machine;
        return m && m.value === state && (revision === undefined || m.context.revision === revision) ? m : undefined;
      },
      timeoutMs,
      () => `it is ${this.machine?.value ?? 'not running'} (states: ${this.states.join(' → ')})`,
    );
    await this.settled();
    return m;
  }

  /** Waits for what is being written about the release (its state record, history, holds). */
  async settled(): Promise<void> {
    for (;;) {
      const io = this.release?.io;
      await io;
      await new Promise((r) => setImmediate(r));
      if (this.release?.io === io) return;
    }
  }

  state(): Promise<SavedState> {
    return readState(this.cluster, this.scope);
  }

  history(): Promise<Revision[]> {
    return readHistory(this.cluster, this.scope);
  }

  hold(): Promise<Hold | undefined> {
    return readHold(this.cluster, this.scope);
  }

  /** The app's Deployment as it is in the cluster. */
  deployment(): KubeObject | undefined {
    return this.cluster.object('Deployment', this.namespace, this.app);
  }

  /** A hold placed from outside, as `ferry rollback` writes it (the spec digest of the state record). */
  async placeHold(reason: string): Promise<Hold> {
    const state = await this.state();
    const hold: Hold = {
      reason,
      since: new Date().toISOString(),
      ...(state.summary?.specDigest ? { specDigest: state.summary.specDigest } : {}),
    };
    await placeHold(this.cluster, this.scope, hold);
    return hold;
  }

  /** `ferry resume`: the hold record deleted. */
  async resume(): Promise<void> {
    if (!(await releaseHold(this.cluster, this.scope))) throw new Error(`${this.app}/${this.env} is not held`);
  }

  /**
   * `ferry rollback --to <revision>`, as src/cli/releases.ts runs it: the hold first, then the revision's
   * recorded objects applied, recorded as RolledBack, and the state record shown held.
   */
  async rollback(to: number): Promise<Revision> {
    const target = (await this.history()).find((h) => h.revision === to);
    if (!target?.placements) throw new Error(`revision ${to} is not a good revision of the history`);
    const state = await this.state();
    const reason = `rollback to revision ${target.revision} (commit ${target.commit.slice(0, 12)}) by ferry rollback`;
    await placeHold(this.cluster, this.scope, {
      reason,
      since: new Date().toISOString(),
      ...(state.summary?.specDigest ? { specDigest: state.summary.specDigest } : {}),
      revision: target.revision,
      commit: target.commit,
    });
    const applied = await applyToPlacements(this.scope, target.placements, (c) => this.clusterAt(c));
    if (!applied.ok) throw new Error(applied.errors.join('\n'));
    const rev = await appendRevision(this.cluster, this.scope, {
      commit: target.commit,
      specDigest: target.specDigest,
      ...(target.manifestDigest ? { manifestDigest: target.manifestDigest } : {}),
      placements: target.placements,
      time: new Date().toISOString(),
      outcome: 'RolledBack',
      reason: 'Rollback',
      message: reason,
    });
    if (state.summary) {
      const newest = state.summary.newest ?? state.summary.commit;
      await writeState(this.cluster, this.scope, state.snapshot, {
        ...state.summary,
        waitingFor: undefined,
        status: 'held',
        hold: reason,
        commit: target.commit,
        ...(newest && newest !== target.commit ? { newest } : {}),
        ...(state.summary.placements
          ? { placements: state.summary.placements.map((p) => ({ cluster: p.cluster, commit: target.commit })) }
          : {}),
        updatedAt: new Date().toISOString(),
      });
    }
    return rev;
  }

  /** Log lines with this message. */
  logged(msg: string): LogLine[] {
    return this.logs.filter((l) => l.msg === msg);
  }

  /** Stops the controller and removes the repository. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Polls `get` (every 5 ms) until it gives a value; throws after `timeoutMs` with what was seen. */
export async function until<T>(
  what: string,
  get: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 8000,
  seen?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${seen ? `: ${seen()}` : ''}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
