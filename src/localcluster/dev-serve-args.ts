/**
 * The `ferry serve` command line of `npm start` (scripts/start.mjs): this repository's examples/ at its
 * committed HEAD, and the Prometheus that canary analysis asks — the one npm start's home cluster runs,
 * unless the user named one (`npm start -- --prometheus-url <url>`, or FERRY_PROMETHEUS_URL). Pure:
 * start.mjs and the tests build the same command from it.
 */

export interface DevServeInput {
  /** The Git repository to follow (npm start: this checkout, read at its HEAD). */
  repo: string;
  /** The HTTP port on 127.0.0.1. */
  port: string;
  /** The arguments given to npm start (after `--`), passed last: a repeated option's last value wins. */
  extra: readonly string[];
  /** The home cluster's Prometheus when npm start started the clusters; undefined with the user's KUBECONFIG. */
  rigPrometheusUrl?: string;
  /** $FERRY_PROMETHEUS_URL. */
  envPrometheusUrl?: string;
  /** The poll interval (default 30s). */
  interval?: string;
}

/** Where canary analysis's Prometheus comes from. */
export type PrometheusSource = 'flag' | 'environment' | 'rig' | 'none';

export interface DevServe {
  /** The arguments after `ferry serve`. */
  args: string[];
  prometheus: PrometheusSource;
  /** The URL canary analysis will ask (none: undefined). */
  prometheusUrl?: string;
  /** What npm start prints about it among its startup lines. */
  note: string;
}

const FLAG = '--prometheus-url';

/** The last `--prometheus-url <url>` or `--prometheus-url=<url>` among the arguments. */
export function givenPrometheusUrl(args: readonly string[]): string | undefined {
  let url: string | undefined;
  args.forEach((a, i) => {
    if (a === FLAG) url = args[i + 1] ?? '';
    else if (a.startsWith(`${FLAG}=`)) url = a.slice(FLAG.length + 1);
  });
  return url;
}

function prometheusOf(i: DevServeInput): Pick<DevServe, 'prometheus' | 'prometheusUrl' | 'note'> {
  const flag = givenPrometheusUrl(i.extra);
  if (flag !== undefined)
    return { prometheus: 'flag', prometheusUrl: flag, note: `Prometheus for canary analysis: ${flag} (${FLAG})` };
  if (i.envPrometheusUrl)
    return {
      prometheus: 'environment',
      prometheusUrl: i.envPrometheusUrl,
      note: `Prometheus for canary analysis: ${i.envPrometheusUrl} (FERRY_PROMETHEUS_URL)`,
    };
  if (i.rigPrometheusUrl)
    return {
      prometheus: 'rig',
      prometheusUrl: i.rigPrometheusUrl,
      note: `Prometheus for canary analysis: ${i.rigPrometheusUrl} (the home cluster's, with the traffic simulator)`,
    };
  return {
    prometheus: 'none',
    note:
      'no Prometheus for canary analysis: npm start runs one (and the traffic simulator) only on the local ' +
      `clusters it starts, not with $KUBECONFIG; give one with npm start -- ${FLAG} <url> (or ` +
      "FERRY_PROMETHEUS_URL), or the checkout example's canary waits, inconclusive",
  };
}

/** The `ferry serve` arguments and the Prometheus they give canary analysis. */
export function devServeArgs(i: DevServeInput): DevServe {
  const p = prometheusOf(i);
  const args = [
    '--repo',
    i.repo,
    '--path',
    'examples',
    '--interval',
    i.interval ?? '30s',
    '--no-leader-elect',
    '--port',
    i.port,
    ...(p.prometheus === 'rig' ? [FLAG, p.prometheusUrl!] : []),
    ...i.extra,
  ];
  return { args, ...p };
}
