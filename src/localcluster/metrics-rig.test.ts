import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prometheusConfig, trafficArgs, trafficSettings } from './metrics-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-rig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Job = {
  job_name: string;
  metrics_path?: string;
  honor_labels?: boolean;
  static_configs?: { targets: string[] }[];
};
const jobs = (styles: Parameters<typeof prometheusConfig>[2]) =>
  (parse(readFileSync(prometheusConfig(dir, 9100, styles).config, 'utf8')) as { scrape_configs: Job[] }).scrape_configs;

describe('prometheusConfig', () => {
  it('scrapes the ingress controller as job ingress-nginx only with the nginx-ingress style', () => {
    const all = jobs(['pods', 'istio', 'nginx-ingress']);
    expect(all.map((j) => j.job_name)).toEqual(['pods', 'traffic-simulator', 'ingress-nginx']);
    expect(all[0]!.honor_labels).toBe(true);
    expect(all[2]).toEqual({
      job_name: 'ingress-nginx',
      metrics_path: '/metrics/ingress-nginx',
      static_configs: [{ targets: ['127.0.0.1:9100'] }],
    });
    expect(jobs(['pods', 'istio']).map((j) => j.job_name)).toEqual(['pods', 'traffic-simulator']);
  });
});

describe('trafficSettings', () => {
  it('defaults to every style and seed 1, and passes them to the simulator', () => {
    expect(trafficArgs(trafficSettings({}))).toEqual(['--seed=1', '--styles=pods,istio,nginx-ingress']);
    expect(trafficArgs(trafficSettings({ trafficSeed: 7, metricStyles: ['istio'] }))).toEqual([
      '--seed=7',
      '--styles=istio',
    ]);
  });
});
