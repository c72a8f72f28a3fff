/** `ferry`: the command line. Exit 0 success, 1 invalid input, 2 usage error. */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  EXIT_UNREACHABLE,
  EXIT_USAGE,
  ProblemsError,
  processIO,
  reportProblems,
  UsageError,
  type CliIO,
} from './io.js';
import { FerryConfigError } from '../gitops/source/config-errors.js';
import { ClusterError } from '../ports/cluster.js';
import { addPromotionCommands } from './promote-commands.js';
import { parseDuration } from './duration.js';
import { APPLY_DEFAULTS, OUTPUT_DEFAULTS, SERVE_DEFAULTS } from '../config/defaults.js';
import { environmentProblems } from '../config/environment.js';
import { ferryVersion } from './version.js';

/**
 * Each command's module, loaded when the command runs: `ferry render` never loads the Kubernetes client, and
 * `ferry help` loads none of them (a one-shot command's start is mostly module loading otherwise).
 */
const commands = {
  render: () => import('./render.js'),
  def: () => import('./def.js'),
  diff: () => import('./diff.js'),
  apply: () => import('./apply.js'),
  status: () => import('./status.js'),
  releases: () => import('./releases.js'),
  rollout: () => import('./rollout.js'),
  slo: () => import('./slo.js'),
  serve: () => import('./serve.js'),
  engine: () => import('../oam/cue/wasm-engine.js'),
};

const collect = (v: string, prev: string[]) => [...prev, v];

/** Flag values are checked when parsed, before anything runs (exit 2 naming the flag). */
const duration =
  (zero = false) =>
  (v: string) => {
    if (zero && v === '0') return v;
    try {
      parseDuration(v);
    } catch {
      throw new InvalidArgumentError(`"${v}" is not a duration (use e.g. 30s, 5m, 1h${zero ? ', or 0' : ''})`);
    }
    return v;
  };
const positiveInt = (max: number) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max)
    throw new InvalidArgumentError(`"${v}" is not a whole number from 1 to ${max}`);
  return v;
};
const port = (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError(`"${v}" is not a port number (0-65535)`);
  return v;
};

export function buildProgram(io: CliIO, done: (code: number) => void): Command {
  const program = new Command('ferry')
    .description('Ferry: render KubeVela-compatible OAM applications and deliver them to Kubernetes')
    .version(ferryVersion())
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .hook('preAction', () => {
      // A FERRY_* variable that does not parse is a usage error naming it, before anything runs.
      const bad = environmentProblems();
      if (bad.length > 0) throw new UsageError(bad.map((p) => p.message).join('\nerror: '));
    });
  const strict =
    'treat warnings as errors (a trait outside its appliesToWorkloads, unknown parameters, ' +
    'an object one component renders twice)';

  program
    .command('render')
    .description('render an Application (file, or folder of YAML files) into Kubernetes manifests')
    .argument('<app>', 'app.yaml or a folder of application YAML files')
    .option(
      '-d, --definitions <dir>',
      'extra definitions folder (.cue files or YAML CRs); repeatable, later ones override',
      collect,
      [],
    )
    .option('-e, --env <name>', 'render for this environment (a deploy step or topology policy of the app)')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default(OUTPUT_DEFAULTS.render),
    )
    .exitOverride()
    .option('--strict', strict)
    .action(async (app: string, opts: { definitions: string[]; env?: string; output: string; strict?: boolean }) => {
      done(
        await (await commands.render()).runRender(
          {
            path: app,
            definitions: opts.definitions,
            env: opts.env,
            output: opts.output,
            strict: opts.strict === true,
          },
          io,
        ),
      );
    });

  program
    .command('version')
    .description("Ferry's version and the CUE evaluator it renders with (KubeVela 1.11 pins cuelang.org/go v0.14.1)")
    .exitOverride()
    .action(async () => {
      const cue = await (await commands.engine()).loadWasmEngine();
      io.out(`ferry ${ferryVersion()}\ncuelang.org/go ${cue.version}\n`);
      done(0);
    });

  const def = program.command('def').description('list and inspect definitions').exitOverride();
  def
    .command('list')
    .description('list the built-in and extra definitions')
    .option('-d, --definitions <dir>', 'extra definitions folder; repeatable', collect, [])
    .exitOverride()
    .action(async (opts: { definitions: string[] }) =>
      done(await (await commands.def()).runDefList(opts.definitions, io)),
    );
  def
    .command('show')
    .description("show a definition's parameters: name, type, default, required, description")
    .argument('<name>', 'definition name')
    .option('-d, --definitions <dir>', 'extra definitions folder; repeatable', collect, [])
    .exitOverride()
    .action(async (name: string, opts: { definitions: string[] }) =>
      done(await (await commands.def()).runDefShow(name, opts.definitions, io)),
    );
  const target = (c: Command) =>
    c
      .requiredOption('-e, --env <name>', 'environment: in ferry.yaml, or a deploy step / topology policy of the app')
      .option('-d, --definitions <dir>', 'extra definitions folder; repeatable', collect, [])
      .option('--config <file>', 'ferry.yaml with environments (default ./ferry.yaml)')
      .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG or ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context for the "local" cluster')
      .exitOverride();
  type TargetFlags = {
    env: string;
    definitions: string[];
    config?: string;
    kubeconfig?: string;
    context?: string;
    strict?: boolean;
  };
  const targetOf = (app: string, o: TargetFlags) => ({
    app,
    env: o.env,
    definitions: o.definitions,
    config: o.config,
    kubeconfig: o.kubeconfig,
    context: o.context,
    strict: o.strict === true,
  });

  target(
    program
      .command('diff')
      .description('show what apply would change (exit 0 no changes, 1 changes, 2 error)')
      .argument('<app>', 'app.yaml or folder'),
  )
    .option('--prune', 'include objects that would be pruned', false)
    .option('--strict', strict)
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default(OUTPUT_DEFAULTS.diff),
    )
    .action(async (app: string, o: TargetFlags & { prune: boolean; output: string }) =>
      done(await (await commands.diff()).runDiff({ ...targetOf(app, o), prune: o.prune, output: o.output }, io)),
    );
  target(
    program
      .command('apply')
      .description('sync an app to an environment: dry-run, staged server-side apply, inventory, prune')
      .argument('<app>', 'app.yaml or folder'),
  )
    .option('--prune', 'delete objects that left the desired set', false)
    .option('--wait', 'wait until everything is healthy (fails fast on Degraded)', false)
    .option('--timeout <duration>', 'how long --wait and dependsOn waits may take', duration(), APPLY_DEFAULTS.timeout)
    .option('--adopt', 'take over existing objects Ferry did not create', false)
    .option('--force', 'force field ownership conflicts', false)
    .option('--allow-empty', 'allow pruning everything when the desired set is empty', false)
    .option('--strict', strict)
    .option(
      '--self-heal <interval>',
      'then keep checking for drift every interval (e.g. 30s) and correct it, until SIGTERM',
      duration(),
    )
    .action(
      async (
        app: string,
        o: TargetFlags & {
          prune: boolean;
          wait: boolean;
          timeout: string;
          adopt: boolean;
          force: boolean;
          allowEmpty: boolean;
          selfHeal?: string;
        },
      ) =>
        done(
          await (await commands.apply()).runApply(
            {
              ...targetOf(app, o),
              prune: o.prune,
              wait: o.wait,
              timeout: o.timeout,
              adopt: o.adopt,
              force: o.force,
              allowEmpty: o.allowEmpty,
              selfHeal: o.selfHeal,
            },
            io,
          ),
        ),
    );
  program
    .command('status')
    .description(
      'without <app>: every app × environment the controller records (commit, state, health, hold, last error, ' +
        'age); with <app> and --env: per object sync state and health',
    )
    .argument('[app]', 'app.yaml or folder (per-object status)')
    .option('-e, --env <name>', 'environment')
    .option('-d, --definitions <dir>', 'extra definitions folder; repeatable', collect, [])
    .option('--config <file>', 'ferry.yaml with environments (default ./ferry.yaml)')
    .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--source <id|repo>', 'only the apps of this Git source (its id, or its repository URL or path)')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default(OUTPUT_DEFAULTS.status),
    )
    .exitOverride()
    .action(
      async (
        app: string | undefined,
        o: Partial<TargetFlags> & { definitions: string[]; output: string; source?: string },
      ) => {
        if (app === undefined) return done(await (await commands.releases()).runStatusAll(o, io));
        if (!o.env) throw new UsageError('status <app> needs --env');
        done(await (await commands.status()).runStatus({ ...targetOf(app, o as TargetFlags), output: o.output }, io));
      },
    );
  const recordFlags = (c: Command) =>
    c
      .option('--config <file>', 'ferry.yaml with environments (default ./ferry.yaml)')
      .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG or ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context')
      .option(
        '--source <id|repo>',
        'the Git source whose records to use, when two sources have an app of this name ' +
          '(its id, or its repository URL or path)',
      )
      .exitOverride();
  const records = (c: Command) => recordFlags(c.requiredOption('-e, --env <name>', 'environment'));
  records(
    program
      .command('history')
      .description("an app's recorded revisions in an environment: commit, outcome, digests, time")
      .argument('<app>', 'application name'),
  )
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default(OUTPUT_DEFAULTS.history),
    )
    .action(async (app: string, o: { env: string; output: string }) =>
      done(await (await commands.releases()).runHistory(app, o, io)),
    );
  records(
    program
      .command('rollback')
      .description(
        're-apply the manifests of an earlier good revision and hold the app there until a newer commit changes ' +
          'it or `ferry resume`',
      )
      .argument('<app>', 'application name'),
  )
    .option('--to <revision>', 'revision number (default: the newest good revision before the deployed one)')
    .action(async (app: string, o: { env: string; to?: string }) =>
      done(await (await commands.releases()).runRollback(app, o, io)),
    );
  records(
    program
      .command('resume')
      .description('lift a rollback hold or suspend: the controller syncs the app to the newest commit again')
      .argument('<app>', 'application name'),
  ).action(async (app: string, o: { env: string }) => done(await (await commands.releases()).runResume(app, o, io)));
  const rollout = program
    .command('rollout')
    .description('follow, promote or abort the canary (gray release) of an app in an environment')
    .exitOverride();
  records(
    rollout
      .command('status')
      .description(
        "a canary's progress: step, weight, analysis runs " +
          '(-w: until it is promoted or aborted; exit 0 promoted, 1 aborted)',
      )
      .argument('<app>', 'application name'),
  )
    .option('-w, --watch', 'print it again whenever it changes, until the canary ends')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['table', 'json'])
        .default(OUTPUT_DEFAULTS.rolloutStatus),
    )
    .action(async (app: string, o: { env: string; watch?: boolean; output: string }) =>
      done(await (await commands.rollout()).runRolloutStatus(app, o, io)),
    );
  records(
    rollout
      .command('promote')
      .description('move a running or paused canary on to its next step (--full: straight to 100 %)')
      .argument('<app>', 'application name'),
  )
    .option('--full', 'skip the remaining steps and promote now')
    .action(async (app: string, o: { env: string; full?: boolean }) =>
      done(await (await commands.rollout()).runRolloutPromote(app, o, io)),
    );
  records(
    rollout
      .command('abort')
      .description('stop a canary and roll back: the stable version takes all traffic back')
      .argument('<app>', 'application name'),
  ).action(async (app: string, o: { env: string }) =>
    done(await (await commands.rollout()).runRolloutAbort(app, o, io)),
  );
  records(
    program
      .command('slo')
      .description("an app's latency objectives: whether they hold, what was observed, the replicas chosen and why")
      .argument('<app>', 'application name'),
  )
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default(OUTPUT_DEFAULTS.slo),
    )
    .action(async (app: string, o: { env: string; output: string }) =>
      done(await (await commands.slo()).runSlo(app, o, io)),
    );
  addPromotionCommands(program, { withEnv: records, withoutEnv: recordFlags }, io, done);
  program
    .command('serve')
    .description(
      'run the GitOps controller: watch a Git repository, sync every app and environment, ' +
        'serve the dashboard, /api/v1, /healthz /readyz /metrics /webhook on 127.0.0.1',
    )
    .requiredOption('--repo <url|path>', 'http(s) URL of the repository, or the path of a local one')
    .option('--branch <name>', 'branch or tag to follow (remote default main, local default HEAD)')
    .option('--commit <sha>', 'pin a commit')
    .option('--path <dir>', 'sub-folder holding ferry.yaml, apps/ and definitions/', SERVE_DEFAULTS.path)
    .option('--interval <duration>', 'poll interval (±10 % jitter)', duration(), SERVE_DEFAULTS.interval)
    .option('--port <port>', 'HTTP port (0 = any free port)', port, String(SERVE_DEFAULTS.port))
    .option('--address <ip>', 'the address the HTTP port listens on (0.0.0.0 in a pod, for its probes)', '127.0.0.1')
    .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', "kubeconfig context of the controller's own cluster")
    .option('--cache-dir <dir>', 'where the clone of a remote repository is kept')
    .option(
      '--verify-timeout <duration>',
      'how long verification waits for health',
      duration(),
      SERVE_DEFAULTS.verifyTimeout,
    )
    .option(
      '--resync <duration>',
      'compare synced apps with the cluster again this often and correct drift (0 = never)',
      duration(true),
      SERVE_DEFAULTS.resync,
    )
    .option('--no-leader-elect', 'run without leader election (a single replica)')
    .option('--shards <n>', 'spread the apps over the replicas: N shards, each owned through its own Lease')
    .option('--lease-duration <duration>', 'leader lease duration', duration(), SERVE_DEFAULTS.leaseDuration)
    .option('--identity <name>', "this replica's name in the lease (default host-pid-random)")
    .option('--leader-election-id <name>', 'the leader Lease in ferry-system (default ferry-controller.<source id>)')
    .option('--git-secret <namespace/name>', 'Secret with username + password/token for the repository')
    .option(
      '--concurrency <n>',
      'render/plan/apply steps run at once',
      positiveInt(SERVE_DEFAULTS.maxConcurrency),
      String(SERVE_DEFAULTS.concurrency),
    )
    .option(
      '--prometheus-url <url>',
      'Prometheus for canary analysis (default $FERRY_PROMETHEUS_URL; without it, a canary that declares ' +
        'metrics waits, inconclusive)',
    )
    .option(
      '--canary-ready-timeout <duration>',
      "how long a canary's pods may take to become ready before the canary is Degraded",
      duration(),
      SERVE_DEFAULTS.canaryReadyTimeout,
    )
    .exitOverride()
    .action(
      async (o: {
        repo: string;
        branch?: string;
        commit?: string;
        path: string;
        interval: string;
        port: string;
        kubeconfig?: string;
        context?: string;
        cacheDir?: string;
        verifyTimeout: string;
        resync: string;
        leaderElect: boolean;
        leaseDuration: string;
        identity?: string;
        leaderElectionId?: string;
        gitSecret?: string;
        concurrency: string;
        prometheusUrl?: string;
        canaryReadyTimeout: string;
      }) => done(await (await commands.serve()).runServe({ ...o, ref: o.branch }, io)),
    );
  return program;
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return EXIT_USAGE;
    }
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return 0;
      return EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof FerryConfigError || e instanceof ProblemsError) return reportProblems(io, e.problems);
    if (e instanceof ClusterError && e.status === 0) {
      io.err(`error: ${e.message}\n`);
      return EXIT_UNREACHABLE;
    }
    io.err(`ferry: internal error: ${(e as Error).message}\n`);
    return 70;
  }
}
