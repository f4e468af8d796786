// The address allocator answers from indexes (ports.ip_number), not from the
// subnet's loaded addresses: it must still give exactly the lowest free host
// address after any mix of automatic and fixed creates and deletes, skip the
// gateway, and say "full" only when the subnet is full. The old in-memory rule
// (lowestFree over every held address) is the model it is checked against.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Migrator, sql } from 'kysely';
import { systemClock } from '../../src/context/clock.ts';
import { ApiError } from '../../src/errors/api-error.ts';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { openStore } from '../../src/store/open.ts';
import { formatIpv4, lowestFree, mustParseCidr, parseIpv4 } from '../../src/vpc/cidr.ts';
import {
  allocateAddress,
  checkAddress,
  createPort,
  deletePort,
  getSubnet,
  type SubnetRow,
} from '../../src/vpc/inventory.ts';
import { freshDatabase, testDialects } from '../support/db.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const VPC_ID = 'a11c0000-0000-4000-8000-000000000001';
const SUBNET_ID = 'a11c0000-0000-4000-8000-000000000002';
/** 30 host addresses, .1 the gateway: small enough to fill and empty many times. */
const CIDR = '127.30.1.0/27';

/** A deterministic stream of numbers in [0, 1) (a test must fail the same way twice). */
function randomFrom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

for (const dialect of testDialects()) {
  describe(`address allocation by index (${dialect})`, () => {
    let server: TestServer;
    let project: string;
    let subnet: SubnetRow;

    before(async () => {
      server = await startTestServer({
        dialect,
        accountExtras: {
          provider: {
            vpcs: [
              {
                id: VPC_ID,
                name: 'alloc',
                cidr: '127.30.0.0/16',
                subnets: [{ id: SUBNET_ID, name: 'alloc', cidr: CIDR }],
              },
            ],
          },
        },
      });
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

  describe(`migration 0005 numbers the ports already stored (${dialect})`, () => {
    test('every existing port gets the number of its address', async () => {
      const database = await freshDatabase(dialect);
      const store = await openStore(database.url, { migrate: false });
      try {
        const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.dialect) });
        const before = await migrator.migrateTo('0004_iam');
        assert.equal(before.error, undefined);
        const now = 1_700_000_000_000;
        await sql`INSERT INTO domains (id, name, created_at) VALUES ('d1', 'd', ${now})`.execute(store.db);
        await sql`INSERT INTO projects (id, domain_id, name, created_at) VALUES ('p1', 'd1', 'p', ${now})`.execute(
          store.db,
        );
        await sql`INSERT INTO vpcs (id, project_id, name, cidr, status, created_at, updated_at)
                  VALUES ('v1', 'p1', 'v', '192.168.0.0/16', 'OK', ${now}, ${now})`.execute(store.db);
        await sql`INSERT INTO subnets (id, project_id, vpc_id, name, cidr, gateway_ip, neutron_subnet_id, status,
                                       created_at, updated_at)
                  VALUES ('s1', 'p1', 'v1', 's', '192.168.0.0/16', '192.168.0.1', 'n1', 'ACTIVE', ${now}, ${now})`.execute(
          store.db,
        );
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
