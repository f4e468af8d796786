// With dataplane.network: namespaces every VPC is an isolated network, so the
// loopback mode's cross-project overlap refusal (VPC.0102, host-ranges.test.ts)
// no longer applies; the reserved VPCEP range and a VPC's own subnets still do.
// The API alone needs no root: this server runs no data plane.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { SubnetView, VpcView } from '../../src/vpc/schemas.ts';
import { testDialects } from '../support/db.ts';
import { sdkError } from '../support/sdk.ts';
import { startTestServer, type TestAccount, type TestServer } from '../support/server.ts';

async function vpc(account: TestAccount, name: string, cidr: string): Promise<string> {
  const r = await account.sdk({
    method: 'POST',
    url: '/v1/{project_id}/vpcs',
    data: { vpc: { name, cidr } },
  });
  return (r.vpc as VpcView).id;
}

function subnet(account: TestAccount, vpcId: string, name: string, cidr: string) {
  return account.sdk({
    method: 'POST',
    url: '/v1/{project_id}/subnets',
    data: { subnet: { name, cidr, vpc_id: vpcId } },
  });
}

for (const dialect of testDialects()) {
  describe(`subnets in namespaces mode (${dialect})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({
        dialect,
        overrides: {
          roles: ['api', 'jobs'],
          dataplane: { ...defaultConfig().dataplane, network: 'namespaces' },
        },
      });
    });
    after(async () => {
      await server?.close();
    });

    test('two projects may hold the same subnet, even inside what loopback mode shares', async () => {
      for (const cidr of ['127.40.0.0/24', '10.0.0.0/24']) {
        const base = cidr.replace(/\.0\/24$/, '.0/16');
        const tag = cidr.split('.')[0] ?? '';
        const a = await vpc(server.provider, `ns-p-${tag}`, base);
        const b = await vpc(server.consumer, `ns-c-${tag}`, base);
        const sa = (await subnet(server.provider, a, 'sa', cidr)).subnet as SubnetView;
        const sb = (await subnet(server.consumer, b, 'sb', cidr)).subnet as SubnetView;
        assert.equal(sa.cidr, cidr);
        assert.equal(sb.cidr, cidr);
      }
    });

    test("the VPCEP range and a VPC's own overlapping subnets are still refused", async () => {
      const v = await vpc(server.provider, 'ns-own', '10.8.0.0/16');
      await subnet(server.provider, v, 'one', '10.8.0.0/24');
      const own = await sdkError(subnet(server.provider, v, 'two', '10.8.0.0/25'));
      assert.equal(own.errorCode, 'VPC.0102', own.errorMsg);
      const reserved = await sdkError(vpc(server.provider, 'ns-r', '198.19.128.0/20'));
      assert.equal(reserved.errorCode, 'VPC.0102', reserved.errorMsg);
    });
  });
}
