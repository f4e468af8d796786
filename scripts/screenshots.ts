// `npm run screenshots`: every page of the web console at 1280×800, in headless
// Chromium against a throwaway server holding a small scene (test/console/scene.ts),
// written as PNG files to docs/images/ (or --out DIR). The README shows two.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/console/browser.ts';
import { startScene } from '../test/console/scene.ts';
import { ensureConsoleBuilt, settle, signIn } from '../test/console/support.ts';
import { ROOT } from '../test/support/cli.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = values.out ?? join(ROOT, 'docs', 'images');
mkdirSync(out, { recursive: true });

await ensureConsoleBuilt();
const scene = await startScene();
const browser = await launchBrowser({ width: 1280, height: 800 });
try {
  const { server } = scene;
  const shoot = async (page: Page, name: string, hash?: string) => {
    if (hash !== undefined) await page.goto(`${server.url}/console#/${hash}`);
    await settle(page);
    const file = join(out, `console-${name}.png`);
    await page.screenshot({ path: file });
    process.stdout.write(`${file}\n`);
  };

  const provider = await browser.newPage();
  await provider.goto(`${server.url}/console`);
  await provider.getByLabel('Account').waitFor();
  await shoot(provider, 'sign-in');
  await signIn(provider, server.url, server.provider);
  await shoot(provider, 'services', 'services');
  await shoot(provider, 'service-create', 'services/new');
  for (const tab of ['connections', 'whitelist', 'tags']) {
    await shoot(provider, `service-${tab}`, `services/${scene.serviceId}/${tab}`);
  }
  await shoot(provider, 'service-edit', `services/${scene.serviceId}/edit`);
  await shoot(provider, 'network', 'network');
  await shoot(provider, 'public-services', 'public');
  await shoot(provider, 'quotas', 'quotas');

  const consumer = await browser.context.newPage();
  await signIn(consumer, server.url, server.consumer);
  await shoot(consumer, 'endpoints', 'endpoints');
  await shoot(consumer, 'endpoint-create', `endpoints/new?service=${scene.serviceId}`);
  await shoot(consumer, 'endpoint-detail', `endpoints/${scene.acceptedId}`);

  if (browser.problems.length > 0) throw new Error(`the browser reported:\n${browser.problems.join('\n')}`);
} finally {
  await browser.close();
  await scene.close();
}
