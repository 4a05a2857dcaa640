// A real browser for the admin page's tests: Debian's Chromium (installed by .ci/run) driven by playwright-core, as no
// browser download works here, in a fresh profile removed at the end. Every request the page makes to a host other
// than Parley's is aborted and recorded: the page must work from Parley alone. Also axe-core's check of what is on
// screen, and full-page screenshots kept as test artifacts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
/** Flags that work here as root; without the background-networking ones Chromium floods the closed network with connections. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const ARTIFACTS = path.join(REPO, 'test-artifacts', 'admin');
const AXE_PATH = createRequire(import.meta.url).resolve('axe-core');

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 740 };

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** URLs of the requests (and WebSockets) the page tried to make to any origin but the allowed one. */
  foreignRequests: string[];
  close(): Promise<void>;
}

/** Starts Chromium with an empty profile; the page may reach `allowedOrigin` (e.g. http://127.0.0.1:1234) and nothing else. */
export async function launchBrowser(allowedOrigin: string): Promise<TestBrowser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'parley-chromium-'));
  const foreignRequests: string[] = [];
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: DESKTOP });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const allowedHost = new URL(allowedOrigin).host;
  const isForeign = (url: string): boolean => {
    const { protocol, host } = new URL(url);
    // data: and blob: URLs are made by the page itself, not fetched from a host; a WebSocket to Parley is Parley.
    return ['http:', 'https:', 'ws:', 'wss:'].includes(protocol) && host !== allowedHost;
  };
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (!isForeign(url)) return route.continue();
    foreignRequests.push(url);
    return route.abort('blockedbyclient');
  });
  // Routes do not see WebSockets: each page reports its own.
  const watchSockets = (p: Page): void => {
    p.on('websocket', (ws) => {
      if (isForeign(ws.url())) foreignRequests.push(ws.url());
    });
  };
  context.pages().forEach(watchSockets);
  context.on('page', watchSockets);
  const page = context.pages()[0] ?? (await context.newPage());

  return {
    context,
    page,
    foreignRequests,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[] }[];
}

/** Pages whose Content-Security-Policy refused axe's script tag once: they will again (no inline script). */
const refusesScriptTags = new WeakSet<Page>();

/** axe-core's violations of impact serious or critical on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = () => page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === 'object');
  if (!(await loaded())) {
    if (!refusesScriptTags.has(page)) await page.addScriptTag({ path: AXE_PATH }).catch(() => undefined);
    // The tag is inline, which a page's CSP may refuse; DevTools' evaluate is not subject to the page's CSP.
    if (!(await loaded())) {
      refusesScriptTags.add(page);
      await page.evaluate(readFileSync(AXE_PATH, 'utf8'));
    }
  }
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const results = await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
    return results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Fails, listing each one, when axe-core finds a serious or critical violation; `label` names the screen. */
export async function checkAccessibility(page: Page, label: string): Promise<void> {
  const violations = await seriousViolations(page);
  const lines = violations.map((v) => `  ${v.id} (${v.impact}): ${v.help}\n    at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  assert.equal(violations.length, 0, `axe-core on ${label}: ${violations.length} serious or critical violation(s)\n${lines.join('\n')}`);
}

/** A full-page PNG at test-artifacts/admin/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${path.relative(REPO, file)}`);
  return file;
}
