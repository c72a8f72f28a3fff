import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_VARIABLES, environmentProblems, ferryEnvironment } from './environment.js';

// FERRY_CUE_DIR must name a folder holding the engine.
const engineDir = mkdtempSync(join(tmpdir(), 'ferry-env-cue-'));
writeFileSync(join(engineDir, 'cue.wasm'), '');
afterAll(() => rmSync(engineDir, { recursive: true, force: true }));

describe('the environment', () => {
  it('has the documented defaults when nothing is set', () => {
    const e = ferryEnvironment({});
    expect(e).toMatchObject({
      kubeconfig: undefined,
      defaultKubeconfig: join(homedir(), '.kube', 'config'),
      cacheDir: join(homedir(), '.cache', 'ferry'),
      clustersDir: join(homedir(), '.cache', 'ferry', 'clusters'),
      reposDir: join(homedir(), '.cache', 'ferry', 'repos'),
      maxFileBytes: 1024 * 1024,
      evalTimeoutMs: 10_000,
      evalMemoryBytes: 640 * 1024 * 1024,
      cueInProcess: false,
      logFormat: undefined,
      logLevel: 'info',
      prometheusUrl: undefined,
      gitUsername: 'git',
      gitToken: undefined,
      webhookSecret: undefined,
    });
    expect(environmentProblems({})).toEqual([]);
  });

  it('parses every value; an empty one counts as unset', () => {
    const e = ferryEnvironment({
      KUBECONFIG: '/k/a:/k/b',
      XDG_CACHE_HOME: '/xdg',
      FERRY_MAX_FILE_BYTES: '2048',
      FERRY_EVAL_TIMEOUT: '1m30s',
      FERRY_EVAL_MEMORY_MIB: '1.5',
      FERRY_CUE_DIR: engineDir,
      FERRY_WASM_OPTIMIZE: 'false',
      FERRY_CUE_IN_PROCESS: '1',
      FERRY_LOG_FORMAT: 'pretty',
      FERRY_LOG_LEVEL: 'debug',
      FERRY_PROMETHEUS_URL: 'http://127.0.0.1:9090',
      FERRY_GIT_TOKEN: 't',
      FERRY_GIT_USERNAME: '',
      FERRY_WEBHOOK_SECRET: 's',
    });
    expect(e).toMatchObject({
      kubeconfig: '/k/a:/k/b',
      cacheDir: '/xdg/ferry',
      clustersDir: '/xdg/ferry/clusters',
      reposDir: '/xdg/ferry/repos',
      maxFileBytes: 2048,
      evalTimeoutMs: 90_000,
      evalMemoryBytes: 1.5 * 1024 * 1024,
      cueDir: engineDir,
      wasmOptimize: false,
      cueInProcess: true,
      logFormat: 'pretty',
      logLevel: 'debug',
      prometheusUrl: 'http://127.0.0.1:9090',
      gitToken: 't',
      gitUsername: 'git',
      webhookSecret: 's',
    });
    expect(ferryEnvironment({ FERRY_CACHE_DIR: '/c', XDG_CACHE_HOME: '/xdg' }).clustersDir).toBe('/c/clusters');
    expect(ferryEnvironment({ FERRY_CLUSTERS_DIR: '/elsewhere' }).clustersDir).toBe('/elsewhere');
  });

  it('names every variable whose value does not parse, and falls back to its default', () => {
    const bad = {
      FERRY_MAX_FILE_BYTES: '1MiB',
      FERRY_EVAL_TIMEOUT: 'soon',
      FERRY_EVAL_MEMORY_MIB: '-5',
      FERRY_CUE_IN_PROCESS: 'yes',
      FERRY_LOG_FORMAT: 'fancy',
      FERRY_LOG_LEVEL: 'loud',
      FERRY_PROMETHEUS_URL: 'prometheus:9090',
    };
    expect(environmentProblems(bad).map((p) => p.message)).toEqual([
      'FERRY_MAX_FILE_BYTES="1MiB": not a positive whole number of bytes',
      'FERRY_EVAL_TIMEOUT="soon": not a duration (e.g. 30s, 2m, 1h)',
      'FERRY_EVAL_MEMORY_MIB="-5": not a positive number of MiB',
      'FERRY_CUE_IN_PROCESS="yes": not 1 or 0',
      'FERRY_LOG_FORMAT="fancy": not one of json, pretty',
      'FERRY_LOG_LEVEL="loud": not one of trace, debug, info, warn, error, fatal, silent',
      'FERRY_PROMETHEUS_URL="prometheus:9090": not an http(s) URL',
    ]);
    expect(ferryEnvironment(bad)).toMatchObject({
      maxFileBytes: 1024 * 1024,
      evalTimeoutMs: 10_000,
      cueInProcess: false,
      logFormat: undefined,
      logLevel: 'info',
      prometheusUrl: undefined,
    });
  });

  it('lists each variable once, with a meaning and a default', () => {
    const names = ENVIRONMENT_VARIABLES.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const v of ENVIRONMENT_VARIABLES) {
      expect(v.meaning.length, v.name).toBeGreaterThan(10);
      expect(v.default.length, v.name).toBeGreaterThan(0);
    }
  });
});
