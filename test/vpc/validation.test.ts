// Every rule of the inventory, provoked over HTTP with signed SDK calls (or a
// token for bodies the SDK cannot send), checking status and catalog code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PortView, SubnetView, VpcView } from '../../src/vpc/schemas.ts';
import { testDialects } from '../support/db.ts';
import { sdkError, type SdkCall, type SdkResult } from '../support/sdk.ts';
import { passwordToken, startTestServer, type TestAccount, type TestServer } from '../support/server.ts';

let server: TestServer;

async function expectError(
  account: TestAccount,
  call: SdkCall,
  status: number,
  code: string,
  message?: RegExp,
): Promise<void> {
  const err = await sdkError(account.sdk(call));
  assert.equal(err.httpStatusCode, status, `${call.method} ${call.url}: ${err.errorCode} ${err.errorMsg}`);
  assert.equal(err.errorCode, code, err.errorMsg);
  assert.match(err.requestId ?? '', /^[0-9a-f]{32}$/);
  if (message) assert.match(err.errorMsg ?? '', message);
}

const field = <T>(result: SdkResult, key: string): T => result[key] as T;

let vpcCounter = 0;
async function createVpc(account: TestAccount, cidr: string, name = `v${++vpcCounter}`): Promise<VpcView> {
  const r = await account.sdk({
    method: 'POST',
    url: '/v1/{project_id}/vpcs',
    data: { vpc: { name, cidr } },
  });
  return field<VpcView>(r, 'vpc');
}

async function createSubnet(
  account: TestAccount,
  vpcId: string,
  cidr: string,
  extra: Record<string, unknown> = {},
): Promise<SubnetView> {
  const data = { subnet: { name: `s-${cidr.replace(/[./]/g, '-')}`, cidr, vpc_id: vpcId, ...extra } };
  return field<SubnetView>(
    await account.sdk({ method: 'POST', url: '/v1/{project_id}/subnets', data }),
    'subnet',
  );
}

async function createPort(account: TestAccount, port: Record<string, unknown>): Promise<PortView> {
  return field<PortView>(
    await account.sdk({ method: 'POST', url: '/v1/{project_id}/ports', data: { port } }),
    'port',
  );
}

const postVpc = (vpc: unknown): SdkCall => ({ method: 'POST', url: '/v1/{project_id}/vpcs', data: { vpc } });
const postSubnet = (subnet: unknown): SdkCall => ({
  method: 'POST',
  url: '/v1/{project_id}/subnets',
  data: { subnet },
});
const postPort = (port: unknown): SdkCall => ({
  method: 'POST',
  url: '/v1/{project_id}/ports',
  data: { port },
});

async function raw(account: TestAccount, method: string, path: string, body: string) {
  const res = await fetch(`${server.url}${path.replace('{project_id}', account.projectId)}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-auth-token': await passwordToken(server.url, account) },
    body,
  });
  return { status: res.status, body: (await res.json()) as { error_code?: string; request_id?: string } };
}

for (const dialect of testDialects()) {
  describe(`VPC API rules (${dialect})`, () => {
    before(async () => {
      server = await startTestServer({ dialect });
    });
    after(async () => server.close());

    describe('VPC CIDR rules', () => {
      for (const [cidr, code, why] of [
        ['10.0.0.0', 'VPC.0101', /a\.b\.c\.d\/n/],
        ['10.0.0.0/', 'VPC.0101', /a\.b\.c\.d\/n/],
        ['10.0.0.256/24', 'VPC.0101', /a\.b\.c\.d\/n/],
        ['010.0.0.0/8', 'VPC.0101', /a\.b\.c\.d\/n/],
        ['10.1.0.1/16', 'VPC.0101', /host bits.*10\.1\.0\.0\/16/],
        ['10.0.0.0/7', 'VPC.0101', /\/8 to \/29/],
        ['10.0.0.0/30', 'VPC.0101', /\/8 to \/29/],
        ['8.8.0.0/16', 'VPC.0101', /must lie inside/],
        ['172.0.0.0/8', 'VPC.0101', /must lie inside/],
        ['198.19.128.0/20', 'VPC.0102', /reserved range 198\.19\.128\.0\/17/],
        ['198.19.0.0/16', 'VPC.0102', /reserved/],
      ] as const) {
        test(`refuses ${cidr} with ${code}`, async () => {
          await expectError(server.provider, postVpc({ name: 'bad', cidr }), 400, code, why);
        });
      }

      test('accepts the private ranges and loopback at the allowed prefixes', async () => {
        for (const cidr of [
          '10.0.0.0/8',
          '172.16.0.0/12',
          '192.168.0.0/16',
          '127.0.0.0/8',
          '127.0.10.0/29',
        ]) {
          const vpc = await createVpc(server.provider, cidr);
          assert.equal(vpc.cidr, cidr);
        }
      });

      test('refuses a second VPC with the same name in the project (409 VPC.0003)', async () => {
        await createVpc(server.provider, '10.0.0.0/16', 'twin');
        await expectError(server.provider, postVpc({ name: 'twin', cidr: '10.1.0.0/16' }), 409, 'VPC.0003');
        // The name is per project: the consumer may use it too.
        assert.equal((await createVpc(server.consumer, '10.0.0.0/16', 'twin')).name, 'twin');
      });

      test('refuses a new VPC CIDR that would leave a subnet outside (VPC.0201)', async () => {
        const vpc = await createVpc(server.provider, '10.20.0.0/16');
        await createSubnet(server.provider, vpc.id, '10.20.200.0/24');
        const put = (cidr: string): SdkCall => ({
          method: 'PUT',
          url: `/v1/{project_id}/vpcs/${vpc.id}`,
          data: { vpc: { cidr } },
        });
        await expectError(server.provider, put('10.20.0.0/17'), 400, 'VPC.0201', /10\.20\.200\.0\/24/);
        await expectError(server.provider, put('198.19.128.0/24'), 400, 'VPC.0102');
        const grown = field<VpcView>(await server.provider.sdk(put('10.20.0.0/15')), 'vpc');
        assert.equal(grown.cidr, '10.20.0.0/15');
      });
    });

    describe('subnet rules', () => {
      let vpc: VpcView;
      before(async () => {
        vpc = await createVpc(server.provider, '10.30.0.0/16');
        await createSubnet(server.provider, vpc.id, '10.30.1.0/24');
      });

      test('a subnet must lie inside its VPC (VPC.0201)', async () => {
        const call = postSubnet({ name: 'out', cidr: '10.31.0.0/24', vpc_id: vpc.id });
        await expectError(server.provider, call, 400, 'VPC.0201', /10\.30\.0\.0\/16/);
      });

      test('a subnet as large as its VPC is allowed only when it overlaps nothing', async () => {
        const call = postSubnet({ name: 'all', cidr: '10.30.0.0/16', vpc_id: vpc.id });
        await expectError(server.provider, call, 400, 'VPC.0102');
      });

      test('subnets of one VPC must not overlap (VPC.0102)', async () => {
        for (const cidr of ['10.30.1.0/24', '10.30.1.128/25', '10.30.0.0/23']) {
          await expectError(
            server.provider,
            postSubnet({ name: 'dup', cidr, vpc_id: vpc.id }),
            400,
            'VPC.0102',
            /overlaps subnet/,
          );
        }
      });

      test('subnet CIDRs follow the network rules (VPC.0101)', async () => {
        for (const cidr of ['10.30.2.0/30', '10.30.2.1/24', 'ten']) {
          await expectError(
            server.provider,
            postSubnet({ name: 'bad', cidr, vpc_id: vpc.id }),
            400,
            'VPC.0101',
          );
        }
      });

      test('the gateway must be a host address of the subnet (VPC.0202)', async () => {
        for (const gateway_ip of ['10.30.9.1', '10.30.3.0', '10.30.3.255']) {
          const call = postSubnet({ name: 'gw', cidr: '10.30.3.0/24', vpc_id: vpc.id, gateway_ip });
          await expectError(server.provider, call, 400, 'VPC.0202', /host address of 10\.30\.3\.0\/24/);
        }
      });

      test('a chosen gateway is kept and skipped when addresses are allocated', async () => {
        const subnet = await createSubnet(server.provider, vpc.id, '10.30.4.0/24', {
          gateway_ip: '10.30.4.2',
        });
        assert.equal(subnet.gateway_ip, '10.30.4.2');
        const first = await createPort(server.provider, { network_id: subnet.id });
        const second = await createPort(server.provider, { network_id: subnet.id });
        assert.equal(first.fixed_ips[0]?.ip_address, '10.30.4.1');
        assert.equal(second.fixed_ips[0]?.ip_address, '10.30.4.3');
      });

      test('an unknown VPC is 404 VPC.0005', async () => {
        const call = postSubnet({
          name: 'x',
          cidr: '10.30.5.0/24',
          vpc_id: '6b1f4c2e-0000-4000-8000-000000000000',
        });
        await expectError(server.provider, call, 404, 'VPC.0005');
      });

      test('secondary_dns needs primary_dns, and dnsList must agree with them (VPC.0002)', async () => {
        const base = { name: 'dns', cidr: '10.30.6.0/24', vpc_id: vpc.id };
        await expectError(
          server.provider,
          postSubnet({ ...base, secondary_dns: '1.1.1.1' }),
          400,
          'VPC.0002',
        );
        const clash = { ...base, primary_dns: '1.1.1.1', dnsList: ['8.8.8.8'] };
        await expectError(server.provider, postSubnet(clash), 400, 'VPC.0002');
        const ok = await createSubnet(server.provider, vpc.id, '10.30.6.0/24', {
          dnsList: ['1.1.1.1', '8.8.8.8'],
        });
        assert.equal(ok.primary_dns, '1.1.1.1');
        assert.equal(ok.secondary_dns, '8.8.8.8');
      });

      test('a subnet update changes name and DNS and answers {id, status}', async () => {
        const subnet = await createSubnet(server.provider, vpc.id, '10.30.7.0/24');
        const r = await server.provider.sdk({
          method: 'PUT',
          url: `/v1/{project_id}/vpcs/${vpc.id}/subnets/${subnet.id}`,
          data: { subnet: { name: 'renamed', primary_dns: '9.9.9.9', dhcp_enable: false } },
        });
        assert.deepEqual(r.subnet, { id: subnet.id, status: 'ACTIVE' });
        const shown = field<SubnetView>(
          await server.provider.sdk({ method: 'GET', url: `/v1/{project_id}/subnets/${subnet.id}` }),
          'subnet',
        );
        assert.equal(shown.name, 'renamed');
        assert.equal(shown.primary_dns, '9.9.9.9');
        assert.equal(shown.dhcp_enable, false);
        assert.equal(shown.cidr, '10.30.7.0/24');
      });
    });

    describe('port rules', () => {
      let subnet: SubnetView;
      before(async () => {
        const vpc = await createVpc(server.provider, '192.168.0.0/16');
        subnet = await createSubnet(server.provider, vpc.id, '192.168.10.0/24');
        await createPort(server.provider, {
          network_id: subnet.id,
          fixed_ips: [{ ip_address: '192.168.10.50' }],
        });
      });

      const withIp = (ip_address: string) => postPort({ network_id: subnet.id, fixed_ips: [{ ip_address }] });

      test('an address outside the subnet is VPC.0301', async () => {
        await expectError(server.provider, withIp('192.168.11.5'), 400, 'VPC.0301', /not inside the subnet/);
      });

      test('network and broadcast addresses are VPC.0301', async () => {
        await expectError(server.provider, withIp('192.168.10.0'), 400, 'VPC.0301', /network or broadcast/);
        await expectError(server.provider, withIp('192.168.10.255'), 400, 'VPC.0301', /network or broadcast/);
      });

      test('the gateway and a used address are VPC.0302', async () => {
        await expectError(server.provider, withIp('192.168.10.1'), 400, 'VPC.0302', /gateway/);
        await expectError(server.provider, withIp('192.168.10.50'), 400, 'VPC.0302', /already used/);
      });

      test('fixed_ips[].subnet_id must name the port network', async () => {
        const call = postPort({
          network_id: subnet.id,
          fixed_ips: [{ subnet_id: '6b1f4c2e-0000-4000-8000-000000000000' }],
        });
        await expectError(server.provider, call, 400, 'VPC.0002');
        // Either the neutron subnet id or the subnet id itself is accepted.
        const byNeutronId = await createPort(server.provider, {
          network_id: subnet.id,
          fixed_ips: [{ subnet_id: subnet.neutron_subnet_id, ip_address: '192.168.10.60' }],
        });
        assert.equal(byNeutronId.fixed_ips[0]?.subnet_id, subnet.neutron_subnet_id);
      });

      test('an unknown network is 404 VPC.0005', async () => {
        await expectError(server.provider, postPort({ network_id: 'no-such-network' }), 404, 'VPC.0005');
      });

      test('a full subnet is 409 VPC.0303', async () => {
        const vpc = await createVpc(server.provider, '172.20.0.0/16');
        const tiny = await createSubnet(server.provider, vpc.id, '172.20.0.0/29');
        const ips: string[] = [];
        // 8 addresses minus network, broadcast and gateway leave 5 for ports.
        for (let i = 0; i < 5; i++)
          ips.push(
            (await createPort(server.provider, { network_id: tiny.id })).fixed_ips[0]?.ip_address ?? '',
          );
        assert.deepEqual(ips, ['172.20.0.2', '172.20.0.3', '172.20.0.4', '172.20.0.5', '172.20.0.6']);
        await expectError(server.provider, postPort({ network_id: tiny.id }), 409, 'VPC.0303');
      });

      test('a port without a device owner is DOWN', async () => {
        const port = await createPort(server.provider, { network_id: subnet.id, name: 'spare' });
        assert.equal(port.status, 'DOWN');
        assert.equal(port.device_owner, '');
      });

      test('an unknown fixed_ips filter is VPC.0002', async () => {
        const call: SdkCall = {
          method: 'GET',
          url: '/v1/{project_id}/ports',
          queryParams: { fixed_ips: 'mac=1' },
        };
        await expectError(server.provider, call, 400, 'VPC.0002');
      });
    });

    describe('deletion order', () => {
      test('a VPC with subnets and a subnet with ports are in use (409 VPC.0401)', async () => {
        const vpc = await createVpc(server.provider, '10.40.0.0/16');
        const subnet = await createSubnet(server.provider, vpc.id, '10.40.1.0/24');
        const port = await createPort(server.provider, { network_id: subnet.id });
        const delVpc: SdkCall = { method: 'DELETE', url: `/v1/{project_id}/vpcs/${vpc.id}` };
        const delSubnet: SdkCall = {
          method: 'DELETE',
          url: `/v1/{project_id}/vpcs/${vpc.id}/subnets/${subnet.id}`,
        };
        await expectError(server.provider, delVpc, 409, 'VPC.0401', /subnet/);
        await expectError(server.provider, delSubnet, 409, 'VPC.0401', /port/);
        await server.provider.sdk({ method: 'DELETE', url: `/v1/{project_id}/ports/${port.id}` });
        await server.provider.sdk(delSubnet);
        await server.provider.sdk(delVpc);
        await expectError(
          server.provider,
          { method: 'GET', url: `/v1/{project_id}/vpcs/${vpc.id}` },
          404,
          'VPC.0005',
        );
      });

      test('a subnet addressed through another VPC is 404', async () => {
        const a = await createVpc(server.provider, '10.41.0.0/16');
        const b = await createVpc(server.provider, '10.42.0.0/16');
        const subnet = await createSubnet(server.provider, a.id, '10.41.1.0/24');
        const call: SdkCall = { method: 'DELETE', url: `/v1/{project_id}/vpcs/${b.id}/subnets/${subnet.id}` };
        await expectError(server.provider, call, 404, 'VPC.0005');
      });
    });

    describe('tenancy', () => {
      let vpc: VpcView;
      let subnet: SubnetView;
      let port: PortView;
      before(async () => {
        vpc = await createVpc(server.provider, '10.50.0.0/16', 'private-to-provider');
        subnet = await createSubnet(server.provider, vpc.id, '10.50.1.0/24');
        port = await createPort(server.provider, { network_id: subnet.id });
      });

      test("the consumer can neither see nor touch the provider's resources (404 VPC.0005)", async () => {
        const c = server.consumer;
        await expectError(c, { method: 'GET', url: `/v1/{project_id}/vpcs/${vpc.id}` }, 404, 'VPC.0005');
        await expectError(c, { method: 'DELETE', url: `/v1/{project_id}/vpcs/${vpc.id}` }, 404, 'VPC.0005');
        const put: SdkCall = {
          method: 'PUT',
          url: `/v1/{project_id}/vpcs/${vpc.id}`,
          data: { vpc: { name: 'mine' } },
        };
        await expectError(c, put, 404, 'VPC.0005');
        await expectError(
          c,
          { method: 'GET', url: `/v1/{project_id}/subnets/${subnet.id}` },
          404,
          'VPC.0005',
        );
        await expectError(c, { method: 'GET', url: `/v1/{project_id}/ports/${port.id}` }, 404, 'VPC.0005');
        await expectError(c, { method: 'DELETE', url: `/v1/{project_id}/ports/${port.id}` }, 404, 'VPC.0005');
        await expectError(
          c,
          postSubnet({ name: 'x', cidr: '10.50.2.0/24', vpc_id: vpc.id }),
          404,
          'VPC.0005',
        );
        await expectError(c, postPort({ network_id: subnet.id }), 404, 'VPC.0005');

        const lists = await Promise.all(
          ['vpcs', 'subnets', 'ports', 'routetables'].map((r) =>
            c.sdk({ method: 'GET', url: `/v1/{project_id}/${r}` }),
          ),
        );
        const ids = lists.flatMap((l, i) =>
          field<{ id: string }[]>(l, ['vpcs', 'subnets', 'ports', 'routetables'][i] ?? ''),
        );
        for (const id of [vpc.id, subnet.id, port.id])
          assert.ok(!ids.some((x) => x.id === id), `${id} leaked`);
        const filtered = await c.sdk({
          method: 'GET',
          url: '/v1/{project_id}/subnets',
          queryParams: { vpc_id: vpc.id },
        });
        assert.deepEqual(filtered.subnets, []);
        // The provider still sees everything.
        const own = await server.provider.sdk({ method: 'GET', url: `/v1/{project_id}/vpcs/${vpc.id}` });
        assert.equal(field<VpcView>(own, 'vpc').name, 'private-to-provider');
      });

      test("the consumer cannot act in the provider's project", async () => {
        const err = await sdkError(
          server.consumer.sdk({
            method: 'GET',
            url: '/v1/{project_id}/vpcs',
            pathParams: { project_id: server.provider.projectId },
          }),
        );
        assert.equal(err.httpStatusCode, 403);
      });
    });

    describe('paging', () => {
      test('limit and marker walk the VPC list in creation order', async () => {
        const all = field<VpcView[]>(
          await server.provider.sdk({ method: 'GET', url: '/v1/{project_id}/vpcs' }),
          'vpcs',
        );
        assert.ok(all.length >= 3);
        const walked: string[] = [];
        let marker: string | undefined;
        for (;;) {
          const queryParams: Record<string, unknown> = { limit: 2, ...(marker ? { marker } : {}) };
          const page = field<VpcView[]>(
            await server.provider.sdk({ method: 'GET', url: '/v1/{project_id}/vpcs', queryParams }),
            'vpcs',
          );
          assert.ok(page.length <= 2);
          if (page.length === 0) break;
          walked.push(...page.map((v) => v.id));
          marker = page[page.length - 1]?.id;
        }
        assert.deepEqual(
          walked,
          all.map((v) => v.id),
        );
      });

      test('an unknown marker is VPC.0002 and a negative limit is refused', async () => {
        const marker: SdkCall = {
          method: 'GET',
          url: '/v1/{project_id}/vpcs',
          queryParams: { marker: 'nope' },
        };
        await expectError(server.provider, marker, 400, 'VPC.0002', /marker/);
        const limit: SdkCall = { method: 'GET', url: '/v1/{project_id}/subnets', queryParams: { limit: -1 } };
        await expectError(server.provider, limit, 400, 'EndPoint.0006');
      });
    });

    describe('malformed requests', () => {
      test('unknown fields at any level are 400 EndPoint.0002', async () => {
        await expectError(
          server.provider,
          postVpc({ cidr: '10.0.0.0/16', tags: ['a*b'] }),
          400,
          'EndPoint.0002',
          /tags/,
        );
        const extraTop: SdkCall = {
          method: 'POST',
          url: '/v1/{project_id}/vpcs',
          data: { vpc: { cidr: '10.0.0.0/16' }, x: 1 },
        };
        await expectError(server.provider, extraTop, 400, 'EndPoint.0002', /'x'/);
        await expectError(
          server.provider,
          postPort({ network_id: 'n', security_groups: [] }),
          400,
          'EndPoint.0002',
        );
      });

      test('wrong types and bad formats are 400 EndPoint.0002', async () => {
        await expectError(server.provider, postVpc({ cidr: 10 }), 400, 'EndPoint.0002');
        await expectError(
          server.provider,
          postVpc({ cidr: '10.0.0.0/16', name: 'bad name!' }),
          400,
          'EndPoint.0002',
        );
        await expectError(
          server.provider,
          postVpc({ cidr: '10.0.0.0/16', description: '<script>' }),
          400,
          'EndPoint.0002',
        );
        const badIp = postPort({ network_id: 'n', fixed_ips: [{ ip_address: '10.0.0.300' }] });
        await expectError(server.provider, badIp, 400, 'EndPoint.0002');
        await expectError(
          server.provider,
          postSubnet({ name: 'x', cidr: '10.0.0.0/24' }),
          400,
          'EndPoint.0002',
          /vpc_id/,
        );
        const flag = postSubnet({ name: 'x', cidr: '10.0.0.0/24', vpc_id: 'v', dhcp_enable: 'yes' });
        await expectError(server.provider, flag, 400, 'EndPoint.0002');
      });

      test('broken JSON and a missing wrapper are 400 EndPoint.0002', async () => {
        const broken = await raw(server.provider, 'POST', '/v1/{project_id}/vpcs', '{"vpc": {"cidr": ');
        assert.equal(broken.status, 400);
        assert.equal(broken.body.error_code, 'EndPoint.0002');
        assert.match(broken.body.request_id ?? '', /^[0-9a-f]{32}$/);
        const bare = await raw(server.provider, 'POST', '/v1/{project_id}/vpcs', '{"cidr": "10.0.0.0/16"}');
        assert.equal(bare.status, 400);
        assert.equal(bare.body.error_code, 'EndPoint.0002');
        const array = await raw(server.provider, 'POST', '/v1/{project_id}/ports', '[]');
        assert.equal(array.status, 400);
      });
    });
  });
}
