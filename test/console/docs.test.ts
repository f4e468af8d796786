// /docs (Swagger UI) in headless Chromium: vpcep's name, icon and logo in place
// of the framework's, the steps to get a token, and an Authorize dialog that
// offers the token only (the AK/SK scheme stays in /openapi.json for the SDKs,
// but no page can sign). Nothing it loads leaves the machine.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { ICON_SVG, LOGO_SVG } from '../../src/api/brand.ts';
import { rawRequest } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { chromiumMissing, launchBrowser, type Browser } from './browser.ts';

const STEP = { timeout: 15_000 };

/** One attribute of every element a locator finds. */
async function attributes(found: Locator, name: string): Promise<string[]> {
  const values: string[] = [];
  for (let i = 0; i < (await found.count()); i++) values.push((await found.nth(i).getAttribute(name)) ?? '');
  return values;
}

interface Spec {
  info: { description: string };
  components: { securitySchemes: Record<string, unknown> };
}

describe(
  '/docs: Swagger UI with vpcep branding and the token how-to (headless Chromium)',
  { skip: chromiumMissing() },
  () => {
    let server: TestServer;
    let browser: Browser;
    let page: Page;

    before(async () => {
      server = await startTestServer();
      browser = await launchBrowser();
      page = await browser.newPage();
      await page.goto(`${server.url}/docs`);
      await page.locator('.information-container').waitFor(STEP);
    });
    after(async () => {
      await browser?.close();
      await server?.close();
    });

    /** The bytes and type the page got for a URL it names (same origin). */
    const served = async (path: string) => {
      const res = await rawRequest({ method: 'GET', url: new URL(path, page.url()).toString() });
      assert.equal(res.status, 200, path);
      return { type: String(res.headers['content-type']), text: res.text };
    };

    test("the page's title, icon and logo are vpcep's", async () => {
      assert.equal(await page.title(), 'vpcep API');
      const icons = await attributes(page.locator('link[rel="icon"]'), 'href');
      assert.equal(icons.length, 1, `one icon: ${icons.join(', ')}`);
      const icon = await served(icons[0] as string);
      assert.match(icon.type, /^image\/svg\+xml/);
      assert.equal(icon.text, ICON_SVG);
      const logos = await attributes(page.locator('.topbar img'), 'src');
      assert.equal(logos.length, 1, `one logo: ${logos.join(', ')}`);
      // Swagger UI may inline the logo as a data: URL.
      const src = logos[0] as string;
      const inline = /^data:image\/svg\+xml;base64,(.*)$/.exec(src);
      const logo = inline ? Buffer.from(inline[1] as string, 'base64').toString() : (await served(src)).text;
      assert.equal(logo, LOGO_SVG, src.slice(0, 80));
      assert.doesNotMatch(await page.content(), /fastify/i);
    });

    test('it explains how to get a token for Authorize', async () => {
      const info = await page.locator('.information-container').innerText();
      assert.match(info, /POST \/v3\/auth\/tokens/);
      assert.match(info, /X-Subject-Token/);
      assert.match(info, /Authorize/);
    });

    test('Authorize offers the token and no AK/SK box; /openapi.json keeps the signed scheme', async () => {
      await page
        .getByRole('button', { name: /Authorize/ })
        .first()
        .click();
      const dialog = page.locator('.modal-ux');
      await dialog.waitFor(STEP);
      const text = await dialog.innerText();
      assert.match(text, /token\s*\(apiKey\)/);
      assert.match(text, /X-Subject-Token/);
      assert.doesNotMatch(text, /aksk/i);
      assert.equal(await dialog.locator('input').count(), 1, 'one box: the token');

      const pageSpec = (await rawRequest({ method: 'GET', url: `${server.url}/docs/json` })).json as Spec;
      assert.deepEqual(Object.keys(pageSpec.components.securitySchemes), ['token']);
      const full = (await rawRequest({ method: 'GET', url: `${server.url}/openapi.json` })).json as Spec;
      assert.deepEqual(Object.keys(full.components.securitySchemes).sort(), ['aksk', 'token']);
      assert.match(full.info.description, /X-Subject-Token/);
    });

    test('no console error, page error, or request off the machine', () => {
      assert.deepEqual(browser.problems, [], `failed loads:\n${browser.failedLoads.join('\n')}`);
    });
  },
);
