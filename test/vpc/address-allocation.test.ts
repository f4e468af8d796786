// The address allocator answers from indexes (ports.ip_number), not from the
// subnet's loaded addresses: it must still give exactly the lowest free host
// address after any mix of automatic and fixed creates and deletes, skip the
// gateway, and say "full" only when the subnet is full. The old in-memory rule
// (lowestFree over every held address) is the model it is checked against.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Migrator, sql, type Kysely } from 'kysely';
import { systemClock } from '../../src/context/clock.ts';
import { ApiError } from '../../src/errors/api-error.ts';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { openStore } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import { formatIpv4, lowestFree, mustParseCidr, parseIpv4 } from '../../src/vpc/cidr.ts';
import {
  allocateAddress,
  checkAddress,
  createPort,
  deletePort,
  getPort,
  getSubnet,
  type SubnetRow,
} from '../../src/vpc/inventory.ts';
import { DEFAULT_HOST_RANGES } from '../../src/vpc/host-ranges.ts';
import { updatePortIn } from '../../src/vpc/ports/operations.ts';
import { updateSubnetIn } from '../../src/vpc/subnets/operations.ts';
import { freshDatabase, testDialects } from '../support/db.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const VPC_ID = 'a11c0000-0000-4000-8000-000000000001';
const SUBNET_ID = 'a11c0000-0000-4000-8000-000000000002';
const MID_GATEWAY_SUBNET_ID = 'a11c0000-0000-4000-8000-000000000003';
/** 30 host addresses, .1 the gateway: small enough to fill and empty many times. */
const CIDR = '127.30.1.0/27';
/** 14 host addresses, .7 the gateway. */
const MID_CIDR = '127.30.2.0/28';

/** A deterministic stream of numbers in [0, 1) (a test must fail the same way twice). */
function randomFrom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A server whose provider account has one VPC holding `subnet` alone. */
function serverWithSubnet(
  dialect: ReturnType<typeof testDialects>[number],
  subnet: { id: string; name: string; cidr: string; gateway_ip?: string },
): Promise<TestServer> {
  return startTestServer({
    dialect,
    accountExtras: {
      provider: { vpcs: [{ id: VPC_ID, name: 'alloc', cidr: '127.30.0.0/16', subnets: [subnet] }] },
    },
  });
}

/**
 * Domain d1, project p1, VPC v1 (192.168.0.0/16) and its subnet s1 (`cidr`,
 * gateway .1), written as rows the way a store of an older version holds
 * them; returns their time.
 */
async function seedLegacySubnet(db: Kysely<Database>, cidr: string): Promise<number> {
  const now = 1_700_000_000_000;
  await sql`INSERT INTO domains (id, name, created_at) VALUES ('d1', 'd', ${now})`.execute(db);
  await sql`INSERT INTO projects (id, domain_id, name, created_at) VALUES ('p1', 'd1', 'p', ${now})`.execute(
    db,
  );
  await sql`INSERT INTO vpcs (id, project_id, name, cidr, status, created_at, updated_at)
            VALUES ('v1', 'p1', 'v', '192.168.0.0/16', 'OK', ${now}, ${now})`.execute(db);
  await sql`INSERT INTO subnets (id, project_id, vpc_id, name, cidr, gateway_ip, neutron_subnet_id, status,
                                 created_at, updated_at)
            VALUES ('s1', 'p1', 'v1', 's', ${cidr}, '192.168.0.1', 'n1', 'ACTIVE', ${now}, ${now})`.execute(
    db,
  );
  return now;
}

for (const dialect of testDialects()) {
  describe(`address allocation by index (${dialect})`, () => {
    let server: TestServer;
    let project: string;
    let subnet: SubnetRow;

    before(async () => {
      server = await serverWithSubnet(dialect, { id: SUBNET_ID, name: 'alloc', cidr: CIDR });
      project = server.provider.projectId;
      const found = await getSubnet(server.running.store.db, project, SUBNET_ID);
      assert.ok(found);
      subnet = found;
    });
    after(async () => server.close());

    test('always the lowest free host address, through creates (automatic and fixed) and deletes', async () => {
      const db = server.running.store.db;
      const cidr = mustParseCidr(CIDR);
      const gateway = parseIpv4(subnet.gateway_ip) ?? 0;
      const held = new Map<number, string>();
      const expected = () => {
        const free = lowestFree(cidr, new Set([...held.keys(), gateway]));
        return free === undefined ? undefined : formatIpv4(free);
      };
      const random = randomFrom(12);
      const create = (ipAddress?: string) =>
        db
          .transaction()
          .execute((trx) =>
            createPort(trx, systemClock, project, SUBNET_ID, { deviceOwner: 'compute:az1', ipAddress }),
          );
      let full = 0;
      for (let step = 0; step < 160; step++) {
        assert.equal(await allocateAddress(db, subnet), expected(), `step ${step}`);
        const r = random();
        if (r < 0.55) {
          const want = expected();
          if (want === undefined) {
            full++;
            await assert.rejects(create(), (err) => err instanceof ApiError && err.code === 'VPC.0303');
            continue;
          }
          const port = await create();
          assert.equal(port.ip_address, want);
          held.set(parseIpv4(port.ip_address) ?? -1, port.id);
        } else if (r < 0.75) {
          // A fixed address anywhere in the subnet: a hole below or a gap above the held run.
          const ip = cidr.network + 2 + Math.floor(random() * 29);
          const text = formatIpv4(ip);
          if (held.has(ip)) {
            assert.equal(await checkAddress(db, subnet, text), 'in-use');
            continue;
          }
          assert.equal(await checkAddress(db, subnet, text), undefined);
          const port = await create(text);
          held.set(ip, port.id);
        } else if (held.size > 0) {
          const ips = [...held.keys()];
          const ip = ips[Math.floor(random() * ips.length)]!;
          assert.equal(await deletePort(db, project, held.get(ip)!), true);
          held.delete(ip);
        }
      }
      // The walk really reached both ends: a full subnet and holes below held addresses.
      assert.ok(full > 0, 'the subnet was never full');
      assert.equal(await checkAddress(db, subnet, formatIpv4(gateway)), 'gateway');
    });
  });

  describe(`address allocation starts where the held run ends (${dialect})`, () => {
    let server: TestServer;
    let project: string;

    before(async () => {
      // The gateway in the middle of the block: a held run can end right below it.
      server = await serverWithSubnet(dialect, {
        id: MID_GATEWAY_SUBNET_ID,
        name: 'mid',
        cidr: MID_CIDR,
        gateway_ip: '127.30.2.7',
      });
      project = server.provider.projectId;
    });
    after(async () => server.close());

    test('the lowest free address through creates, deletes and re-addressing, around a gateway mid-block', async () => {
      const db = server.running.store.db;
      const cidr = mustParseCidr(MID_CIDR);
      const gateway = parseIpv4('127.30.2.7') ?? 0;
      const held = new Map<number, string>();
      const expected = () => {
        const free = lowestFree(cidr, new Set([...held.keys(), gateway]));
        return free === undefined ? undefined : formatIpv4(free);
      };
      const subnetNow = async () => {
        const row = await getSubnet(db, project, MID_GATEWAY_SUBNET_ID);
        assert.ok(row);
        return row;
      };
      const create = (ipAddress?: string) =>
        db.transaction().execute((trx) =>
          createPort(trx, systemClock, project, MID_GATEWAY_SUBNET_ID, {
            deviceOwner: 'compute:az1',
            ipAddress,
          }),
        );
      const random = randomFrom(7);
      const seen = { full: 0, readdressed: 0, belowGateway: 0 };
      for (let step = 0; step < 200; step++) {
        // The subnet as stored now: the allocator starts from its recorded free_from.
        assert.equal(await allocateAddress(db, await subnetNow()), expected(), `step ${step}`);
        const r = random();
        if (r < 0.5) {
          const want = expected();
          if (want === undefined) {
            seen.full++;
            await assert.rejects(create(), (err) => err instanceof ApiError && err.code === 'VPC.0303');
            continue;
          }
          if (want === formatIpv4(gateway - 1)) seen.belowGateway++;
          const port = await create();
          assert.equal(port.ip_address, want, `step ${step}`);
          held.set(parseIpv4(port.ip_address) ?? -1, port.id);
        } else if (r < 0.7 && held.size > 0) {
          // Move a held port to a free fixed address: its old address is free again.
          const ips = [...held.keys()];
          const from = ips[Math.floor(random() * ips.length)]!;
          const to = cidr.network + 1 + Math.floor(random() * 14);
          if (held.has(to) || to === gateway) continue;
          const id = held.get(from)!;
          const port = await getPort(db, project, id);
          assert.ok(port);
          const subnet = await subnetNow();
          await db
            .transaction()
            .execute((trx) => updatePortIn(trx, Date.now(), port, subnet, { ipAddress: formatIpv4(to) }));
          held.delete(from);
          held.set(to, id);
          seen.readdressed++;
        } else if (held.size > 0) {
          const ips = [...held.keys()];
          const ip = ips[Math.floor(random() * ips.length)]!;
          assert.equal(await deletePort(db, project, held.get(ip)!), true);
          held.delete(ip);
        }
      }
      assert.ok(seen.full > 0, 'the subnet was never full');
      assert.ok(seen.readdressed > 0, 'no port was re-addressed');
      assert.ok(seen.belowGateway > 0, 'no create took the address right below the gateway');
    });
  });

  describe(`a subnet update does not undo a release (${dialect})`, () => {
    let server: TestServer;
    let project: string;

    before(async () => {
      server = await serverWithSubnet(dialect, { id: MID_GATEWAY_SUBNET_ID, name: 'mid', cidr: MID_CIDR });
      project = server.provider.projectId;
    });
    after(async () => server.close());
    test('a subnet update made from a copy read before a release keeps the released address findable', async () => {
      const db = server.running.store.db;
      const create = () =>
        db
          .transaction()
          .execute((trx) =>
            createPort(trx, systemClock, project, MID_GATEWAY_SUBNET_ID, { deviceOwner: 'compute:az1' }),
          );
      const ports = [await create(), await create()];
      const stale = await getSubnet(db, project, MID_GATEWAY_SUBNET_ID);
      assert.ok(stale);
      assert.equal(await deletePort(db, project, ports[0]!.id), true);
      // A rename from the copy read before the delete must not put free_from back above the freed address.
      await db
        .transaction()
        .execute((trx) => updateSubnetIn(trx, Date.now(), stale, { name: 'renamed' }, DEFAULT_HOST_RANGES));
      assert.equal((await create()).ip_address, ports[0]!.ip_address);
    });
  });

  describe(`migration 0007 leaves every subnet searching from its first address (${dialect})`, () => {
    test('a store written before it gives the lowest free address, holes included', async () => {
      const database = await freshDatabase(dialect);
      const store = await openStore(database.url, { migrate: false });
      try {
        const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.dialect) });
        assert.equal((await migrator.migrateTo('0006_marker_sequence')).error, undefined);
        const now = await seedLegacySubnet(store.db, '192.168.0.0/24');
        // .2 to .6 held except .4, and .200 far above.
        for (const [i, last] of [2, 3, 5, 6, 200].entries()) {
          const ip = `192.168.0.${last}`;
          await sql`INSERT INTO ports (id, project_id, network_id, vpc_id, ip_address, ip_number, mac_address,
                                       status, created_at, updated_at)
                    VALUES (${`port${i}`}, 'p1', 's1', 'v1', ${ip}, ${parseIpv4(ip)}, 'fa:16:3e:00:00:00', 'DOWN',
                            ${now}, ${now})`.execute(store.db);
        }
        assert.equal((await migrator.migrateToLatest()).error, undefined);
        const subnet = await getSubnet(store.db, 'p1', 's1');
        assert.ok(subnet);
        assert.equal(subnet.free_from, null);
        const take = () =>
          store.db
            .transaction()
            .execute((trx) => createPort(trx, systemClock, 'p1', 's1', { deviceOwner: 'compute:az1' }));
        assert.equal((await take()).ip_address, '192.168.0.4');
        assert.equal((await take()).ip_address, '192.168.0.7');
        assert.equal(Number((await getSubnet(store.db, 'p1', 's1'))?.free_from), parseIpv4('192.168.0.8'));
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });

  describe(`migration 0005 numbers the ports already stored (${dialect})`, () => {
    test('every existing port gets the number of its address', async () => {
      const database = await freshDatabase(dialect);
      const store = await openStore(database.url, { migrate: false });
      try {
        const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.dialect) });
        const before = await migrator.migrateTo('0004_iam');
        assert.equal(before.error, undefined);
        const now = await seedLegacySubnet(store.db, '192.168.0.0/16');
        const addresses = ['192.168.0.2', '192.168.255.254', '192.168.10.7'];
        for (const [i, ip] of addresses.entries()) {
          await sql`INSERT INTO ports (id, project_id, network_id, vpc_id, ip_address, mac_address, status,
                                       created_at, updated_at)
                    VALUES (${`port${i}`}, 'p1', 's1', 'v1', ${ip}, 'fa:16:3e:00:00:00', 'DOWN', ${now}, ${now})`.execute(
            store.db,
          );
        }
        const after = await migrator.migrateToLatest();
        assert.equal(after.error, undefined);
        const rows = await store.db.selectFrom('ports').select(['ip_address', 'ip_number']).execute();
        assert.equal(rows.length, addresses.length);
        for (const row of rows) assert.equal(Number(row.ip_number), parseIpv4(row.ip_address));
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}
