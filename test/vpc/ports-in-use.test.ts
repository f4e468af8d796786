// A port something refers to cannot be deleted through the VPC API: not a
// service's backend (`port_id`), not its `vip_port_id`, not a VPC endpoint's
// address. Otherwise a service would outlive its backend and older versions
// of the data plane fell back to the service's free-text `ip`. The refusal
// holds against a service create racing the delete, and another tenant cannot
// pin someone's port by naming it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PortView } from '../../src/vpc/schemas.ts';
import { testDialects } from '../support/db.ts';
import { sdkError } from '../support/sdk.ts';
import type { TestAccount, TestServer } from '../support/server.ts';
import {
  createEndpoint,
  endpointTestBed,
  settled,
  waitFor,
  whitelistDomain,
  type Network,
} from '../vpcep/endpoints.support.ts';
import { SERVICES, status, wire } from '../vpcep/services.support.ts';

for (const dialect of testDialects()) {
  describe(`ports in use (${dialect})`, () => {
    let server: TestServer;
    let netP: Network;
    let netC: Network;
    let nextIp = 20;
    let nextServerPort = 50_000;

    const newPort = async (account: TestAccount, net: Network): Promise<PortView> =>
      wire<{ port: PortView }>(
        await account.sdk({
          method: 'POST',
          url: '/v1/{project_id}/ports',
          data: {
            port: {
              network_id: net.subnetId,
              fixed_ips: [{ ip_address: net.subnetCidr.replace(/0\/24$/, String(nextIp++)) }],
              device_owner: 'compute:az1',
            },
          },
        }),
      ).port;
    const deletePort = (account: TestAccount, id: string) =>
      account.sdk({ method: 'DELETE', url: `/v1/{project_id}/ports/${id}` });
    const createService = (account: TestAccount, net: Network, extra: Record<string, unknown>) =>
      account.sdk({
        method: 'POST',
        url: SERVICES,
        data: {
          vpc_id: net.vpcId,
          server_type: 'VM',
          approval_enabled: false,
          ports: [{ client_port: 80, server_port: nextServerPort++ }],
          ...extra,
        },
      });
    const deleteService = async (account: TestAccount, id: string) => {
      await account.sdk({ method: 'DELETE', url: `${SERVICES}/${id}` });
      await waitFor(
        async () => ({ code: await status(account.sdk({ method: 'GET', url: `${SERVICES}/${id}` })) }),
        (r) => r.code === 404,
      );
    };
    const expectInUse = async (call: Promise<unknown>, names: string) => {
      const err = await sdkError(call);
      assert.equal(err.httpStatusCode, 409);
      assert.equal(err.errorCode, 'VPC.0401');
      assert.ok(err.errorMsg?.includes(names), `${err.errorMsg} names ${names}`);
    };

    before(async () => {
      ({ server, netP, netC } = await endpointTestBed(dialect));
    });
    after(async () => server?.close());

    test("a service's backend port and its vip_port_id cannot be deleted until the service is gone", async () => {
      const backend = await newPort(server.provider, netP);
      const vip = await newPort(server.provider, netP);
      const s = await createService(server.provider, netP, { port_id: backend.id, vip_port_id: vip.id });
      const serviceId = String(s.id);
      await expectInUse(deletePort(server.provider, backend.id), `endpoint service ${serviceId}`);
      await expectInUse(deletePort(server.provider, vip.id), `endpoint service ${serviceId}`);
      // Refused means untouched: both ports are still listed.
      const listed = wire<{ ports: PortView[] }>(
        await server.provider.sdk({
          method: 'GET',
          url: '/v1/{project_id}/ports',
          queryParams: { id: [backend.id, vip.id] },
        }),
      ).ports;
      assert.equal(listed.length, 2);

      await deleteService(server.provider, serviceId);
      assert.equal((await deletePort(server.provider, backend.id)).httpStatusCode, 204);
      assert.equal((await deletePort(server.provider, vip.id)).httpStatusCode, 204);
    });

    test("a VPC endpoint's port cannot be deleted; deleting the endpoint releases it", async () => {
      const backend = await newPort(server.provider, netP);
      const service = String((await createService(server.provider, netP, { port_id: backend.id })).id);
      await waitFor(
        () => server.provider.sdk({ method: 'GET', url: `${SERVICES}/${service}` }),
        (s) => s.status === 'available',
      );
      await whitelistDomain(server, service, server.consumer.domainId);
      const ep = await createEndpoint(server.consumer, {
        endpoint_service_id: service,
        vpc_id: netC.vpcId,
        subnet_id: netC.subnetId,
      });
      const endpointId = String(ep.id);
      await settled(server.consumer, endpointId);
      const held = wire<{ ports: PortView[] }>(
        await server.consumer.sdk({
          method: 'GET',
          url: '/v1/{project_id}/ports',
          queryParams: { device_id: endpointId },
        }),
      ).ports[0];
      assert.ok(held, 'the endpoint holds a port of the consumer subnet');
      await expectInUse(deletePort(server.consumer, held.id), `VPC endpoint ${endpointId}`);
      // The consumer cannot learn about the provider's service through the port either.
      const err = await sdkError(deletePort(server.consumer, held.id));
      assert.ok(!err.errorMsg?.includes(service), err.errorMsg);

      await server.consumer.sdk({ method: 'DELETE', url: `/v1/{project_id}/vpc-endpoints/${endpointId}` });
      await waitFor(
        async () => ({ code: await status(deletePort(server.consumer, held.id)) }),
        (r) => r.code === 404,
      );
    });

    test('another tenant naming a port as its vip_port_id does not pin it', async () => {
      const victim = await newPort(server.provider, netP);
      const own = await newPort(server.consumer, netC);
      const hostile = await createService(server.consumer, netC, { port_id: own.id, vip_port_id: victim.id });
      assert.equal(hostile.vip_port_id, victim.id, 'vip_port_id is free text (decision #15)');
      assert.equal((await deletePort(server.provider, victim.id)).httpStatusCode, 204);
    });

    test('a service create racing the delete of its port never leaves a service without its port', async (t) => {
      const seen = new Map<string, number>();
      for (let round = 0; round < 12; round++) {
        const port = await newPort(server.provider, netP);
        const [created, deleted] = await Promise.allSettled([
          createService(server.provider, netP, { port_id: port.id }),
          deletePort(server.provider, port.id),
        ]);
        const codeOf = (r: PromiseSettledResult<unknown>) =>
          r.status === 'fulfilled' ? 'ok' : (r.reason as { errorCode?: string }).errorCode;
        const outcome = `${codeOf(created)} / ${codeOf(deleted)}`;
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
        assert.ok(
          outcome === 'ok / VPC.0401' || outcome === 'EndPoint.3008 / ok',
          `round ${round}: service create / port delete = ${outcome}`,
        );
        if (created.status === 'fulfilled') {
          const shown = await server.provider.sdk({
            method: 'GET',
            url: `/v1/{project_id}/ports/${port.id}`,
          });
          assert.equal((shown.port as PortView).id, port.id, 'the backend port still exists');
          await deleteService(server.provider, String(created.value.id));
          assert.equal((await deletePort(server.provider, port.id)).httpStatusCode, 204);
        }
      }
      t.diagnostic(`service create / port delete: ${JSON.stringify(Object.fromEntries(seen))}`);
    });
  });
}
