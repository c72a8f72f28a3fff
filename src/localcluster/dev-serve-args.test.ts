import { describe, expect, it } from 'vitest';
import { devServeArgs, givenPrometheusUrl } from './dev-serve-args.js';

const RIG = 'http://127.0.0.1:41001';
const base = { repo: '/src/ferry', port: '8080', extra: [] as string[] };

describe('devServeArgs', () => {
  it("follows the repository's examples/ and passes the started rig's Prometheus", () => {
    const s = devServeArgs({ ...base, rigPrometheusUrl: RIG });
    expect(s.args).toEqual([
      '--repo',
      '/src/ferry',
      '--path',
      'examples',
      '--interval',
      '30s',
      '--no-leader-elect',
      '--port',
      '8080',
      '--prometheus-url',
      RIG,
    ]);
    expect(s).toMatchObject({ prometheus: 'rig', prometheusUrl: RIG });
    expect(s.note).toContain(RIG);
  });

  it.each([
    { extra: ['--prometheus-url', 'http://prom:9090'], url: 'http://prom:9090' },
    { extra: ['--prometheus-url=http://prom:9090', '--interval', '5s'], url: 'http://prom:9090' },
  ])("keeps the user's $extra, passed last, over the rig", ({ extra, url }) => {
    const s = devServeArgs({ ...base, extra, rigPrometheusUrl: RIG });
    expect(s.args).not.toContain(RIG);
    expect(s.args.slice(-extra.length)).toEqual(extra);
    expect(s).toMatchObject({ prometheus: 'flag', prometheusUrl: url });
    expect(s.note).toContain(url);
  });

  it('leaves FERRY_PROMETHEUS_URL to ferry serve over the rig', () => {
    const s = devServeArgs({ ...base, rigPrometheusUrl: RIG, envPrometheusUrl: 'http://env:9090' });
    expect(s.args).not.toContain('--prometheus-url');
    expect(s).toMatchObject({ prometheus: 'environment', prometheusUrl: 'http://env:9090' });
    expect(s.note).toMatch(/http:\/\/env:9090 \(FERRY_PROMETHEUS_URL\)/);
  });

  it('says canary analysis needs --prometheus-url when no rig was started (KUBECONFIG given)', () => {
    const s = devServeArgs(base);
    expect(s.args).not.toContain('--prometheus-url');
    expect(s.prometheus).toBe('none');
    expect(s.note).toMatch(/no Prometheus for canary analysis.*npm start -- --prometheus-url <url>/);
  });
});

describe('givenPrometheusUrl', () => {
  it.each([
    [[], undefined],
    [['--prometheus-url', 'a'], 'a'],
    [['--prometheus-url=b'], 'b'],
    [['--prometheus-url', 'a', '--prometheus-url=b'], 'b'],
    [['--port', '1'], undefined],
  ])('%j → %s', (args, url) => {
    expect(givenPrometheusUrl(args)).toBe(url);
  });
});
