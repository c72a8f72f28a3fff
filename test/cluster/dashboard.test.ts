/**
 * The web dashboard in a real Chromium (Debian's, driven by playwright-core), served by a real `ferry serve`
 * (FERRY_UI_TOKEN set) following a real smart-HTTP Git server that holds every example app, on the local
 * cluster with its Prometheus and traffic simulator. The grid shows what `ferry status` reports; a commit's
 * cell moves live; the checkout example's canary advances its progress bar and charts live, and its `-errors`
 * image shows aborted with the failing value; the payments example's prod release is approved from the page,
 * only with the token; axe-core finds no serious accessibility violation; no request leaves 127.0.0.1. The
 * screenshots land in docs/images (the README shows the grid's). Timing is never asserted (bench:ui measures).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, seriousViolations, TestBrowser } from '../../bench/browser.js';
import { readApprovals } from '../../src/gitops/store/promotion-store.js';
import { type StateSummary, sourceId } from '../../src/gitops/store/release-store.js';
import { CanaryWorld } from './canary-support.js';
import { appNamesOf, exampleFiles, namespacesOf } from './examples.js';
import { eventually } from './kube.js';

const TOKEN = 'dashboard-test-token-4f1c';
const files = exampleFiles();
const appNames = appNamesOf(files);
const namespaces = namespacesOf(files);

let w: CanaryWorld;
let b: TestBrowser;
let base: string;
const checkout = { app: 'checkout', ns: 'checkout' };

const api = async <T>(path: string): Promise<T> => JSON.parse((await w.serve.http(path)).text) as T;
const releases = async () => (await api<{ releases: StateSummary[] }>('/api/v1/releases')).releases;
const release = async (app: string, env: string) => (await releases()).find((r) => r.app === app && r.env === env);
/**
 * Waits for checkout's release, as this controller has it, to satisfy `ok` (the state records of other test
 * files' checkout apps, of other Git sources, are on the same cluster: read through this controller's API).
 */
const checkoutWhen = (what: string, ok: (s: StateSummary) => boolean, timeoutMs = 300_000) =>
  eventually(
    `checkout ${what}`,
    async () => {
      const r = await release('checkout', 'default');
      return r && ok(r) ? r : undefined;
    },
    timeoutMs,
  );
const commitCheckout = (image: string) =>
  w.repo.commit(
    { 'apps/checkout/app.yaml': files['apps/checkout/app.yaml']!.replace('checkout:1.0.0', `checkout:${image}`) },
    `checkout ${image}`,
  );

beforeAll(async () => {
  w = new CanaryWorld({ env: { FERRY_UI_TOKEN: TOKEN } });
  w.namespaces.push(...namespaces);
  await w.start();
  w.repo.commit(files, 'the examples');
  base = `http://127.0.0.1:${w.serve.port}`;
  b = await new TestBrowser().start();
}, 300_000);
afterAll(async () => {
  await b?.stop();
  await w?.stop();
});

/** The grid's cells: app/env → the state it shows. */
const gridStates = (page: Page) =>
  page.evaluate(() =>
    Object.fromEntries(
      Array.from(document.querySelectorAll('[data-cell][data-state]')).map((c) => [
        c.getAttribute('data-cell'),
        c.getAttribute('data-state'),
      ]),
    ),
  );

describe('the dashboard', () => {
  it('serves its page with a content security policy and reports its bundle', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await res.text();
    const script = /src="(\/assets\/app-[\w]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${base}${script}`);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    const sizes = JSON.parse(readFileSync(join(ROOT, 'dist', 'ui', 'bundle-size.json'), 'utf8'));
    expect(Object.keys(sizes).some((f) => f.endsWith('.js'))).toBe(true);
  });

  it('the grid shows every example app × environment with the state ferry status reports', async () => {
    // Every example recorded (payments' prod waits for approval: it has no state yet).
    await eventually(
      'every example app recorded',
      async () => {
        const apps = new Set((await releases()).map((r) => r.app));
        return appNames.every((a) => apps.has(a)) || undefined;
      },
      240_000,
    );
    const page = await b.page();
    await page.goto(`${base}/`);
    await eventually(
      'the grid showing what ferry status reports',
      async () => {
        const status = await w.ferry('status', '-o', 'json', '--source', w.repo.url);
        const reported = (JSON.parse(status.stdout) as StateSummary[]).filter((s) => appNames.includes(s.app));
        const shown = await gridStates(page);
        const expected = Object.fromEntries(reported.map((s) => [`${s.app}/${s.env}`, s.status]));
        const mine = Object.fromEntries(Object.entries(shown).filter(([k]) => appNames.includes(k.split('/')[0]!)));
        if (JSON.stringify(mine, Object.keys(mine).sort()) !== JSON.stringify(expected, Object.keys(expected).sort()))
          throw new Error(`grid ${JSON.stringify(mine)}\nferry status ${JSON.stringify(expected)}`);
        return reported;
      },
      120_000,
    );
    const shown = await gridStates(page);
    for (const app of appNames) expect(Object.keys(shown).some((k) => k.startsWith(`${app}/`))).toBe(true);
    // Columns in promotion order (payments' workflow steps are its environments): dev, staging, prod.
    const columns = await page.locator('[role=columnheader]').allTextContents();
    expect(columns.indexOf('deploy-dev')).toBeGreaterThan(0);
    expect(columns.indexOf('deploy-dev')).toBeLessThan(columns.indexOf('deploy-staging'));
    expect(columns.indexOf('deploy-staging')).toBeLessThan(columns.indexOf('deploy-prod'));
    // The search box narrows the rows.
    await page.getByLabel('Search apps').fill('pay');
    await expect.poll(() => page.locator('[data-app]:not([hidden])').count()).toBe(1);
    await page.getByLabel('Search apps').fill('');
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it("a commit turns its cell synced → progressing → synced live; the canary's bar and charts advance", async () => {
    await checkoutWhen('synced', (x) => x.status === 'synced', 240_000);
    const grid = await b.page();
    await grid.goto(`${base}/`);
    await grid.locator('[data-cell="checkout/default"][data-state=synced]').waitFor();
    // What the cell shows, each time it changes (and a mark a reload would lose).
    await grid.evaluate(() => {
      const cell = document.querySelector('[data-cell="checkout/default"]')!;
      const seen: string[] = [];
      (window as unknown as { seen: string[]; mark: boolean }).seen = seen;
      (window as unknown as { mark: boolean }).mark = true;
      new MutationObserver(() => {
        const state = cell.getAttribute('data-state') ?? '';
        if (seen.at(-1) !== state) seen.push(state);
      }).observe(cell, { attributes: true, subtree: true, childList: true });
    });
    const app = await b.page();
    await app.goto(`${base}/#/app/checkout?env=default`);
    await app.getByRole('heading', { name: /checkout in default/ }).waitFor();
    // The app page's canary: its progress and its analysis chart's points, sampled while it runs.
    await app.evaluate(() => {
      const samples: { percent: number; runs: number }[] = [];
      (window as unknown as { samples: typeof samples }).samples = samples;
      setInterval(() => {
        const panel = document.querySelector('[data-trait=canary]');
        if (!panel) return;
        const percent = Number((panel.querySelector('progress') as HTMLProgressElement | null)?.value ?? -1);
        const points = /canary [^;]*\((\d+) points\)/.exec(panel.querySelector('.chart-summary')?.textContent ?? '');
        samples.push({ percent, runs: Number(points?.[1] ?? 0) });
      }, 250);
    });
    const v2 = commitCheckout('1.1.0');
    // The grid while the canary runs: its progress bar in checkout's cell (the README shows this screenshot).
    await grid.locator('[data-cell="checkout/default"] progress').waitFor({ timeout: 120_000 });
    await b.screenshot(grid, 'dashboard-grid');
    const synced = await checkoutWhen(
      'synced at 1.1.0',
      (x) => x.status === 'synced' && w.same(checkout, v2, x.commit),
      300_000,
    );
    await grid.locator(`[data-cell="checkout/default"][data-state=synced]`).waitFor();
    await expect
      .poll(() => grid.locator('[data-cell="checkout/default"] .commit').textContent())
      .toBe(synced.commit!.slice(0, 7));
    const seen = await grid.evaluate(() => (window as unknown as { seen: string[]; mark?: boolean }).seen);
    expect(await grid.evaluate(() => (window as unknown as { mark?: boolean }).mark)).toBe(true);
    const busy = seen.findIndex((s) => s !== 'synced');
    expect(busy, seen.join(' → ')).toBeGreaterThanOrEqual(0);
    expect(seen.at(-1)).toBe('synced');
    const samples = await app.evaluate(
      () => (window as unknown as { samples: { percent: number; runs: number }[] }).samples,
    );
    const percents = samples.map((s) => s.percent).filter((p) => p >= 0);
    // The bar moved through the steps without a reload, never back; the analysis chart gained points.
    expect(new Set(percents).size, JSON.stringify(percents)).toBeGreaterThanOrEqual(2);
    expect(percents.every((p, i) => i === 0 || p >= percents[i - 1]!)).toBe(true);
    const runs = samples.map((s) => s.runs);
    expect(Math.max(...runs)).toBeGreaterThan(Math.min(...runs));
    // The canary's and the stable pods' p99 and success rate from Prometheus, beside their bounds.
    const metrics = app.locator('section', { has: app.getByRole('heading', { name: 'Metrics from Prometheus' }) });
    await expect
      .poll(async () => (await metrics.locator('.chart-summary').allTextContents()).join('\n'), { timeout: 30_000 })
      .toMatch(/canary [\d.]+ (ms|%) \(\d+ points\)/);
    expect(await metrics.locator('figcaption').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/p99 latency/), expect.stringMatching(/success rate/)]),
    );
    expect(await seriousViolations(app)).toEqual([]);
    await b.screenshot(app, 'dashboard-app', true);
    await grid.close();
    await app.close();
  });

  it('an -errors canary shows as aborted, with the failing value', async () => {
    const app = await b.page();
    await app.goto(`${base}/#/app/checkout?env=default`);
    const bad = commitCheckout('1.2.0-errors');
    await eventually(
      'the canary of 1.2.0-errors aborted',
      async () => {
        const r = await release('checkout', 'default');
        const canary = r?.traits?.find((t) => t.trait === 'canary');
        return canary?.outcome === 'aborted' && w.same(checkout, bad, canary.commit) ? r : undefined;
      },
      300_000,
    );
    const panel = app.locator('[data-trait=canary][data-phase=aborted]');
    await panel.waitFor();
    expect(await panel.locator('.failure').textContent()).toMatch(/success-rate [\d.]+ % < 99 %/);
    await app.close();
  });

  it('Approve promotes a release only with the token: disabled without it, and a forged POST is refused', async () => {
    const waiting = async () => {
      const m = await api<{ releases: { cells: Record<string, { state: string }> }[] }>(
        '/api/v1/apps/payments/releases',
      );
      return m.releases.some((r) => r.cells['deploy-prod']?.state === 'waiting-approval');
    };
    await eventually('payments waiting for approval in prod', async () => (await waiting()) || undefined, 240_000);
    const page = await b.page();
    await page.goto(`${base}/#/app/payments?env=deploy-prod`);
    const approve = page.locator('button[data-action=approve]');
    await approve.waitFor();
    expect(await approve.isDisabled()).toBe(true);

    // Another site's page on 127.0.0.1 (another port) tries: a form post, and a fetch with a token.
    const evil: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><html lang="en"><body>
        <form id="f" method="POST" action="${base}/api/v1/actions/approve" enctype="text/plain">
          <input name='{"app":"payments","env":"deploy-prod","x":"' value='"}'></form></body></html>`);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    try {
      const other = await b.page();
      await other.goto(`http://127.0.0.1:${(evil.address() as { port: number }).port}/`);
      const [answer] = await Promise.all([
        other.waitForResponse((r) => r.url().endsWith('/api/v1/actions/approve')),
        other.evaluate(() => (document.getElementById('f') as HTMLFormElement).submit()),
      ]);
      expect([401, 403, 415]).toContain(answer.status());
      // (Left open: closing a page whose navigation is this refused answer can hang; the browser closes them all.)
      expect(await answer.text()).toMatch(/refused|token|json/);
      const another = await b.page();
      await another.goto(`http://127.0.0.1:${(evil.address() as { port: number }).port}/`);
      const fetched = await another.evaluate(
        async ([url, token]) =>
          fetch(url!, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ app: 'payments', env: 'deploy-prod' }),
          }).then(
            (r) => `answered ${r.status}`,
            (e: Error) => `refused: ${e.message}`,
          ),
        [`${base}/api/v1/actions/approve`, TOKEN],
      );
      expect(fetched).toMatch(/^refused/);
    } finally {
      evil.closeAllConnections();
      await new Promise((r) => evil.close(r));
    }
    // Nothing was approved.
    expect(await waiting()).toBe(true);
    expect(w.serve.logs.some((l) => l.msg === 'dashboard action')).toBe(false);

    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Unlock actions' }).click();
    await expect.poll(() => approve.isDisabled()).toBe(false);
    await approve.click();
    await expect
      .poll(() => page.locator('.actions output').textContent())
      .toMatch(/approved release \w+ of payments for deploy-prod/);
    const prod = await eventually(
      'payments synced in deploy-prod',
      async () => {
        const r = await release('payments', 'deploy-prod');
        return r?.status === 'synced' ? r : undefined;
      },
      240_000,
    );
    expect(prod.commit).toBeDefined();
    await page.locator('[data-release="payments/deploy-prod"]').waitFor();
    // Recorded as `ferry approve` records it, by the dashboard.
    const approvals = await readApprovals(w.cluster, {
      app: 'payments',
      env: 'deploy-prod',
      source: sourceId(w.repo.url, '.'),
    });
    expect(approvals.approved[0]).toMatchObject({ commit: expect.any(String), by: 'dashboard' });
    expect(w.serve.logs.find((l) => l.msg === 'dashboard action')).toMatchObject({ action: 'approve', ok: true });
    // Another action from the same tab: checkout, held by its aborted canary, resumed as `ferry resume` does.
    await page.goto(`${base}/#/app/checkout?env=default`);
    await page.locator('button[data-action=resume]').click();
    await expect
      .poll(() => page.locator('.actions output').textContent())
      .toMatch(/resumed checkout\/default \(was held: .*\)/);
    await page.close();
  });

  it('no request left 127.0.0.1', () => {
    expect(b.requests.length).toBeGreaterThan(0);
    expect(b.offsite()).toEqual([]);
  });
});
