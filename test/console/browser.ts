// Headless Chromium (Debian's /usr/bin/chromium) driven through playwright-core,
// for the console's end-to-end tests, its screenshots and its benchmark. Every
// request the page makes is routed: one to a non-loopback address is aborted
// and recorded, and so is every console error and uncaught page error, so a
// caller can fail on any of them.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.VPCEP_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Why the browser suites cannot run here, or undefined when they can. With
 * VPCEP_REQUIRE_CHROMIUM=1 (CI, which installs it) a missing browser is an
 * error instead of a skip.
 */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const why = `${CHROMIUM} is missing (Debian package chromium)`;
  if (process.env.VPCEP_REQUIRE_CHROMIUM === '1') {
    throw new Error(`${why}, and VPCEP_REQUIRE_CHROMIUM=1 says the browser suites must run`);
  }
  return `${why}: the browser suites are skipped`;
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--metrics-recording-only',
  '--no-default-browser-check',
];

export function isLoopbackUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'data:' || u.protocol === 'about:' || u.protocol === 'blob:') return true;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export interface Browser {
  context: BrowserContext;
  /** Console errors (the browser logs each failed load as one), page errors, and requests refused for leaving the machine. */
  problems: string[];
  /** Every URL the pages requested, in order. */
  requests: string[];
  /** `STATUS METHOD URL` of every answer of 400 or more: which load a logged failure was. */
  failedLoads: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export interface BrowserOptions {
  width?: number;
  height?: number;
}

export async function launchBrowser(opts: BrowserOptions = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'vpcep-chromium-'));
  const problems: string[] = [];
  const requests: string[] = [];
  const failedLoads: string[] = [];
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
      timeout: 30_000,
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    requests.push(url);
    if (isLoopbackUrl(url)) return route.continue();
    problems.push(`request to a non-loopback address: ${url}`);
    return route.abort('blockedbyclient');
  });
  const watch = (page: Page) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  };
  context.on('response', (response) => {
    if (response.status() >= 400) {
      failedLoads.push(`${response.status()} ${response.request().method()} ${response.url()}`);
    }
  });
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  return {
    context,
    problems,
    requests,
    failedLoads,
    async newPage() {
      const existing = context.pages().find((p) => p.url() === 'about:blank');
      return existing ?? context.newPage();
    },
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
