// VPCs declared in the configuration appear through the API, survive restarts
// without duplicates, follow edits of the file, and leave API-made resources alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config } from '../../src/config/schema.ts';
import { startServer, type Running } from '../../src/main.ts';
import type { PortView, RouteTableListItem, SubnetView, VpcView } from '../../src/vpc/schemas.ts';
import { sdkClient, type SdkResult } from '../support/sdk.ts';
import { testDialects } from '../support/db.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

type AccountExtras = Partial<Config['accounts'][number]>;

const SECOND_VPC_ID = 'a1b2c3d4-0000-4000-8000-00000000aa01';
const DB_SUBNET_ID = 'a1b2c3d4-0000-4000-8000-00000000bb01';
const VIP_PORT_ID = 'a1b2c3d4-0000-4000-8000-00000000cc01';

const providerVpcs: AccountExtras['vpcs'] = [
  {
    name: 'seeded',
    cidr: '127.10.0.0/16',
    subnets: [
      {
        name: 'app',
        cidr: '127.10.1.0/24',
        ports: [
          { ip: '127.10.1.10', name: 'backend', device_owner: 'compute:az1' },
          { id: VIP_PORT_ID, ip: '127.10.1.20', device_owner: 'neutron:LOADBALANCERV2' },
        ],
      },
      { id: DB_SUBNET_ID, name: 'db', cidr: '127.10.2.0/24', gateway_ip: '127.10.2.254' },
    ],
  },
  { id: SECOND_VPC_ID, name: 'second', cidr: '10.9.0.0/16' },
];

const consumerVpcs: AccountExtras['vpcs'] = [{ name: 'consumer-net', cidr: '192.168.0.0/16' }];

type Call = (c: Parameters<ReturnType<typeof sdkClient>>[0]) => Promise<SdkResult>;

async function inventory(call: Call) {
  const get = async <T>(path: string, key: string) =>
    (await call({ method: 'GET', url: `/v1/{project_id}/${path}` }))[key] as T;
  return {
    vpcs: await get<VpcView[]>('vpcs', 'vpcs'),
    subnets: await get<SubnetView[]>('subnets', 'subnets'),
    ports: await get<PortView[]>('ports', 'ports'),
    routetables: await get<RouteTableListItem[]>('routetables', 'routetables'),
  };
}

function withVpcs(config: Config, provider: AccountExtras['vpcs']): Config {
  return {
    ...config,
    accounts: config.accounts.map((a) => (a.name === 'provider' ? { ...a, vpcs: provider } : a)),
  };
}

for (const dialect of testDialects()) {
  describe(`VPCs declared in the configuration (${dialect})`, () => {
    let server: TestServer;
    let restarted: Running | undefined;
    let providerCall: Call;
    let apiSubnetId: string;
    let apiPortId: string;

    const restart = async (config: Config): Promise<Call> => {
      await restarted?.close();
      restarted = undefined;
      restarted = await startServer(config);
      const { ak, sk, projectId } = server.provider;
      return sdkClient(restarted.url, { ak, sk, projectId });
    };

    before(async () => {
      server = await startTestServer({
        dialect,
        accountExtras: { provider: { vpcs: providerVpcs }, consumer: { vpcs: consumerVpcs } },
      });
      providerCall = server.provider.sdk;
    });
    after(async () => {
      await restarted?.close();
      await server.close();
    });

    test('the declared VPCs, subnets and ports are served with their declared ids and addresses', async () => {
      const inv = await inventory(providerCall);
      const names = inv.vpcs.map((v) => v.name).sort();
      assert.deepEqual(names, ['second', 'seeded']);
      const seeded = inv.vpcs.find((v) => v.name === 'seeded');
      assert.equal(seeded?.cidr, '127.10.0.0/16');
      assert.equal(inv.vpcs.find((v) => v.name === 'second')?.id, SECOND_VPC_ID);

      const app = inv.subnets.find((s) => s.name === 'app');
      const db = inv.subnets.find((s) => s.name === 'db');
      assert.equal(app?.gateway_ip, '127.10.1.1');
      assert.equal(db?.id, DB_SUBNET_ID);
      assert.equal(db?.gateway_ip, '127.10.2.254');
      assert.equal(app?.vpc_id, seeded?.id);

      const byIp = new Map(inv.ports.map((p) => [p.fixed_ips[0]?.ip_address, p]));
      assert.equal(byIp.get('127.10.1.10')?.name, 'backend');
      assert.equal(byIp.get('127.10.1.10')?.device_owner, 'compute:az1');
      assert.equal(byIp.get('127.10.1.10')?.status, 'ACTIVE');
      assert.equal(byIp.get('127.10.1.20')?.id, VIP_PORT_ID);
      assert.equal(byIp.get('127.10.1.20')?.network_id, app?.id);

      // Every declared VPC has its default route table.
      assert.deepEqual(inv.routetables.map((t) => t.vpc_id).sort(), inv.vpcs.map((v) => v.id).sort());
      assert.ok(inv.routetables.every((t) => t.default));

      const consumer = await inventory(server.consumer.sdk);
      assert.deepEqual(
        consumer.vpcs.map((v) => v.name),
        ['consumer-net'],
      );
    });

    test('resources added through the API next to declared ones are allowed', async () => {
      const app = (await inventory(providerCall)).subnets.find((s) => s.name === 'app');
      assert.ok(app);
      const port = await providerCall({
        method: 'POST',
        url: '/v1/{project_id}/ports',
        data: { port: { network_id: app.id } },
      });
      apiPortId = (port.port as PortView).id;
      // .1 is the gateway and .10/.20 are declared, so the API's port takes .2.
      assert.equal((port.port as PortView).fixed_ips[0]?.ip_address, '127.10.1.2');
      const seeded = (await inventory(providerCall)).vpcs.find((v) => v.name === 'seeded');
      const subnet = await providerCall({
        method: 'POST',
        url: '/v1/{project_id}/subnets',
        data: { subnet: { name: 'extra', cidr: '127.10.3.0/24', vpc_id: seeded?.id } },
      });
      apiSubnetId = (subnet.subnet as SubnetView).id;
    });

    test('a restart with the same configuration changes and duplicates nothing', async () => {
      const before = await inventory(providerCall);
      await server.running.close();
      providerCall = await restart(server.config);
      const afterRestart = await inventory(providerCall);
      assert.deepEqual(afterRestart, before);
      assert.ok(afterRestart.ports.some((p) => p.id === apiPortId));
      assert.ok(afterRestart.subnets.some((s) => s.id === apiSubnetId));
    });

    test('an edited configuration updates the declared resources in place', async () => {
      const before = await inventory(providerCall);
      const edited = structuredClone(providerVpcs) ?? [];
      const seededCfg = edited[0];
      const appCfg = seededCfg?.subnets?.[0];
      assert.ok(seededCfg && appCfg?.ports);
      seededCfg.cidr = '127.10.0.0/15';
      appCfg.ports[0] = { ip: '127.10.1.10', name: 'backend-renamed', device_owner: 'compute:az1' };
      appCfg.ports[1] = { id: VIP_PORT_ID, ip: '127.10.1.30', device_owner: 'neutron:LOADBALANCERV2' };
      appCfg.ports.push({ ip: '127.10.1.40' });
      providerCall = await restart(withVpcs(server.config, edited));

      const inv = await inventory(providerCall);
      assert.deepEqual(
        inv.vpcs.map((v) => v.id),
        before.vpcs.map((v) => v.id),
      );
      assert.equal(inv.vpcs.find((v) => v.name === 'seeded')?.cidr, '127.10.0.0/15');
      const byIp = new Map(inv.ports.map((p) => [p.fixed_ips[0]?.ip_address, p]));
      assert.equal(byIp.get('127.10.1.10')?.name, 'backend-renamed');
      assert.equal(byIp.get('127.10.1.30')?.id, VIP_PORT_ID, 'the VIP moved, keeping its id');
      assert.equal(byIp.get('127.10.1.20'), undefined);
      assert.equal(byIp.get('127.10.1.40')?.status, 'DOWN');
      assert.equal(inv.ports.length, before.ports.length + 1);
      assert.ok(
        inv.ports.some((p) => p.id === apiPortId),
        'the API-made port is untouched',
      );
    });

    test('a declaration breaking a rule stops the start, names the culprit and changes nothing', async () => {
      await restarted?.close();
      restarted = undefined;
      const broken = structuredClone(providerVpcs) ?? [];
      broken[0]?.subnets?.[0]?.ports?.push({ ip: '127.10.1.1', name: 'on-the-gateway' });
      broken.push({ name: 'fresh', cidr: '10.77.0.0/16' });
      await assert.rejects(
        startServer(withVpcs(server.config, broken)),
        /vpc 'seeded' subnet 'app' port 127\.10\.1\.1: .*gateway/,
      );
      const outside = structuredClone(providerVpcs) ?? [];
      outside[0]?.subnets?.push({ name: 'outside', cidr: '10.1.0.0/24' });
      await assert.rejects(
        startServer(withVpcs(server.config, outside)),
        /subnet 'outside'.*not inside the VPC CIDR/,
      );
      const reserved = [{ name: 'reserved', cidr: '198.19.128.0/24' }];
      await assert.rejects(startServer(withVpcs(server.config, reserved)), /reserved range/);

      // The failed starts rolled back: the last good state is still there.
      providerCall = await restart(server.config);
      const names = (await inventory(providerCall)).vpcs.map((v) => v.name).sort();
      assert.deepEqual(names, ['second', 'seeded']);
    });
  });
}
