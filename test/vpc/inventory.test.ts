// The look-ups and port helpers the VPCEP module builds on, called inside
// transactions of the running server's store, plus concurrent API writers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../src/context/clock.ts';
import { ApiError } from '../../src/errors/api-error.ts';
import { mustParseCidr, overlaps } from '../../src/vpc/cidr.ts';
import {
  allocateAddress,
  checkAddress,
  createPort,
  defaultRouteTable,
  deletePort,
  findPortByIp,
  getPort,
  getSubnet,
  getVpc,
  subnetContains,
  type SubnetRow,
} from '../../src/vpc/inventory.ts';
import type { PortView, SubnetView } from '../../src/vpc/schemas.ts';
import { testDialects } from '../support/db.ts';
import { sdkError } from '../support/sdk.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const VPC_ID = 'c0ffee00-0000-4000-8000-000000000001';
const SUBNET_ID = 'c0ffee00-0000-4000-8000-000000000002';

for (const dialect of testDialects()) {
  describe(`inventory functions for other modules (${dialect})`, () => {
    let server: TestServer;
    let provider: string;
    let consumer: string;
    let subnet: SubnetRow;

    before(async () => {
      server = await startTestServer({
        dialect,
        accountExtras: {
          provider: {
            vpcs: [
              {
                id: VPC_ID,
                name: 'svc',
                cidr: '127.20.0.0/16',
                subnets: [
                  {
                    id: SUBNET_ID,
                    name: 'svc',
                    cidr: '127.20.1.0/28',
                    ports: [{ ip: '127.20.1.2', name: 'taken' }],
                  },
                ],
              },
            ],
          },
        },
      });
      provider = server.provider.projectId;
      consumer = server.consumer.projectId;
      const found = await getSubnet(server.running.store.db, provider, SUBNET_ID);
      assert.ok(found);
      subnet = found;
    });
    after(async () => server.close());

    test('look-ups are scoped to the project', async () => {
      const db = server.running.store.db;
      assert.equal((await getVpc(db, provider, VPC_ID))?.cidr, '127.20.0.0/16');
      assert.equal(await getVpc(db, consumer, VPC_ID), undefined);
      assert.equal(await getVpc(db, { projectId: consumer }, VPC_ID), undefined);
      assert.equal((await getSubnet(db, provider, subnet.neutron_subnet_id))?.id, SUBNET_ID);
      assert.equal(await getSubnet(db, consumer, SUBNET_ID), undefined);
      const table = await defaultRouteTable(db, provider, VPC_ID);
      assert.equal(table?.is_default, 1);
      assert.equal(table?.vpc_id, VPC_ID);
      assert.equal(await defaultRouteTable(db, consumer, VPC_ID), undefined);
      const port = await findPortByIp(db, provider, VPC_ID, '127.20.1.2');
      assert.equal(port?.name, 'taken');
      assert.equal((await getPort(db, provider, port?.id ?? ''))?.ip_address, '127.20.1.2');
      assert.equal(await findPortByIp(db, consumer, VPC_ID, '127.20.1.2'), undefined);
      assert.equal(await findPortByIp(db, provider, VPC_ID, '127.20.1.3'), undefined);
    });

    test('address checks name the reason an address cannot be used', async () => {
      const db = server.running.store.db;
      assert.equal(await checkAddress(db, subnet, '127.20.1.3'), undefined);
      assert.equal(await checkAddress(db, subnet, '127.20.1.2'), 'in-use');
      assert.equal(await checkAddress(db, subnet, '127.20.1.1'), 'gateway');
      assert.equal(await checkAddress(db, subnet, '127.20.1.0'), 'not-host');
      assert.equal(await checkAddress(db, subnet, '127.20.1.15'), 'not-host');
      assert.equal(await checkAddress(db, subnet, '127.20.1.16'), 'outside');
      assert.equal(await checkAddress(db, subnet, 'x'), 'invalid');
      assert.equal(await allocateAddress(db, subnet), '127.20.1.3');
      assert.equal(subnetContains(subnet, '127.20.1.15'), true);
      assert.equal(subnetContains(subnet, '127.20.1.16'), false);
    });

    test('a port created in a rolled-back transaction does not exist; a committed one does', async () => {
      const db = server.running.store.db;
      const aborted = new Error('abort');
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          const port = await createPort(trx, systemClock, provider, SUBNET_ID, {
            deviceOwner: 'network:endpoint',
          });
          assert.equal(port.ip_address, '127.20.1.3');
          throw aborted;
        }),
        (err) => err === aborted,
      );
      assert.equal(await findPortByIp(db, provider, VPC_ID, '127.20.1.3'), undefined);

      const port = await db
        .transaction()
        .execute((trx) =>
          createPort(trx, systemClock, provider, SUBNET_ID, { name: 'ep', deviceOwner: 'network:endpoint' }),
        );
      assert.equal(port.ip_address, '127.20.1.3');
      assert.equal(port.status, 'ACTIVE');
      const shown = await server.provider.sdk({ method: 'GET', url: `/v1/{project_id}/ports/${port.id}` });
      assert.equal((shown.port as PortView).name, 'ep');
      assert.equal(await deletePort(db, provider, port.id), true);
      assert.equal(await deletePort(db, provider, port.id), false);
    });

    test('createPort refuses what the API refuses, with the catalog codes', async () => {
      const db = server.running.store.db;
      const code = async (p: Promise<unknown>) => {
        try {
          await p;
        } catch (err) {
          return err instanceof ApiError ? err.code : String(err);
        }
        return 'no error';
      };
      assert.equal(
        await code(
          createPort(db, systemClock, provider, SUBNET_ID, { ipAddress: '127.20.1.2', deviceOwner: '' }),
        ),
        'VPC.0302',
      );
      assert.equal(
        await code(
          createPort(db, systemClock, provider, SUBNET_ID, { ipAddress: '127.20.9.9', deviceOwner: '' }),
        ),
        'VPC.0301',
      );
      assert.equal(
        await code(createPort(db, systemClock, consumer, SUBNET_ID, { deviceOwner: '' })),
        'VPC.0005',
      );
    });

    test('concurrent API writers get distinct addresses and never overlapping subnets', async () => {
      const sdk = server.provider.sdk;
      const vpc = await sdk({
        method: 'POST',
        url: '/v1/{project_id}/vpcs',
        data: { vpc: { name: 'race', cidr: '10.60.0.0/16' } },
      });
      const vpcId = (vpc.vpc as { id: string }).id;
      const subnet = await sdk({
        method: 'POST',
        url: '/v1/{project_id}/subnets',
        data: { subnet: { name: 'race', cidr: '10.60.0.0/24', vpc_id: vpcId } },
      });
      const networkId = (subnet.subnet as SubnetView).id;
      const ports = await Promise.all(
        Array.from({ length: 12 }, () =>
          sdk({ method: 'POST', url: '/v1/{project_id}/ports', data: { port: { network_id: networkId } } }),
        ),
      );
      const ips = ports.map((p) => (p.port as PortView).fixed_ips[0]?.ip_address);
      assert.equal(new Set(ips).size, 12, `duplicate addresses: ${ips.join(',')}`);

      const attempts = await Promise.allSettled(
        ['10.60.1.0/24', '10.60.1.0/25', '10.60.1.128/25', '10.60.0.0/23'].map((cidr) =>
          sdk({
            method: 'POST',
            url: '/v1/{project_id}/subnets',
            data: { subnet: { name: 'r', cidr, vpc_id: vpcId } },
          }),
        ),
      );
      const created = attempts
        .filter((a) => a.status === 'fulfilled')
        .map((a) => (a.value.subnet as SubnetView).cidr);
      // Whatever won the race, the survivors must be pairwise disjoint.
      assert.ok(created.length >= 1);
      const blocks = created.map((c) => mustParseCidr(c));
      blocks.forEach((a, i) =>
        blocks
          .slice(i + 1)
          .forEach((b) => assert.ok(!overlaps(a, b), `overlapping subnets: ${created.join(', ')}`)),
      );
      for (const a of attempts) {
        if (a.status === 'rejected') assert.equal((a.reason as { errorCode?: string }).errorCode, 'VPC.0102');
      }
      const err = await sdkError(sdk({ method: 'DELETE', url: `/v1/{project_id}/vpcs/${vpcId}` }));
      assert.equal(err.errorCode, 'VPC.0401');
    });
  });
}
