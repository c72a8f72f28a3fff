/**
 * A real Chromium (Debian's, scripts/ensure-chromium.mjs) driven by playwright-core, for the dashboard's tests
 * and benchmark. Every request a page makes is recorded, and any that would leave 127.0.0.1 is aborted (and
 * reported by `offsite()`): the dashboard must work offline. Chromium's own name resolution maps every other
 * host to nothing, as a backstop.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from './root.js';

export { ROOT } from './root.js';
/** Where the tests save their screenshots (the README shows the grid's). */
export const SCREENSHOTS = join(ROOT, 'docs', 'images');

export class TestBrowser {
  browser!: Browser;
  context!: BrowserContext;
  version = '';
  readonly requests: string[] = [];

  async start(): Promise<this> {
    const script = pathToFileURL(join(ROOT, 'scripts', 'ensure-chromium.mjs')).href;
    const { ensureChromium } = (await import(script)) as { ensureChromium: () => { path: string; version: string } };
    const c = ensureChromium();
    this.version = c.version;
    this.browser = await chromium.launch({
      executablePath: c.path,
      args: ['--disable-gpu', '--disable-quic', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
    });
    this.context = await this.browser.newContext({ viewport: { width: 1280, height: 900 } });
    this.context.on('request', (r) => this.requests.push(r.url()));
    await this.context.route('**/*', (route) =>
      new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort('blockedbyclient'),
    );
    return this;
  }

  /** Requests any page made to somewhere else than 127.0.0.1 (data: URLs are the page's own). */
  offsite(): string[] {
    return this.requests.filter((u) => !u.startsWith('data:') && new URL(u).hostname !== '127.0.0.1');
  }

  page(): Promise<Page> {
    return this.context.newPage();
  }

  /** Saves the whole page (`fullPage`) or what the window shows. */
  async screenshot(page: Page, name: string, fullPage = false): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = join(SCREENSHOTS, `${name}.png`);
    await page.screenshot({ path, fullPage });
    return path;
  }

  async stop(): Promise<void> {
    await this.browser?.close();
  }
}

/** axe-core's scan of a page (WCAG 2.1 A and AA): the violations of impact serious or critical. */
export async function seriousViolations(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  const axe = (await import('axe-core')).default as unknown as { source: string };
  await page.evaluate(axe.source);
  const result = (await page.evaluate(() =>
    (window as unknown as { axe: { run: (d: Document, o: object) => Promise<unknown> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }),
  )) as { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}
