// The console's features beyond the walkthrough of e2e.test.ts, in headless
// Chromium on both stores: services search and paging; create with UDP, a
// tcp_proxy and tags; the Tags and Whitelist tabs; the edit form; the
// Connections tab (reject, the provider's description); the Endpoints list
// following a provider's decision without a reload; an endpoint from a public
// service; deleting a service and an endpoint; the VPC inventory; a list in
// its error state; hostile text shown as text; a narrow window on detail pages
// and forms; the region / project picker. Any console error, page error or
// request off the machine (except the error answers provoked here) fails it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { testDialects } from '../support/db.ts';
import { ACCOUNTS, startTestServer, type TestServer, type TestServerOptions } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';
import {
  createEndpoint,
  createService,
  NETWORKS,
  networkOf,
  settled,
  type Network,
} from '../vpcep/endpoints.support.ts';
import { chromiumMissing, launchBrowser, type Browser } from './browser.ts';
import { ensureConsoleBuilt, holdRequests, overflowAt, settle, signIn, withoutExpected } from './support.ts';

const STEP = { timeout: 15_000 };
/** The provider's second project: a sub-project of the server's one region. */
const SUB_PROJECT = { id: '9b8c7d6e5f4a4b3c2d1e0f9a8b7c6d5e', name: 'tr-west-1_test' };
/** The public interface service of the default configuration. */
const PUBLIC_DNS = '3b8a4d5e-0b5f-4f0e-9a53-6f1d2c7e0b02';
/** A port name a careless console would turn into markup (and a request to ./x). */
const HOSTILE = '<img src=x onerror=alert(1)>';
/** The API refuses < and > in descriptions; entities and quotes must still show as typed. */
const ODD_DESCRIPTION = `Tom & Jerry's "API" &lt;b&gt; {{x}} \${x}`;
const BULK = 11;

/** NETWORKS, with a second backend port in the provider's subnet and a second project. */
const EXTRAS: NonNullable<TestServerOptions['accountExtras']> = {
  provider: {
    projects: [{ ...ACCOUNTS.provider.project }, SUB_PROJECT],
    vpcs: NETWORKS.provider?.vpcs?.map((vpc) => ({
      ...vpc,
      subnets: vpc.subnets?.map((subnet) => ({
        ...subnet,
        ports: [
          ...(subnet.ports ?? []),
          { ip: '127.20.0.11', device_owner: 'compute:az1', name: 'backend-2' },
        ],
      })),
    })),
  },
  consumer: NETWORKS.consumer,
};

const skip = chromiumMissing();

/** The row of a table that holds `text` (an id, a name). */
function rowWith(page: Page | Locator, text: string) {
  return page.locator('tr', { hasText: text });
}

for (const dialect of testDialects()) {
  describe(`web console features (headless Chromium, ${dialect})`, { skip }, () => {
    let server: TestServer;
    let browser: Browser;
    let net: Network;
    let provider: Page;
    let consumer: Page;
    const bulk: string[] = [];
    const expected: RegExp[] = [];
    /** The browser's own log line for an error answer a test provokes. */
    const expectError = (status: number) =>
      expected.push(new RegExp(`Failed to load resource: the server responded with a status of ${status}`));
    let serviceId = '';
    let pendingId = '';
    let rejectedId = '';

    before(async () => {
      await ensureConsoleBuilt();
      server = await startTestServer({ dialect, accountExtras: EXTRAS });
      browser = await launchBrowser();
      net = await networkOf(server.provider, 'vpc-p');
      for (let i = 1; i <= BULK; i++) {
        const port = 9000 + i;
        const created = await createService(server, net, {
          name: `bulk-${i}`,
          ports: [{ client_port: port, server_port: port, protocol: 'TCP' }],
        });
        bulk.push(created.id);
      }
    });
    after(async () => {
      await browser?.close();
      await server?.close();
    });

    test('services: paging by ten, search by name, an empty search result', async () => {
      provider = await browser.newPage();
      await signIn(provider, server.url, server.provider);
      const pager = provider.getByRole('navigation', { name: 'Pages' });
      await pager.getByText(`1–10 of ${BULK}`).waitFor(STEP);
      assert.equal(await provider.locator('tbody tr').count(), 10);
      // The second page's answer is held back: until it comes the pager may not
      // describe a page the table does not show (it once said "0–0 of 0" there,
      // and "11–11" over the first page's ten rows for a frame).
      const secondPage = (url: URL) => url.searchParams.get('offset') === '10';
      const held = await holdRequests(provider, secondPage);
      try {
        await pager.getByRole('button', { name: 'Next' }).click();
        await held.requested;
        await provider.getByText('Loading…').waitFor(STEP);
        assert.equal(await pager.count(), 0, 'no pager while the page it would describe loads');
      } finally {
        await held.release();
      }
      await pager.getByText(`11–${BULK} of ${BULK}`).waitFor(STEP);
      assert.equal(await provider.locator('tbody tr').count(), BULK - 10);
      assert.equal(await pager.getByRole('button', { name: 'Next' }).isDisabled(), true);

      // A page that fails keeps the pager, so the user can page back from it.
      await pager.getByRole('button', { name: 'Previous' }).click();
      await pager.getByText(`1–10 of ${BULK}`).waitFor(STEP);
      expectError(503);
      await provider.route(secondPage, (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({ error_code: 'VPCEP.0503', error_msg: 'page held down by the test' }),
        }),
      );
      try {
        await pager.getByRole('button', { name: 'Next' }).click();
        await provider
          .getByRole('alert')
          .getByText(/page held down by the test/)
          .waitFor(STEP);
        assert.equal(await pager.getByRole('button', { name: 'Previous' }).isDisabled(), false);
      } finally {
        await provider.unroute(secondPage);
      }
      await pager.getByRole('button', { name: 'Previous' }).click();
      await pager.getByText(`1–10 of ${BULK}`).waitFor(STEP);

      const search = provider.getByLabel('Search by name');
      await search.fill('BULK-1');
      await search.press('Enter');
      // Case-insensitive, anywhere in the name: bulk-1, bulk-10, bulk-11; paging starts again.
      await waitUntil(
        () => provider.locator('tbody tr a').allInnerTexts(),
        (names) => names.length === 3 && names.every((n) => /\.bulk-1[01]?\./.test(n)),
        'the three matching services',
      );
      assert.equal(await pager.count(), 0, 'one page needs no pager');
      await search.fill('no-such-service');
      await provider.getByRole('button', { name: 'Search' }).click();
      await provider.getByText("No service's name contains “no-such-service”.").waitFor(STEP);
      await search.fill('');
      await search.press('Enter');
      await pager.getByText(`1–10 of ${BULK}`).waitFor(STEP);
    });

    test('a list in its error state says what the API answered and offers to try again', async () => {
      expectError(400);
      const search = provider.getByLabel('Search by name');
      await search.fill('x'.repeat(129));
      await search.press('Enter');
      const alert = provider.getByRole('alert');
      await alert.waitFor(STEP);
      assert.match(await alert.innerText(), /\(EndPoint\.\d{4}, request [0-9a-f]{32}\)/);
      await alert.getByRole('button', { name: 'Try again' }).waitFor(STEP);
      // The page around it stays: heading, search, table.
      await provider.getByRole('heading', { name: 'Endpoint services' }).waitFor(STEP);
      assert.equal(await provider.locator('table').count(), 1);
      await search.fill('');
      await search.press('Enter');
      await alert.waitFor({ state: 'hidden', ...STEP });

      expectError(404);
      await provider.goto(`${server.url}/console#/services/6f0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d`);
      const missing = provider.getByRole('alert');
      await missing.waitFor(STEP);
      assert.match(await missing.innerText(), /\(EndPoint\.\d{4}, request [0-9a-f]{32}\)/);
      await missing.getByRole('button', { name: 'Try again' }).waitFor(STEP);
    });

    test('create a service with a UDP mapping, a tcp_proxy, tags and an odd description', async () => {
      await provider.goto(`${server.url}/console#/services/new`);
      await provider.getByLabel('VPC').selectOption({ label: 'vpc-p (127.20.0.0/16)' }, STEP);
      await provider.getByLabel('Backend port').selectOption({ label: '127.20.0.10 compute:az1' });
      await provider.getByLabel('Service name').fill('orders');
      await provider.getByLabel('Client port 1').fill('8080');
      await provider.getByLabel('Server port 1').fill('80');
      await provider.getByRole('button', { name: 'Add mapping' }).click();
      await provider.getByLabel('Client port 2').fill('5353');
      await provider.getByLabel('Server port 2').fill('53');
      await provider.getByLabel('Protocol 2').selectOption('UDP');
      await provider.getByLabel('Client information (tcp_proxy)').selectOption('proxy_open');
      await provider.getByLabel('Description').fill(ODD_DESCRIPTION);
      await provider.getByRole('button', { name: 'Add tag' }).click();
      await provider.getByLabel('Tag key 1').fill('team');
      await provider.getByLabel('Tag value 1').fill('orders');
      await provider.getByRole('button', { name: 'Create service' }).click();
      await provider.getByRole('tab', { name: 'Connections' }).waitFor(STEP);
      serviceId = /#\/services\/([^/]+)/.exec(provider.url())?.[1] ?? '';
      assert.ok(serviceId, provider.url());
      await provider.locator('h1 + .badge[data-status="available"]').waitFor(STEP);
      const facts = provider.locator('.facts');
      assert.match(await facts.innerText(), /8080→80\/TCP/);
      assert.match(await facts.innerText(), /5353→53\/UDP/);
      assert.match(await facts.innerText(), /proxy_open/);
      // Shown exactly as stored: no entity decoded, no template filled in.
      const description = facts.locator('div', { has: provider.locator('dt', { hasText: 'Description' }) });
      assert.equal(await description.locator('dd').innerText(), ODD_DESCRIPTION);
      await provider.getByRole('tab', { name: 'Tags' }).click();
      await provider.locator('.tag', { hasText: 'team=orders' }).waitFor(STEP);
    });

    test('Tags tab: add one, remove one', async () => {
      await provider.getByLabel('Key').fill('env');
      await provider.getByLabel('Value').fill('prod');
      await provider.getByRole('button', { name: 'Add tag' }).click();
      await provider.locator('.tag', { hasText: 'env=prod' }).waitFor(STEP);
      await provider.getByRole('button', { name: 'Remove tag team' }).click();
      await provider.locator('.tag', { hasText: 'team=orders' }).waitFor({ state: 'detached', ...STEP });
      const shown = await server.provider.sdk({
        method: 'GET',
        url: `/v1/{project_id}/vpc-endpoint-services/${serviceId}`,
      });
      assert.deepEqual(shown.tags, [{ key: 'env', value: 'prod' }]);
    });

    test('Whitelist tab: * and an account, then * removed', async () => {
      await provider.getByRole('tab', { name: 'Whitelist' }).click();
      const account = provider.getByLabel('Account ID');
      const add = provider.getByRole('button', { name: 'Add to whitelist' });
      await account.fill('*');
      await add.click();
      await provider.getByRole('cell', { name: '*', exact: true }).waitFor(STEP);
      await account.fill(server.consumer.domainId);
      await add.click();
      const consumerCell = provider.getByRole('cell', {
        name: `iam:domain::${server.consumer.domainId}`,
        exact: true,
      });
      await consumerCell.waitFor(STEP);
      await provider.getByRole('button', { name: 'Remove *' }).click();
      await provider.getByRole('cell', { name: '*', exact: true }).waitFor({ state: 'detached', ...STEP });
      assert.equal(await consumerCell.count(), 1);
    });

    test('edit: the VPC is fixed; the backend port, mappings and description change', async () => {
      await provider.getByRole('link', { name: 'Edit' }).click();
      const description = provider.getByLabel('Description');
      await waitUntil(
        () => description.inputValue(),
        (v) => v === ODD_DESCRIPTION,
        'the form to hold the service',
      );
      const vpc = provider.getByLabel('VPC');
      assert.equal(await vpc.isDisabled(), true, 'the VPC cannot change');
      assert.equal(await vpc.inputValue(), net.vpcId);
      const ports = (await server.provider.sdk({ method: 'GET', url: '/v1/{project_id}/ports' })).ports as {
        id: string;
        name: string;
      }[];
      const second = ports.find((p) => p.name === 'backend-2');
      assert.ok(second);
      await provider.getByLabel('Backend port').selectOption({ label: '127.20.0.11 backend-2' });
      await provider.getByLabel('Server port 1').fill('8000');
      await description.fill('orders API v2');
      const put = provider.waitForRequest(
        (r) => r.method() === 'PUT' && r.url().endsWith(`/vpc-endpoint-services/${serviceId}`),
      );
      await provider.getByRole('button', { name: 'Save changes' }).click();
      const body = (await put).postDataJSON() as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), [
        'approval_enabled',
        'description',
        'port_id',
        'ports',
        'service_name',
        'tcp_proxy',
      ]);
      assert.equal(body.port_id, second.id);
      await provider.getByRole('tab', { name: 'Connections' }).waitFor(STEP);
      const facts = provider.locator('.facts');
      await facts.getByText('orders API v2').waitFor(STEP);
      assert.match(await facts.innerText(), new RegExp(second.id));
      assert.match(await facts.innerText(), /8080→8000\/TCP/);
    });

    test('Connections tab: reject one; describe another with the keyboard; a refused description says why', async () => {
      const endpoint = async (ip: string) => {
        const created = await createEndpoint(server.consumer, {
          endpoint_service_id: serviceId,
          vpc_id: (await networkOf(server.consumer, 'vpc-c')).vpcId,
          subnet_id: (await networkOf(server.consumer, 'vpc-c')).subnetId,
          port_ip: ip,
          enable_dns: false,
        });
        await settled(server.consumer, String(created.id));
        return String(created.id);
      };
      pendingId = await endpoint('127.30.0.81');
      rejectedId = await endpoint('127.30.0.82');
      await provider.getByRole('tab', { name: 'Connections' }).click();
      const rejected = provider.locator(`tr[data-endpoint="${rejectedId}"]`);
      await rejected.locator('[data-status="pendingAcceptance"]').waitFor(STEP);
      await rejected.getByRole('button', { name: 'Reject' }).click();
      await rejected.locator('[data-status="rejected"]').waitFor(STEP);
      await rejected.getByRole('button', { name: 'Accept' }).waitFor(STEP);
      assert.equal(await rejected.getByRole('button', { name: 'Reject' }).count(), 0);

      const row = provider.locator(`tr[data-endpoint="${pendingId}"]`);
      const note = row.getByLabel(`Description of endpoint ${pendingId}`);
      await note.focus();
      await provider.keyboard.type('checkout team');
      await provider.keyboard.press('Enter');
      await row.getByRole('status').getByText('Saved').waitFor(STEP);
      const listed = await server.provider.sdk({
        method: 'GET',
        url: `/v1/{project_id}/vpc-endpoint-services/${serviceId}/connections`,
        queryParams: { id: pendingId },
      });
      assert.equal((listed.connections as { description: string }[])[0]?.description, 'checkout team');
      // The list refreshes by itself. A field being edited keeps what is typed while a field
      // left alone takes what changed elsewhere: one call changes both rows, so the refresh
      // that shows the untouched row's new text has brought the edited row's too.
      await note.fill('half typed');
      await server.provider.sdk({
        method: 'PUT',
        url: `/v1/{project_id}/vpc-endpoint-services/${serviceId}/connections/description`,
        data: {
          connections: [pendingId, rejectedId].map((id) => ({ id, description: 'changed elsewhere' })),
        },
      });
      await waitUntil(
        () => rejected.getByLabel(`Description of endpoint ${rejectedId}`).inputValue(),
        (v) => v === 'changed elsewhere',
        'the untouched row to follow the change',
      );
      assert.equal(await note.inputValue(), 'half typed');

      expectError(400);
      await note.fill('a <b> note');
      await row.getByRole('button', { name: 'Save' }).click();
      const refused = row.getByRole('alert');
      await refused.waitFor(STEP);
      assert.match(await refused.innerText(), /\(EndPoint\.0002, request [0-9a-f]{32}\)/);
      await provider.reload();
      await waitUntil(
        () => provider.getByLabel(`Description of endpoint ${pendingId}`).inputValue(),
        (v) => v === 'changed elsewhere',
        'the stored description, not the refused one, after a reload',
      );
    });

    test('the Endpoints list follows the provider accepting in another tab, without a reload', async () => {
      consumer = await browser.context.newPage();
      await signIn(consumer, server.url, server.consumer);
      await consumer.getByRole('link', { name: 'Endpoints', exact: true }).click();
      const row = rowWith(consumer, pendingId);
      await row.locator('[data-status="pendingAcceptance"]').waitFor(STEP);
      // A mark in the page's own state: a reload would lose it.
      await consumer.evaluate('window.vpcepNoReload = 1');
      await provider
        .locator(`tr[data-endpoint="${pendingId}"]`)
        .getByRole('button', { name: 'Accept' })
        .click();
      await row.locator('[data-status="accepted"]').waitFor(STEP);
      assert.equal(await consumer.evaluate('window.vpcepNoReload'), 1);
      assert.equal(await row.getByText('127.30.0.81').count(), 1, 'the address shows once accepted');
    });

    test('an endpoint from a public service, then deleted after a confirmation', async () => {
      await consumer.getByRole('link', { name: 'Public services' }).click();
      await rowWith(consumer, PUBLIC_DNS).getByRole('link', { name: 'Connect' }).click();
      await consumer.getByRole('heading', { name: 'Create endpoint' }).waitFor(STEP);
      await waitUntil(
        () => consumer.getByLabel('Public service').inputValue(),
        (v) => v === PUBLIC_DNS,
        'the public service to be chosen',
      );
      assert.equal(await consumer.getByLabel('Service ID').inputValue(), PUBLIC_DNS);
      await consumer.getByLabel('VPC').selectOption({ label: 'vpc-c (127.30.0.0/16)' });
      await consumer.getByLabel('Subnet').selectOption({ label: 'sn-c (127.30.0.0/24)' });
      await consumer.getByRole('button', { name: 'Create endpoint' }).click();
      await consumer.getByRole('heading', { name: /^Endpoint / }).waitFor(STEP);
      const id = /#\/endpoints\/([^/]+)/.exec(consumer.url())?.[1] ?? '';
      assert.ok(id, consumer.url());
      assert.match(await consumer.locator('.facts').innerText(), new RegExp(PUBLIC_DNS));

      await consumer.getByRole('button', { name: 'Delete', exact: true }).click();
      const dialog = consumer.getByRole('dialog', { name: 'Delete endpoint' });
      await dialog.getByRole('button', { name: 'Delete endpoint' }).click();
      await consumer.getByRole('heading', { name: 'Endpoints', exact: true }).waitFor(STEP);
      // Loaded first: a list still loading shows no row, gone or not.
      await settle(consumer, 'endpoints');
      await consumer.getByRole('link', { name: id }).waitFor({ state: 'detached', ...STEP });
      await waitUntil(
        () =>
          server.consumer.sdk({ method: 'GET', url: `/v1/{project_id}/vpc-endpoints/${id}` }).then(
            () => 'still there',
            (err: unknown) => String(err),
          ),
        (v) => v !== 'still there',
        'the endpoint to be gone',
      );
    });

    test('service delete asks first: Cancel keeps it, Delete removes it', async () => {
      const victim = bulk[BULK - 1] as string;
      // A tab in the background acts slowly (its animation frames are throttled).
      await provider.bringToFront();
      await provider.goto(`${server.url}/console#/services/${victim}`);
      await provider.locator('h1 + .badge[data-status="available"]').waitFor(STEP);
      await provider.getByRole('button', { name: 'Delete', exact: true }).click();
      const dialog = provider.getByRole('dialog', { name: 'Delete endpoint service' });
      await dialog.getByText(`bulk-${BULK}`).waitFor(STEP);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden', ...STEP });
      await server.provider.sdk({ method: 'GET', url: `/v1/{project_id}/vpc-endpoint-services/${victim}` });

      await provider.getByRole('button', { name: 'Delete', exact: true }).click();
      await dialog.getByRole('button', { name: 'Delete service' }).click();
      await provider.getByRole('heading', { name: 'Endpoint services' }).waitFor(STEP);
      await settle(provider, 'services');
      // Its row may show it deleting first; the list's poll then drops it.
      await rowWith(provider, victim).waitFor({ state: 'detached', ...STEP });
      await waitUntil(
        () =>
          server.provider
            .sdk({ method: 'GET', url: `/v1/{project_id}/vpc-endpoint-services/${victim}` })
            .then(
              () => 'still there',
              (err: unknown) => String(err),
            ),
        (v) => /does not exist/.test(v),
        'the service to be gone',
      );
    });

    test('VPCs: create a VPC, a subnet and a port (its hostile name shown as text), then delete them', async () => {
      await consumer.bringToFront();
      const section = (id: string) => consumer.locator(`section[aria-labelledby="inv-${id}"]`);
      // With the VPCs' answer held back, the subnets wait for their VPCs' names (no raw
      // ids), while the ports, whose subnets have come, show.
      const vpcList = await holdRequests(consumer, (url) => url.pathname.endsWith('/vpcs'));
      try {
        const subnetsAnswered = consumer.waitForResponse((r) =>
          new URL(r.url()).pathname.endsWith('/subnets'),
        );
        await consumer.getByRole('link', { name: 'VPCs' }).click();
        await vpcList.requested;
        await subnetsAnswered;
        await section('ports').locator('tbody[aria-busy="false"] tr').first().waitFor(STEP);
        assert.equal(
          await section('subnets').locator('tbody[aria-busy="true"]').getByText('Loading…').count(),
          1,
        );
      } finally {
        await vpcList.release();
      }
      await rowWith(section('subnets'), 'vpc-c').first().waitFor(STEP);
      const create = async (button: string, fill: (dialog: Locator) => Promise<void>) => {
        await consumer.getByRole('button', { name: button }).click();
        const dialog = consumer.getByRole('dialog', { name: button });
        await fill(dialog);
        await dialog.getByRole('button', { name: 'Create', exact: true }).click();
        await dialog.waitFor({ state: 'hidden', ...STEP });
      };
      await create('Create VPC', async (d) => {
        await d.getByLabel('Name').fill('vpc-x');
        await d.getByLabel('CIDR').fill('127.50.0.0/16');
      });
      await rowWith(section('vpcs'), 'vpc-x').waitFor(STEP);
      await create('Create subnet', async (d) => {
        await d.getByLabel('VPC').selectOption({ label: 'vpc-x (127.50.0.0/16)' });
        await d.getByLabel('Name').fill('sn-x');
        await d.getByLabel('CIDR').fill('127.50.0.0/24');
      });
      await rowWith(section('subnets'), 'sn-x').waitFor(STEP);
      await create('Create port', async (d) => {
        await d.getByLabel('Subnet').selectOption({ label: 'sn-x (127.50.0.0/24)' });
        await d.getByLabel('IP address').fill('127.50.0.20');
        await d.getByLabel('Name').fill(HOSTILE);
      });
      const port = rowWith(section('ports'), '127.50.0.20');
      await port.waitFor(STEP);
      assert.equal(await port.locator('td').nth(1).innerText(), HOSTILE);
      assert.equal(await consumer.locator('main img').count(), 0, 'no element made of the name');
      assert.ok(!browser.requests.some((u) => /\/x(\?|$)/.test(u)), 'nothing loaded from the name');

      const remove = async (what: string) => {
        await consumer.getByRole('button', { name: `Delete ${what}` }).click();
        await consumer
          .getByRole('dialog', { name: `Delete ${what}` })
          .getByRole('button', { name: 'Delete', exact: true })
          .click();
        await consumer
          .getByRole('button', { name: `Delete ${what}` })
          .waitFor({ state: 'detached', ...STEP });
      };
      await remove('port 127.50.0.20');
      await remove('subnet sn-x');
      await remove('VPC vpc-x');
      const vpcs = (await server.consumer.sdk({ method: 'GET', url: '/v1/{project_id}/vpcs' })).vpcs as {
        name: string;
      }[];
      assert.deepEqual(vpcs.map((v) => v.name).sort(), ['vpc-c', 'vpc-c2']);
    });

    test('a narrow window: detail pages, forms and sign-in fit in 400 px', async () => {
      const pages: [Page, string][] = [
        [provider, `services/${serviceId}/connections`],
        [provider, `services/${serviceId}/whitelist`],
        [provider, `services/${serviceId}/tags`],
        [provider, `services/${serviceId}/edit`],
        [provider, 'services/new'],
        [consumer, `endpoints/${pendingId}`],
        [consumer, `endpoints/new?service=${serviceId}`],
      ];
      const signedOut = await browser.context.newPage();
      try {
        for (const page of [provider, consumer, signedOut])
          await page.setViewportSize({ width: 400, height: 800 });
        for (const [page, hash] of pages) {
          await page.bringToFront();
          await page.goto(`${server.url}/console#/${hash}`);
          await settle(page, hash.split('?')[0]);
          assert.equal(await overflowAt(page, 400), undefined, `#/${hash}`);
          if (hash === 'services/new') {
            // Straight from the edit form: a new page, not the edit form's state under a new title.
            assert.equal(await page.getByLabel('Description').inputValue(), '');
            assert.equal(await page.getByLabel('VPC').inputValue(), '');
          }
        }
        await consumer.bringToFront();
        await consumer.goto(`${server.url}/console#/network`);
        await settle(consumer, 'network');
        await consumer.getByRole('button', { name: 'Create port' }).click();
        await consumer.getByRole('dialog', { name: 'Create port' }).waitFor(STEP);
        assert.equal(await overflowAt(consumer, 400), undefined, 'the Create port dialog');
        await consumer.keyboard.press('Escape');
        await signedOut.bringToFront();
        await signedOut.goto(`${server.url}/console`);
        await signedOut.getByLabel('Account').waitFor(STEP);
        assert.equal(await overflowAt(signedOut, 400), undefined, 'the sign-in page');
      } finally {
        await signedOut.close();
        for (const page of [provider, consumer]) await page.setViewportSize({ width: 1280, height: 800 });
      }
    });

    test('the region / project picker signs in to another project of the region; requests follow it', async () => {
      await provider.bringToFront();
      await provider.goto(`${server.url}/console#/services`);
      await settle(provider, 'services');
      const picker = provider.getByLabel('Region / project');
      // The picker loads its projects on its own (it shows no "Loading…").
      const projects = await waitUntil(
        () => picker.locator('option').allInnerTexts(),
        (texts) => texts.length >= 2,
        "the picker's projects",
      );
      assert.deepEqual(projects, ['tr-west-1 / tr-west-1', 'tr-west-1 / tr-west-1_test']);
      const switchTo = async (label: string, id: string) => {
        await picker.selectOption({ label });
        const dialog = provider.getByRole('dialog', { name: `Switch to ${label}` });
        await dialog.getByLabel('Password').fill(server.provider.password);
        await dialog.getByRole('button', { name: 'Switch project' }).click();
        await dialog.waitFor({ state: 'hidden', ...STEP });
        await waitUntil(
          () => picker.inputValue(),
          (v) => v === id,
          `the picker to show ${label}`,
        );
      };
      const from = browser.requests.length;
      await switchTo('tr-west-1 / tr-west-1_test', SUB_PROJECT.id);
      await provider.getByText('No endpoint services yet').waitFor(STEP);
      const scoped = browser.requests
        .slice(from)
        .map((u) => /\/v1\/([0-9a-f]{32})\//.exec(u)?.[1])
        .filter((p) => p !== undefined);
      assert.ok(scoped.length > 0, 'the list was read again');
      assert.deepEqual([...new Set(scoped)], [SUB_PROJECT.id], 'every call names the new project');

      await switchTo('tr-west-1 / tr-west-1', server.provider.projectId);
      await provider.getByText(`bulk-1`, { exact: false }).first().waitFor(STEP);
    });

    test('no console error, page error, or request off the machine', () => {
      assert.deepEqual(
        withoutExpected(browser.problems, expected),
        [],
        `failed loads:\n${browser.failedLoads.join('\n')}`,
      );
    });
  });
}
