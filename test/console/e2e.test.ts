// The console end to end in headless Chromium, as the walkthrough has
// it: the provider signs in (keyboard only), creates a service and whitelists
// the consumer; the consumer creates an endpoint; the provider accepts it from
// the Connections tab; the consumer sees it accepted with its IP and DNS name,
// sends traffic and sees the counters move; a wrong password shows an error.
// Any console error, page error or request to a non-loopback address fails it.
// Code run in the page is passed as a string: the project's types hold no DOM.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { connectTcp, roundTrip, startTcpBackend, type TcpBackend } from '../support/loopback.ts';
import { testDialects } from '../support/db.ts';
import { reachable } from '../support/reachable.ts';
import { waitUntil } from '../support/wait.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { NETWORKS } from '../vpcep/endpoints.support.ts';
import { chromiumMissing, launchBrowser, type Browser } from './browser.ts';
import { ensureConsoleBuilt, overflowAt, settle, signIn, withoutExpected } from './support.ts';

const BACKEND_IP = '127.20.0.10';
const ENDPOINT_IP = '127.30.0.70';
const CLIENT_IP = '127.30.0.7';
/** Every wait of a step: the suite's time stays bounded even when something hangs. */
const STEP = { timeout: 15_000 };

const skip = chromiumMissing();

for (const dialect of testDialects()) {
  describe(`web console end to end (headless Chromium, ${dialect})`, { skip }, () => {
    let server: TestServer;
    let backend: TcpBackend;
    let browser: Browser;
    const expected: RegExp[] = [];

    before(async () => {
      await ensureConsoleBuilt();
      server = await startTestServer({ dialect, accountExtras: NETWORKS });
      backend = await startTcpBackend(BACKEND_IP);
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await backend?.close();
      await server?.close();
    });

    let provider: Page;
    let consumer: Page;
    let serviceId = '';
    let endpointId = '';

    test('the provider signs in with the keyboard alone', async () => {
      provider = await browser.newPage();
      await provider.goto(`${server.url}/console`);
      // The first field has focus; Tab moves on, Enter submits.
      await provider.getByLabel('Account').waitFor(STEP);
      assert.equal(
        await provider.evaluate('document.activeElement?.id'),
        await provider.getByLabel('Account').getAttribute('id'),
      );
      await provider.keyboard.type(server.provider.domainName);
      await provider.keyboard.press('Tab');
      await provider.keyboard.type(server.provider.user);
      await provider.keyboard.press('Tab');
      await provider.keyboard.type(server.provider.password);
      await provider.keyboard.press('Enter');
      await provider.getByRole('heading', { name: 'Endpoint services' }).waitFor(STEP);
      await provider.getByText('No endpoint services yet').waitFor(STEP);
      const header = await provider.locator('header').innerText();
      assert.match(header, /provider/);
      assert.match(header, /tr-west-1/);
      // The token lives in this tab's sessionStorage, never in the URL.
      assert.doesNotMatch(provider.url(), /MIIvpcep/);
    });

    test('the provider creates a service on its backend port and it becomes available', async () => {
      await provider.getByRole('link', { name: 'Create service' }).click();
      await provider.getByLabel('VPC').selectOption({ label: 'vpc-p (127.20.0.0/16)' }, STEP);
      await provider.getByLabel('Backend port').selectOption({ index: 1 }, STEP);
      await provider.getByLabel('Client port 1').fill('8080');
      await provider.getByLabel('Server port 1').fill(String(backend.port));
      await provider.getByLabel('Description').fill('orders API');
      await provider.getByRole('button', { name: 'Create service' }).click();
      await provider.getByRole('tab', { name: 'Connections' }).waitFor(STEP);
      serviceId = /#\/services\/([^/]+)/.exec(provider.url())?.[1] ?? '';
      assert.ok(serviceId, provider.url());
      await provider.locator('h1 + .badge[data-status="available"]').waitFor(STEP);
      const facts = await provider.locator('.facts').innerText();
      assert.match(facts, new RegExp(`8080→${backend.port}/TCP`));
      assert.match(facts, /Required/);
    });

    test('the provider whitelists the consumer account', async () => {
      await provider.getByRole('tab', { name: 'Whitelist' }).click();
      await provider.getByLabel('Account ID').fill(server.consumer.domainId);
      await provider.getByRole('button', { name: 'Add to whitelist' }).click();
      await provider
        .getByRole('cell', { name: `iam:domain::${server.consumer.domainId}`, exact: true })
        .waitFor(STEP);
      await provider.getByRole('tab', { name: 'Connections' }).click();
      await provider.getByText('No endpoint has connected yet').waitFor(STEP);
    });

    test('the consumer signs in in another tab and creates an endpoint to the service', async () => {
      consumer = await browser.context.newPage();
      await signIn(consumer, server.url, server.consumer);
      await consumer.getByRole('link', { name: 'Endpoints', exact: true }).click();
      await consumer.getByText('No endpoints yet').waitFor(STEP);
      await consumer.getByRole('link', { name: 'Create endpoint' }).click();
      await consumer.getByLabel('Service ID').fill(serviceId);
      await consumer.getByLabel('VPC').selectOption({ label: 'vpc-c (127.30.0.0/16)' }, STEP);
      await consumer.getByLabel('Subnet').selectOption({ label: 'sn-c (127.30.0.0/24)' });
      await consumer.getByLabel('IP address').fill(ENDPOINT_IP);
      assert.equal(await consumer.getByLabel('Create a private DNS name').isChecked(), true);
      await consumer.getByLabel('Restrict clients to a whitelist').check();
      await consumer.getByLabel('Allowed clients').fill('127.30.0.0/24');
      await consumer.getByRole('button', { name: 'Create endpoint' }).click();
      await consumer.getByRole('heading', { name: /^Endpoint / }).waitFor(STEP);
      endpointId = /#\/endpoints\/([^/]+)/.exec(consumer.url())?.[1] ?? '';
      assert.ok(endpointId, consumer.url());
      await consumer.locator('h1 + .badge[data-status="pendingAcceptance"]').waitFor(STEP);
      await consumer.getByText('Waiting for the service').waitFor(STEP);
    });

    test('the provider accepts it from the Connections tab', async () => {
      // The tab refreshes by itself: the new connection appears without a reload.
      const row = provider.locator(`tr[data-endpoint="${endpointId}"]`);
      await row.waitFor(STEP);
      await row.locator('[data-status="pendingAcceptance"]').waitFor(STEP);
      await row.getByRole('button', { name: 'Reject' }).waitFor(STEP);
      await row.getByRole('button', { name: 'Accept' }).click();
      await row.locator('[data-status="accepted"]').waitFor(STEP);
    });

    test('the consumer sees it accepted with its IP and DNS name, sends traffic, and the counters move', async () => {
      await consumer.locator('h1 + .badge[data-status="accepted"]').waitFor(STEP);
      assert.equal(await consumer.locator('[data-field="ip"]').innerText(), ENDPOINT_IP);
      const dns = await consumer.locator('[data-field="dns"]').innerText();
      assert.match(dns, new RegExp(`^${endpointId}\\.tr-west-1\\.`));
      const total = consumer.locator('[data-counter="Total connections"]');
      await total.waitFor(STEP);
      const before = Number(await total.innerText());

      await reachable(ENDPOINT_IP, 8080, CLIENT_IP);
      const socket = await connectTcp(ENDPOINT_IP, 8080, CLIENT_IP);
      try {
        assert.equal((await roundTrip(socket, Buffer.alloc(4096, 1))).length, 4096);
        // Refreshed while open: the counters move without a reload.
        // (The page's CSP forbids eval, so the waits read the text from here.)
        const counter = (name: string) => consumer.locator(`[data-counter="${name}"]`).innerText();
        await waitUntil(
          () => counter('Total connections'),
          (t) => Number(t) > before,
          'total connections to grow',
        );
        await waitUntil(
          () => counter('Active connections'),
          (t) => t === '1',
          'one active connection',
        );
        const sent = await consumer.locator('[data-counter="Client → backend"]').innerText();
        assert.match(sent, /KiB|MiB/, `4 KiB went through, the page says ${sent}`);
      } finally {
        socket.destroy();
      }
      await waitUntil(
        () => consumer.locator('[data-counter="Active connections"]').innerText(),
        (t) => t === '0',
        'the closed connection to leave the active count',
      );
    });

    test('a dialog is keyboard-usable: Escape closes it, focus returns', async () => {
      const del = consumer.getByRole('button', { name: 'Delete', exact: true });
      await del.focus();
      await consumer.keyboard.press('Enter');
      const dialog = consumer.getByRole('dialog', { name: 'Delete endpoint' });
      await dialog.waitFor(STEP);
      await consumer.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden', ...STEP });
      // The dialog may be hidden by the browser's own Escape handling a moment before the
      // console unmounts it and hands focus back: wait for that hand-back, then require it.
      const focused = await waitUntil(
        () => consumer.evaluate('document.activeElement?.textContent'),
        (t) => t === 'Delete',
        'focus to return to the Delete button',
        5_000,
      );
      assert.equal(focused, 'Delete');
    });

    test('at a narrow width nothing overflows the window', async () => {
      await consumer.setViewportSize({ width: 400, height: 800 });
      try {
        for (const section of ['services', 'endpoints', 'network', 'public', 'quotas']) {
          await consumer.goto(`${server.url}/console#/${section}`);
          await settle(consumer, section);
          assert.equal(await overflowAt(consumer, 400), undefined, `#/${section}`);
        }
      } finally {
        await consumer.setViewportSize({ width: 1280, height: 800 });
      }
    });

    test('sign-out forgets the token; a wrong password says what was wrong', async () => {
      await consumer.getByRole('button', { name: 'Sign out' }).click();
      await consumer.getByRole('heading', { name: 'Sign in to the console' }).waitFor(STEP);
      assert.equal(await consumer.evaluate('sessionStorage.length'), 0);
      await consumer.getByLabel('Account').fill(server.consumer.domainName);
      await consumer.getByLabel('User name').fill(server.consumer.user);
      await consumer.getByLabel('Password').fill('not-the-password');
      // The browser logs the 401 of this sign-in itself; that one line is expected.
      expected.push(/Failed to load resource: the server responded with a status of 401/);
      await consumer.getByRole('button', { name: 'Sign in' }).click();
      const alert = consumer.getByRole('alert');
      await alert.waitFor(STEP);
      assert.match(
        await alert.innerText(),
        /Authentication failed.*\(EndPoint\.0003, request [0-9a-f]{32}\)/,
      );
      assert.equal(await consumer.getByLabel('Password').inputValue(), '', 'the refused password is cleared');
    });

    test('no console error, page error, or request off the machine', () => {
      assert.deepEqual(
        withoutExpected(browser.problems, expected),
        [],
        `failed loads:\n${browser.failedLoads.join('\n')}`,
      );
      assert.ok(browser.requests.length > 10);
    });
  });
}
