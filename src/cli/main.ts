/** `ferry`: the command line. Exit 0 success, 1 invalid input, 2 usage error. */
import { Command, CommanderError, Option } from 'commander';
import { runDefList, runDefShow } from './def.js';
import { EXIT_USAGE, processIO, UsageError, type CliIO } from './io.js';
import { runApply } from './apply.js';
import { runDiff } from './diff.js';
import { runRender } from './render.js';
import { runStatus } from './status.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function buildProgram(io: CliIO, done: (code: number) => void): Command {
  const program = new Command('ferry')
    .description('Ferry: render KubeVela-compatible OAM applications and deliver them to Kubernetes')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('render')
    .description('render an Application (file, or folder of YAML files) into Kubernetes manifests')
    .argument('<app>', 'app.yaml or a folder of application YAML files')
    .option('-d, --definitions <dir>', 'extra definitions folder (.cue files or YAML CRs); repeatable, later ones override', collect, [])
    .option('-e, --env <name>', 'render for this environment (a deploy step or topology policy of the app)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .exitOverride()
    .action(async (app: string, opts: { definitions: string[]; env?: string; output: string }) => {
      done(await runRender({ path: app, definitions: opts.definitions, env: opts.env, output: opts.output }, io));
    });

  const def = program.command('def').description('list and inspect definitions').exitOverride();
  def
    .command('list')
    .description('list the built-in and extra definitions')
    .option('-d, --definitions <dir>', 'extra definitions folder; repeatable', collect, [])
    .exitOverride()
    .action(async (opts: { definitions: string[] }) => done(await runDefList(opts.definitions, io)));
  def
    .command('show')
    .description("show a definition's parameters: name, type, default, required, description")
    .argument('<name>', 'definition name')
    .option('-d, --definitions <dir>', 'extra definitions folder; repeatable', collect, [])
    .exitOverride()
    .action(async (name: string, opts: { definitions: string[] }) => done(await runDefShow(name, opts.definitions, io)));
  const target = (c: Command) =>
    c
      .requiredOption('-e, --env <name>', 'environment: in ferry.yaml, or a deploy step / topology policy of the app')
      .option('-d, --definitions <dir>', 'extra definitions folder; repeatable', collect, [])
      .option('--config <file>', 'ferry.yaml with environments (default ./ferry.yaml)')
      .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG or ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context for the "local" cluster')
      .exitOverride();
  type TargetFlags = { env: string; definitions: string[]; config?: string; kubeconfig?: string; context?: string };
  const targetOf = (app: string, o: TargetFlags) => ({ app, env: o.env, definitions: o.definitions, config: o.config, kubeconfig: o.kubeconfig, context: o.context });

  target(program.command('diff').description('show what apply would change (exit 0 no changes, 1 changes, 2 error)').argument('<app>', 'app.yaml or folder'))
    .option('--prune', 'include objects that would be pruned', false)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (app: string, o: TargetFlags & { prune: boolean; output: string }) => done(await runDiff({ ...targetOf(app, o), prune: o.prune, output: o.output }, io)));
  target(program.command('apply').description('sync an app to an environment: dry-run, staged server-side apply, inventory, prune').argument('<app>', 'app.yaml or folder'))
    .option('--prune', 'delete objects that left the desired set', false)
    .option('--wait', 'wait until everything is healthy (fails fast on Degraded)', false)
    .option('--timeout <duration>', 'how long --wait and dependsOn waits may take', '5m')
    .option('--adopt', 'take over existing objects Ferry did not create', false)
    .option('--force', 'force field ownership conflicts', false)
    .option('--allow-empty', 'allow pruning everything when the desired set is empty', false)
    .option('--self-heal <interval>', 'then keep checking for drift every interval (e.g. 30s) and correct it, until SIGTERM')
    .action(async (app: string, o: TargetFlags & { prune: boolean; wait: boolean; timeout: string; adopt: boolean; force: boolean; allowEmpty: boolean; selfHeal?: string }) =>
      done(await runApply({ ...targetOf(app, o), prune: o.prune, wait: o.wait, timeout: o.timeout, adopt: o.adopt, force: o.force, allowEmpty: o.allowEmpty, selfHeal: o.selfHeal }, io)),
    );
  target(program.command('status').description('per object: sync state, health, message').argument('<app>', 'app.yaml or folder'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (app: string, o: TargetFlags & { output: string }) => done(await runStatus({ ...targetOf(app, o), output: o.output }, io)));
  return program;
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return EXIT_USAGE;
    }
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n`);
      return EXIT_USAGE;
    }
    io.err(`ferry: internal error: ${(e as Error).message}\n`);
    return 70;
  }
}
