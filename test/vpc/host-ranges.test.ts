// Inside the bindable ranges (default 127.0.0.0/8) every project's subnets
// share this host's network: the first endpoint to bind an address wins. So
// there, subnets of different projects may not overlap, and no subnet may
// cover the addresses the host's own services use (dataplane.reserved_cidrs,
// default 127.0.0.0/16). Outside them VPCs stay isolated and may overlap, as
// in the cloud. The rule holds under concurrency and for declared VPCs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../../src/config/defaults.ts';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { formatCidr } from '../../src/vpc/cidr.ts';
import { hostRangesOf } from '../../src/vpc/host-ranges.ts';
import type { SubnetView, VpcView } from '../../src/vpc/schemas.ts';
import { testDialects } from '../support/db.ts';
import { sdkError } from '../support/sdk.ts';
import { startTestServer, type TestAccount, type TestServer } from '../support/server.ts';

let vpcCounter = 0;

async function createVpc(account: TestAccount, cidr: string): Promise<VpcView> {
  const name = `hr-${++vpcCounter}`;
  const r = await account.sdk({
    method: 'POST',
    url: '/v1/{project_id}/vpcs',
    data: { vpc: { name, cidr } },
  });
  return r.vpc as VpcView;
}

function postSubnet(account: TestAccount, vpcId: string, cidr: string) {
  return account.sdk({
    method: 'POST',
    url: '/v1/{project_id}/subnets',
    data: { subnet: { name: `sn-${vpcCounter}`, cidr, vpc_id: vpcId } },
  });
}

async function createSubnet(account: TestAccount, vpcId: string, cidr: string): Promise<SubnetView> {
  return (await postSubnet(account, vpcId, cidr)).subnet as SubnetView;
}

/** The refusal: 400 VPC.0102 whose message names `range` and nothing of the other project. */
async function expectOverlap(call: Promise<unknown>, range: string, secrets: readonly string[] = []) {
  const err = await sdkError(call);
  assert.equal(err.httpStatusCode, 400, err.errorMsg);
  assert.equal(err.errorCode, 'VPC.0102', err.errorMsg);
  assert.ok(err.errorMsg?.includes(range), `${err.errorMsg} names ${range}`);
  for (const s of secrets) assert.ok(!err.errorMsg?.includes(s), `${err.errorMsg} must not reveal ${s}`);
}

for (const dialect of testDialects()) {
  describe(`subnets on the host's shared ranges (${dialect})`, () => {
    let server: TestServer;
    let p: TestAccount;
    let c: TestAccount;

    before(async () => {
      server = await startTestServer({ dialect });
      p = server.provider;
      c = server.consumer;
    });
    after(async () => server?.close());

    test("tenant 2 cannot create a subnet overlapping tenant 1's in 127.0.0.0/8", async () => {
      const mine = await createVpc(p, '127.50.0.0/16');
      const taken = await createSubnet(p, mine.id, '127.50.1.0/24');
      // VPCs may overlap; only subnets carry addresses.
      const theirs = await createVpc(c, '127.50.0.0/16');
      const secrets = [p.projectId, p.domainName, mine.id, mine.name, taken.id, taken.name];
      await expectOverlap(postSubnet(c, theirs.id, '127.50.1.0/24'), '127.50.1.0/24', secrets);
      await expectOverlap(postSubnet(c, theirs.id, '127.50.1.128/25'), '127.50.1.0/24', secrets);
      await expectOverlap(postSubnet(c, theirs.id, '127.50.0.0/16'), '127.50.1.0/24', secrets);
      // Next door is free, and the first tenant's subnet is untouched.
      assert.equal((await createSubnet(c, theirs.id, '127.50.2.0/24')).cidr, '127.50.2.0/24');
      const still = await p.sdk({ method: 'GET', url: `/v1/{project_id}/subnets/${taken.id}` });
      assert.equal((still.subnet as SubnetView).cidr, '127.50.1.0/24');
    });

    test('outside the bindable ranges subnets of different projects may overlap, as in the cloud', async () => {
      for (const [vpc, subnet] of [
        ['10.0.0.0/16', '10.0.0.0/16'],
        ['192.168.0.0/16', '192.168.1.0/24'],
        ['172.16.0.0/12', '172.16.0.0/24'],
      ] as const) {
        const a = await createSubnet(p, (await createVpc(p, vpc)).id, subnet);
        const b = await createSubnet(c, (await createVpc(c, vpc)).id, subnet);
        assert.equal(a.cidr, subnet);
        assert.equal(b.cidr, subnet);
      }
    });

    test("one project's VPCs may still overlap each other on loopback", async () => {
      const a = await createVpc(p, '127.51.0.0/16');
      const b = await createVpc(p, '127.51.0.0/16');
      assert.equal((await createSubnet(p, a.id, '127.51.0.0/24')).cidr, '127.51.0.0/24');
      assert.equal((await createSubnet(p, b.id, '127.51.0.0/24')).cidr, '127.51.0.0/24');
    });

    test("no subnet may cover the host's own addresses (reserved_cidrs, 127.0.0.0/16)", async () => {
      const vpc = await createVpc(p, '127.0.0.0/8');
      for (const cidr of ['127.0.0.0/24', '127.0.255.248/29', '127.0.0.0/8', '127.0.0.0/15']) {
        await expectOverlap(postSubnet(p, vpc.id, cidr), '127.0.0.0/16, which is reserved');
      }
      assert.equal((await createSubnet(p, vpc.id, '127.1.0.0/24')).cidr, '127.1.0.0/24');
    });

    test('deleting a subnet frees its range for another project', async () => {
      const mine = await createVpc(p, '127.52.0.0/16');
      const sn = await createSubnet(p, mine.id, '127.52.0.0/24');
      const theirs = await createVpc(c, '127.52.0.0/16');
      await expectOverlap(postSubnet(c, theirs.id, '127.52.0.0/24'), '127.52.0.0/24');
      await p.sdk({ method: 'DELETE', url: `/v1/{project_id}/vpcs/${mine.id}/subnets/${sn.id}` });
      assert.equal((await createSubnet(c, theirs.id, '127.52.0.0/24')).cidr, '127.52.0.0/24');
    });

    test('two projects creating overlapping subnets at once: exactly one succeeds', async (t) => {
      const mine = await createVpc(p, '127.60.0.0/16');
      const theirs = await createVpc(c, '127.60.0.0/16');
      const winners = { provider: 0, consumer: 0 };
      for (let round = 0; round < 16; round++) {
        // Different sizes too, so containment is raced as well as equality.
        const cidr = `127.60.${round}.0/24`;
        const other = round % 2 === 0 ? cidr : `127.60.${round}.0/25`;
        const results = await Promise.allSettled([
          postSubnet(p, mine.id, cidr),
          postSubnet(c, theirs.id, other),
        ]);
        const ok = results.map((r) => r.status === 'fulfilled');
        assert.equal(
          ok.filter(Boolean).length,
          1,
          `round ${round}: ${JSON.stringify(results.map((r) => r.status))}`,
        );
        const lost = results.find((r) => r.status === 'rejected');
        assert.equal((lost?.reason as { errorCode?: string }).errorCode, 'VPC.0102');
        if (ok[0]) winners.provider++;
        else winners.consumer++;
      }
      t.diagnostic(`winners: ${JSON.stringify(winners)}`);
    });
  });

  describe(`host ranges from the configuration (${dialect})`, () => {
    test('bindable_cidrs widens the rule to other ranges; reserved_cidrs chooses the host addresses', async () => {
      const server = await startTestServer({
        dialect,
        overrides: {
          dataplane: {
            ...defaultConfig().dataplane,
            bindable_cidrs: ['127.0.0.0/8', '10.0.0.0/8'],
            reserved_cidrs: ['10.255.0.0/16'],
          },
        },
      });
      try {
        const p = server.provider;
        const c = server.consumer;
        await createSubnet(p, (await createVpc(p, '10.1.0.0/16')).id, '10.1.0.0/24');
        await expectOverlap(
          postSubnet(c, (await createVpc(c, '10.1.0.0/16')).id, '10.1.0.0/24'),
          '10.1.0.0/24',
        );
        await expectOverlap(
          postSubnet(p, (await createVpc(p, '10.255.0.0/16')).id, '10.255.1.0/24'),
          'reserved',
        );
        // 127.0.0.0/16 is not reserved in this configuration.
        assert.equal(
          (await createSubnet(p, (await createVpc(p, '127.0.0.0/16')).id, '127.0.5.0/24')).cidr,
          '127.0.5.0/24',
        );
      } finally {
        await server.close();
      }
    });

    test('declared subnets obey the same rule: a clear start-up error', async () => {
      const declare = (name: string, cidr: string) => ({
        vpcs: [{ name, cidr: '127.70.0.0/16', subnets: [{ name: `${name}-sn`, cidr }] }],
      });
      await assert.rejects(
        startTestServer({
          dialect,
          accountExtras: {
            provider: declare('p-net', '127.70.0.0/24'),
            consumer: declare('c-net', '127.70.0.0/25'),
          },
        }),
        /vpc 'c-net' subnet 'c-net-sn': .*overlaps 127\.70\.0\.0\/24, which is in use by another project/,
      );
      await assert.rejects(
        startTestServer({
          dialect,
          accountExtras: {
            provider: {
              vpcs: [{ name: 'host', cidr: '127.0.0.0/16', subnets: [{ name: 'h', cidr: '127.0.0.0/24' }] }],
            },
          },
        }),
        /vpc 'host' subnet 'h': .*127\.0\.0\.0\/16, which is reserved/,
      );
    });
  });
}

test('reserved_cidrs: IPv4 CIDRs, host bits naming their block; anything else stops the start', () => {
  const dataplane = (reserved: string[]) => ({ ...defaultConfig().dataplane, reserved_cidrs: reserved });
  const ok = loadConfig({ env: {}, overrides: { dataplane: dataplane(['127.0.0.1/16', '10.9.0.0/24']) } });
  assert.deepEqual(hostRangesOf(ok.dataplane).reserved.map(formatCidr), ['127.0.0.0/16', '10.9.0.0/24']);
  for (const bad of [
    '127.0.0.0/33',
    '127.0.0.0',
    'localhost/8',
    '127.0.0.010/16',
    '127.0.0.0/08',
    '\u0000',
    '',
  ]) {
    assert.throws(
      () => loadConfig({ env: {}, overrides: { dataplane: dataplane([bad]) } }),
      (err: unknown) => err instanceof ConfigError && /dataplane\.reserved_cidrs/.test(err.message),
      JSON.stringify(bad),
    );
  }
});
