/**
 * scripts/start.mjs (`npm start`) with the user's KUBECONFIG: no local cluster or metrics rig is started,
 * the startup lines say where canary analysis's Prometheus comes from (or that it needs --prometheus-url),
 * and npm start's arguments reach `ferry serve`, which reports the missing kubeconfig.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

function start(args: string[], env: Record<string, string> = {}) {
  const { FERRY_PROMETHEUS_URL: _, ...inherited } = process.env;
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'start.mjs'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...inherited, KUBECONFIG: join(repoRoot, 'no-such-kubeconfig'), PORT: '0', ...env },
  });
  return { code: r.status, stderr: r.stderr };
}

describe('npm start with KUBECONFIG', () => {
  it('starts no rig and says canary analysis needs --prometheus-url', () => {
    const r = start([]);
    expect(r.stderr).toMatch(/^no Prometheus for canary analysis: .*npm start -- --prometheus-url <url>/m);
    expect(r.stderr).not.toMatch(/\[cluster\]/);
    expect(r.stderr).toMatch(/no-such-kubeconfig: no kubeconfig here/);
    expect(r.code).toBe(1);
  });

  it.each<{ args: string[]; env: Record<string, string>; from: string }>([
    { args: ['--prometheus-url', 'http://prom.example:9090'], env: {}, from: '--prometheus-url' },
    { args: [], env: { FERRY_PROMETHEUS_URL: 'http://prom.example:9090' }, from: 'FERRY_PROMETHEUS_URL' },
  ])("names the user's Prometheus, from $from", ({ args, env, from }) => {
    const r = start(args, env);
    expect(r.stderr).toContain(`Prometheus for canary analysis: http://prom.example:9090 (${from})`);
    expect(r.code).toBe(1);
  });
});
