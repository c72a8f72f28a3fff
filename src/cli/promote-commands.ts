/** The promotion commands' flags and help: `ferry releases`, `ferry approve`, `ferry promote` (promote.ts). */
import { type Command, Option } from 'commander';
import { OUTPUT_DEFAULTS } from '../config/defaults.js';
import type { CliIO } from './io.js';

/** The commands' module, loaded when one runs (main.ts loads every command's so). */
const promote = () => import('./promote.js');

/** The flags every command about an app's records takes (main.ts), given an environment flag of its own. */
type Records = (c: Command) => Command;

export function addPromotionCommands(
  program: Command,
  records: { withEnv: Records; withoutEnv: Records },
  io: CliIO,
  done: (code: number) => void,
): void {
  records
    .withoutEnv(
      program
        .command('releases')
        .description(
          "an app's releases × its environments in promotion order: deployed, soaking, verified, waiting for " +
            'approval, failed, superseded',
        )
        .argument('<app>', 'application name'),
    )
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default(OUTPUT_DEFAULTS.releases),
    )
    .action(async (app: string, o: { output: string }) => done(await (await promote()).runReleases(app, o, io)));
  records
    .withEnv(
      program
        .command('approve')
        .description('approve the release waiting in an environment whose promotion policy requires approval')
        .argument('<app>', 'application name'),
    )
    .option('--release <commit>', 'the release (a commit or its prefix; default: the one waiting)')
    .action(async (app: string, o: { env: string; release?: string }) =>
      done(await (await promote()).runApprove(app, o, io)),
    );
  records
    .withoutEnv(
      program
        .command('promote')
        .description(
          'promote a release into an environment now: through its gates (soak, window, approval), or past them ' +
            'with --force (recorded as forced)',
        )
        .argument('<app>', 'application name'),
    )
    .requiredOption(
      '--to <env>',
      'the environment to promote into (it needs a promotion policy: ferry.yaml, or the app workflow)',
    )
    .option('--release <commit>', 'the release (a commit or its prefix; default: the one its upstream runs)')
    .option('--force', 'past the gates (a held environment still takes nothing)')
    .action(async (app: string, o: { to: string; release?: string; force?: boolean }) =>
      done(await (await promote()).runPromote(app, o, io)),
    );
}
