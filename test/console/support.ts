// What the console suites share: a current build of the console (the server
// serves dist/console/, which `npm ci` builds; a source changed since is
// rebuilt first) and sign-in through the form.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, Route } from 'playwright-core';
import { waitUntil } from '../support/wait.ts';
import { buildConsole } from '../../scripts/build-console.js';
import { newestMtime, ROOT } from '../support/cli.ts';

let checked = false;

/** Builds dist/console/ unless it is newer than src/console/ and src/client/. */
export async function ensureConsoleBuilt(): Promise<void> {
  if (checked) return;
  const built =
    statSync(join(ROOT, 'dist', 'console', 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sources = Math.max(
    newestMtime(join(ROOT, 'src', 'console')),
    newestMtime(join(ROOT, 'src', 'client')),
  );
  if (built < sources) await buildConsole();
  checked = true;
}

/** What signs in: a TestAccount has these fields. */
export interface Login {
  domainName: string;
  user: string;
  password: string;
}

/** Signs in with the mouse and waits for the services page. */
export async function signIn(page: Page, url: string, login: Login): Promise<void> {
  await page.goto(`${url}/console`);
  await page.getByLabel('Account').fill(login.domainName);
  await page.getByLabel('User name').fill(login.user);
  await page.getByLabel('Password').fill(login.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Endpoint services' }).waitFor();
}

/**
 * Waits for the page of `route` (the hash's path, `services/ID/tags`) when given (after a
 * hash-only navigation the last page's heading is still there for a moment), for its
 * heading, and until no list or panel still says it is loading.
 */
export async function settle(page: Page, route?: string): Promise<void> {
  if (route !== undefined) await page.locator(`main[data-route=${JSON.stringify(route)}]`).waitFor();
  await page.locator('h1').first().waitFor();
  await waitUntil(
    () => page.getByText('Loading…').count(),
    (n) => n === 0,
    'every list to load',
  );
}

/**
 * How a page overflows a window `width` px wide: undefined when it fits, else
 * its scroll width and the first elements that reach past the edge.
 * (Code run in the page is a string: the project's types hold no DOM.)
 */
export async function overflowAt(page: Page, width: number): Promise<string | undefined> {
  const scroll = Number(await page.evaluate('document.documentElement.scrollWidth'));
  if (scroll <= width) return undefined;
  const wide = await page.evaluate(
    `[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > ${width})` +
      `.slice(0, 5).map((e) => e.tagName + '.' + e.className).join(' ')`,
  );
  return `${scroll} px wide in a ${width} px window: ${String(wide)}`;
}

/**
 * The browser's problems without the lines a test provoked on purpose (the
 * browser logs every 4xx answer itself): each expected pattern forgives one line.
 */
export function withoutExpected(problems: readonly string[], expected: readonly RegExp[]): string[] {
  const left = [...expected];
  return problems.filter((p) => {
    const i = left.findIndex((re) => re.test(p));
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

/**
 * Holds back the browser's requests that `match` accepts until `release` (then they go on to
 * the server); `requested` settles when the first has been asked, and fails after 15 s if
 * none was. For asserting what a page shows while an answer is on its way, without timing.
 * Call `release` in a `finally`: a route left behind would hold the page's later requests.
 */
export async function holdRequests(
  page: Page,
  match: (url: URL) => boolean,
): Promise<{ requested: Promise<void>; release: () => Promise<void> }> {
  let open = (): void => {};
  const held = new Promise<void>((resolve) => (open = resolve));
  let asked = (): void => {};
  const requested = new Promise<void>((resolve, reject) => {
    asked = resolve;
    setTimeout(() => reject(new Error('no held request was made in 15 s')), 15_000).unref();
  });
  // Not an unhandled rejection when the test fails before it waits for it.
  requested.catch(() => {});
  const handling = new Set<Promise<void>>();
  const handler = (route: Route): void => {
    asked();
    // Done once answered: routing has then finished with it.
    const passed = held.then(async () => {
      await route.fallback();
      await route.request().response();
    });
    handling.add(passed);
  };
  await page.route(match, handler);
  return {
    requested,
    release: async () => {
      open();
      // Unrouted once every held request has been answered: unrouting right after the
      // fallback made playwright report "Route is already handled" for it.
      await Promise.allSettled(handling);
      await page.unroute(match, handler);
    },
  };
}
