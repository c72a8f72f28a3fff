/** `ferry`: the command line. Exit 0 success, 1 invalid input, 2 usage error. */
import { Command, CommanderError, Option } from 'commander';
import { runDefList, runDefShow } from './def.js';
import { EXIT_USAGE, processIO, UsageError, type CliIO } from './io.js';
import { runRender } from './render.js';

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
