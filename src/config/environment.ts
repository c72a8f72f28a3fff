/**
 * Every environment variable Ferry reads, in one place: its name, what it means and its default (the
 * table in docs/cli.md is checked against `ENVIRONMENT_VARIABLES`), parsed and validated here. Nothing
 * else under src/ reads `process.env`. A value that does not parse is a problem naming the variable
 * (`ferry` refuses to start, exit 2: see `environmentProblems`); the accessors fall back to the default
 * for it, so a library caller (a benchmark, the local cluster) never throws on one.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDurationMs } from '../util/duration.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvironmentVariable {
  name: string;
  /** What it does, as docs/cli.md says it. */
  meaning: string;
  /** The default as docs/cli.md shows it. */
  default: string;
}

/** The variables, in the order docs/cli.md lists them. */
export const ENVIRONMENT_VARIABLES = [
  {
    name: 'KUBECONFIG',
    meaning: 'the kubeconfig file(s) of every command that talks to a cluster, when `--kubeconfig` is not given',
    default: '`~/.kube/config`; `ferry serve`: in-cluster credentials when neither exists',
  },
  {
    name: 'FERRY_CACHE_DIR',
    meaning: "Ferry's cache: clones of remote repositories, local clusters, built binaries",
    default: '`$XDG_CACHE_HOME/ferry`',
  },
  {
    name: 'XDG_CACHE_HOME',
    meaning: 'the user cache folder (when `FERRY_CACHE_DIR` is not set)',
    default: '`~/.cache`',
  },
  {
    name: 'FERRY_CLUSTERS_DIR',
    meaning: 'where local clusters keep their files',
    default: '`$FERRY_CACHE_DIR/clusters`',
  },
  {
    name: 'FERRY_MAX_FILE_BYTES',
    meaning: 'the size limit of any file read (apps, definitions, `ferry.yaml`), in bytes',
    default: '`1048576` (1 MiB)',
  },
  {
    name: 'FERRY_EVAL_TIMEOUT',
    meaning: 'the time limit of one CUE evaluation (a component or trait), a duration',
    default: '`10s`',
  },
  { name: 'FERRY_EVAL_MEMORY_MIB', meaning: 'the memory growth limit of one CUE evaluation, in MiB', default: '`640`' },
  { name: 'FERRY_CUE_DIR', meaning: 'the folder holding `cue.wasm`', default: "the installation's `build/cue/`" },
  {
    name: 'FERRY_CUE_IN_PROCESS',
    meaning: '`1`: run the CUE engine on the main thread, without the limits above (for profiling)',
    default: '`0`',
  },
  {
    name: 'FERRY_WASM_OPTIMIZE',
    meaning:
      "set (e.g. `1`): the CUE engine's WebAssembly always runs on V8's optimising tier (TurboFan); `0` or " +
      '`false`: always on its baseline compiler (Liftoff), which starts sooner',
    default: '`ferry serve` and `ferry render <folder of 10+ apps>` optimise, other commands do not',
  },
  {
    name: 'FERRY_LOG_FORMAT',
    meaning: "`json` or `pretty`: the format of `ferry serve`'s log",
    default: '`pretty` on a terminal, else `json`',
  },
  {
    name: 'FERRY_LOG_LEVEL',
    meaning: "`trace`, `debug`, `info`, `warn`, `error`, `fatal` or `silent`: `ferry serve`'s log level",
    default: '`info`',
  },
  {
    name: 'FERRY_PROMETHEUS_URL',
    meaning: 'Prometheus for canary analysis, when `ferry serve` has no `--prometheus-url`',
    default: 'none: a canary that declares metrics waits, inconclusive',
  },
  {
    name: 'FERRY_GIT_TOKEN',
    meaning: "a token for `ferry serve`'s repository (sent as the password), unless `--git-secret`",
    default: 'none',
  },
  { name: 'FERRY_GIT_USERNAME', meaning: 'the user name sent with the token or password', default: '`git`' },
  { name: 'FERRY_GIT_PASSWORD', meaning: 'a password for the repository, when there is no token', default: 'none' },
  {
    name: 'FERRY_WEBHOOK_SECRET',
    meaning: "the secret `ferry serve`'s `POST /webhook` checks signatures with",
    default: 'none: webhooks are off (404)',
  },
  {
    name: 'FERRY_UI_TOKEN',
    meaning: "the admin token that enables the dashboard's actions (`ferry serve`; sent as `Authorization: Bearer`)",
    default: 'none: the dashboard is read-only, actions answer 403',
  },
] as const satisfies readonly EnvironmentVariable[];

export type VariableName = (typeof ENVIRONMENT_VARIABLES)[number]['name'];

export type LogFormat = 'json' | 'pretty';
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The defaults of the variables that have one (docs/cli.md shows the same). */
export const ENVIRONMENT_DEFAULTS = {
  maxFileBytes: 1024 * 1024,
  evalTimeoutMs: 10_000,
  evalMemoryMiB: 640,
  logLevel: 'info' as LogLevel,
  gitUsername: 'git',
};

export interface EnvironmentProblem {
  variable: VariableName;
  message: string;
}

/** The only read of the process environment; an empty value counts as unset. */
function raw(env: Env, name: VariableName): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

type Parsed<T> = { value: T } | { problem: string };

function parse<T, D = T>(
  env: Env,
  name: VariableName,
  fallback: D,
  convert: (text: string) => Parsed<T>,
  problems?: EnvironmentProblem[],
): T | D {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const r = convert(text);
  if ('value' in r) return r.value;
  problems?.push({ variable: name, message: `${name}=${JSON.stringify(text)}: ${r.problem}` });
  return fallback;
}

const positive =
  (unit: string, integer: boolean) =>
  (text: string): Parsed<number> => {
    const n = Number(text);
    return /^\d+(\.\d+)?$/.test(text) && n > 0 && (!integer || Number.isInteger(n))
      ? { value: n }
      : { problem: `not a positive ${integer ? 'whole ' : ''}number of ${unit}` };
  };
const duration = (text: string): Parsed<number> => {
  const ms = parseDurationMs(text);
  return ms !== undefined && ms > 0 ? { value: ms } : { problem: 'not a duration (e.g. 30s, 2m, 1h)' };
};
const oneOf =
  <T extends string>(choices: readonly T[]) =>
  (text: string): Parsed<T> =>
    (choices as readonly string[]).includes(text)
      ? { value: text as T }
      : { problem: `not one of ${choices.join(', ')}` };
const flag = (text: string): Parsed<boolean> =>
  ['1', 'true'].includes(text)
    ? { value: true }
    : ['0', 'false'].includes(text)
      ? { value: false }
      : { problem: 'not 1 or 0' };
/** A folder holding the CUE engine (cue.wasm), absolute. */
const engineFolder = (text: string): Parsed<string> =>
  existsSync(join(resolve(text), 'cue.wasm'))
    ? { value: resolve(text) }
    : { problem: 'holds no cue.wasm (`npm run build` writes it to build/cue/)' };
/** Set means on (any value, as the variable has always been read), except `0` and `false`. */
const onUnlessOff = (text: string): Parsed<boolean> => ({ value: !['0', 'false'].includes(text) });
const httpUrl = (text: string): Parsed<string> => {
  try {
    const u = new URL(text);
    if (u.protocol === 'http:' || u.protocol === 'https:') return { value: text };
  } catch {
    /* below */
  }
  return { problem: 'not an http(s) URL' };
};

/** Ferry's settings from the environment, typed; a value that does not parse gives the default. */
export interface FerryEnvironment {
  /** KUBECONFIG as given (one file, or several joined with ':'); undefined when unset. */
  kubeconfig: string | undefined;
  /** The kubeconfig file used when neither --kubeconfig nor KUBECONFIG is given. */
  defaultKubeconfig: string;
  cacheDir: string;
  clustersDir: string;
  /** Where `ferry serve` keeps clones of remote repositories (a folder per repository below it). */
  reposDir: string;
  maxFileBytes: number;
  evalTimeoutMs: number;
  evalMemoryBytes: number;
  /** Absolute; undefined: found beside the installation. */
  cueDir: string | undefined;
  cueInProcess: boolean;
  /** undefined: chosen by the command (src/cli/prestart.ts). */
  wasmOptimize: boolean | undefined;
  /** undefined: chosen by whether the output is a terminal. */
  logFormat: LogFormat | undefined;
  logLevel: LogLevel;
  prometheusUrl: string | undefined;
  gitUsername: string;
  gitToken: string | undefined;
  gitPassword: string | undefined;
  webhookSecret: string | undefined;
  uiToken: string | undefined;
}

function read(env: Env, problems?: EnvironmentProblem[]): FerryEnvironment {
  const home = homedir();
  const cacheDir = resolve(
    raw(env, 'FERRY_CACHE_DIR') ?? join(raw(env, 'XDG_CACHE_HOME') ?? join(home, '.cache'), 'ferry'),
  );
  const d = ENVIRONMENT_DEFAULTS;
  return {
    kubeconfig: raw(env, 'KUBECONFIG'),
    defaultKubeconfig: join(home, '.kube', 'config'),
    cacheDir,
    clustersDir: resolve(raw(env, 'FERRY_CLUSTERS_DIR') ?? join(cacheDir, 'clusters')),
    reposDir: join(cacheDir, 'repos'),
    maxFileBytes: parse(env, 'FERRY_MAX_FILE_BYTES', d.maxFileBytes, positive('bytes', true), problems),
    evalTimeoutMs: parse(env, 'FERRY_EVAL_TIMEOUT', d.evalTimeoutMs, duration, problems),
    evalMemoryBytes:
      parse(env, 'FERRY_EVAL_MEMORY_MIB', d.evalMemoryMiB, positive('MiB', false), problems) * 1024 * 1024,
    cueDir: parse(env, 'FERRY_CUE_DIR', undefined, engineFolder, problems),
    cueInProcess: parse(env, 'FERRY_CUE_IN_PROCESS', false, flag, problems),
    wasmOptimize: parse(env, 'FERRY_WASM_OPTIMIZE', undefined, onUnlessOff, problems),
    logFormat: parse(env, 'FERRY_LOG_FORMAT', undefined, oneOf<LogFormat>(['json', 'pretty']), problems),
    logLevel: parse(env, 'FERRY_LOG_LEVEL', d.logLevel, oneOf(LOG_LEVELS), problems),
    prometheusUrl: parse(env, 'FERRY_PROMETHEUS_URL', undefined, httpUrl, problems),
    gitUsername: raw(env, 'FERRY_GIT_USERNAME') ?? d.gitUsername,
    gitToken: raw(env, 'FERRY_GIT_TOKEN'),
    gitPassword: raw(env, 'FERRY_GIT_PASSWORD'),
    webhookSecret: raw(env, 'FERRY_WEBHOOK_SECRET'),
    uiToken: raw(env, 'FERRY_UI_TOKEN'),
  };
}

/** The settings, read now (tests change the environment between calls; reading is cheap). */
export function ferryEnvironment(env: Env = process.env): FerryEnvironment {
  return read(env);
}

/** The variables whose value does not parse, each with a message naming it. */
export function environmentProblems(env: Env = process.env): EnvironmentProblem[] {
  const problems: EnvironmentProblem[] = [];
  read(env, problems);
  return problems;
}
