/**
 * `npm run bench:ui [-- --apps 1000 --envs 3 --rate 100 --seconds 10]`: the dashboard's overview grid in a real
 * Chromium (Debian's, headless) with many apps. The API server is Ferry's own (createApi + the dashboard's
 * assets) over a synthetic source of releases, so the figures are the browser's: the grid's first full render,
 * then `--rate` release changes a second for `--seconds` while it measures long tasks, frame gaps and how long a
 * search takes to redraw. Prints the figures and the bundle's size; never asserts a time (machines are noisy).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createApi } from '../src/gitops/controller/api.js';
import { startServer } from '../src/gitops/controller/server.js';
import { staticAssets } from '../src/gitops/controller/static-assets.js';
import { Metrics } from '../src/gitops/reconcile/telemetry.js';
import type { StateSummary } from '../src/gitops/store/release-store.js';
import { ROOT, TestBrowser } from './browser.js';

const { values } = parseArgs({
  options: {
    apps: { type: 'string', default: '1000' },
    envs: { type: 'string', default: '3' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
  },
});
const APPS = Number(values.apps);
const ENVS = ['dev', 'staging', 'prod', 'qa', 'perf'].slice(0, Number(values.envs));
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);

const hex = (n: number) => n.toString(16).padStart(8, '0').repeat(5);
const summaries = new Map<string, StateSummary>();
for (let a = 0; a < APPS; a++)
  for (const env of ENVS) {
    const app = `app-${String(a).padStart(4, '0')}`;
    summaries.set(`${app}/${env}`, {
      app,
      env,
      status: 'synced',
      commit: hex(a),
      health: 'Healthy',
      updatedAt: new Date().toISOString(),
    });
  }
const listeners = new Set<(s: StateSummary) => void>();
const unsupported = async () => undefined;
const log = pino({ level: 'silent' });
const server = await startServer({
  port: 0,
  metrics: new Metrics(),
  log,
  ready: () => ({ ready: true, message: 'ready' }),
  trigger: () => true,
  api: createApi(
    {
      summaries: () => [...summaries.values()],
      environments: () => new Map([...new Set([...summaries.values()].map((s) => s.app))].map((a) => [a, ENVS])),
      source: () => ({ repo: 'bench', path: '.', ready: true }),
      history: unsupported,
      objects: unsupported,
      charts: unsupported,
      releases: async () => ({ ok: false, message: 'bench' }),
      subscribe: (fn) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
      act: async () => ({ ok: false, message: 'bench' }),
    },
    log,
  ),
  assets: staticAssets(join(ROOT, 'dist', 'ui')),
});

/** One release changed: a new commit in progress, with a canary's progress bar moving, or synced again. */
let tick = 0;
function change() {
  const keys = [...summaries.keys()];
  const k = keys[(tick * 7919) % keys.length]!;
  const s = summaries.get(k)!;
  const busy = s.status === 'synced';
  const next: StateSummary = {
    ...s,
    status: busy ? 'delivering' : 'synced',
    commit: busy ? s.commit : hex(tick),
    updatedAt: new Date().toISOString(),
    traits: [
      {
        component: 'web',
        trait: 'canary',
        commit: busy ? s.commit : hex(tick),
        view: {
          phase: busy ? 'progressing' : 'succeeded',
          percent: busy ? 50 : 100,
          facts: [],
          charts: [],
          queries: [],
        },
      } as never,
    ],
  };
  summaries.set(k, next);
  for (const fn of listeners) fn(next);
  tick++;
}

const browser = await new TestBrowser().start();
try {
  const page = await browser.page();
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.waitForFunction((n) => document.querySelectorAll('[data-app]').length === n, APPS, { polling: 'raf' });
  const firstRender = await page.evaluate(() => performance.now());
  const snapshotAt = await page.evaluate(
    () => performance.getEntriesByName('ferry:snapshot')[0]?.startTime ?? Number.NaN,
  );
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return { domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd };
  });
  // Under updates: long tasks, the gaps between frames, and a search's time to redraw.
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[]; frames: number[] };
    w.longTasks = [];
    w.frames = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) w.longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
    let last = performance.now();
    const frame = (t: number) => {
      w.frames.push(t - last);
      last = t;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  const started = Date.now();
  const timer = setInterval(() => {
    for (let i = 0; i < RATE / 10; i++) change();
  }, 100);
  const searches: number[] = [];
  while (Date.now() - started < SECONDS * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    const q = `app-0${Math.floor(Math.random() * 10)}`;
    searches.push(
      await page.evaluate(async (q) => {
        const input = document.querySelector('input[type=search]') as HTMLInputElement;
        const t0 = performance.now();
        input.value = q;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        const shown = document.querySelectorAll('[data-app]:not([hidden])').length;
        const t = performance.now() - t0;
        input.value = '';
        input.dispatchEvent(new Event('input', { bubbles: true }));
        return shown > 0 ? t : Number.NaN;
      }, q),
    );
  }
  clearInterval(timer);
  // The last change is on the page: the updates kept up.
  const lag = Date.now();
  const lastKey = [...summaries.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0]!;
  await page.waitForFunction(
    ([cell, state]) => document.querySelector(`[data-cell="${cell}"]`)?.getAttribute('data-state') === state,
    [`${lastKey.app}/${lastKey.env}`, lastKey.status],
  );
  const caughtUp = Date.now() - lag;
  const m = await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[]; frames: number[] };
    return { longTasks: w.longTasks, frames: w.frames };
  });
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)] ?? 0;
  const sizes = JSON.parse(readFileSync(join(ROOT, 'dist', 'ui', 'bundle-size.json'), 'utf8')) as Record<
    string,
    { bytes: number; gzip: number }
  >;
  const ms = (v: number) => `${Math.round(v)} ms`;
  console.log(`bench:ui — ${browser.version.split(' built')[0]}, ${APPS} apps × ${ENVS.length} environments`);
  console.log(`  grid rendered (navigation → ${APPS} rows): ${ms(firstRender)}`);
  console.log(`  the snapshot of ${summaries.size} releases arrived at ${ms(snapshotAt)}`);
  console.log(`  DOMContentLoaded ${ms(nav.domContentLoaded)}, load ${ms(nav.load)}`);
  console.log(
    `  ${tick} release changes at ${RATE}/s over ${SECONDS} s: long tasks ${m.longTasks.length} ` +
      `(max ${ms(Math.max(0, ...m.longTasks))}), ` +
      `frame gap p50 ${ms(pct(m.frames, 0.5))} p99 ${ms(pct(m.frames, 0.99))} ` +
      `max ${ms(Math.max(0, ...m.frames))}`,
  );
  console.log(
    `  search → redraw during updates: p50 ${ms(pct(searches, 0.5))}, max ${ms(Math.max(...searches))} ` +
      `(${searches.length} searches); last change on the page ${caughtUp} ms after the updates stopped`,
  );
  console.log(
    `  bundle: ${Object.entries(sizes)
      .map(([f, s]) => `${f} ${(s.bytes / 1024).toFixed(1)} KiB (${(s.gzip / 1024).toFixed(1)} KiB gzip)`)
      .join(', ')}`,
  );
  const offsite = browser.offsite();
  console.log(`  requests off 127.0.0.1: ${offsite.length}${offsite.length ? ` (${offsite.join(', ')})` : ''}`);
} finally {
  await browser.stop();
  await server.close();
}
