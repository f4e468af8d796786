// Every operation's success status, as the API reference documents it (docs/design/decisions.md,
// "Success codes"), walked through once in a realistic order with the official SDK
// core. The two v2 service actions are also sent the way the huaweicloud Terraform
// provider sends them: Access= signatures over a Go client's headers (no Host),
// X-Project-Id added unsigned, a Go-encoded body with `"availability_zone_id": null`
// and a trailing newline; the provider accepts nothing but 204 there.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { referenceAuthorization, sdkDate, sha256Hex } from '../auth/reference-signer.ts';
import { testDialects } from '../support/db.ts';
import { rawRequest, type RawResponse } from '../support/http.ts';
import type { SdkCall, SdkResult } from '../support/sdk.ts';
import type { TestAccount, TestServer } from '../support/server.ts';
import {
  createEndpoint,
  createService,
  endpointTestBed,
  publicGatewayService,
  settled,
  whitelistDomain,
  type Network,
} from './endpoints.support.ts';

const S = '/v1/{project_id}/vpc-endpoint-services';
const E = '/v1/{project_id}/vpc-endpoints';

/** The huaweicloud provider's request: chnsz signs accept, content-type (with a body), user-agent, x-sdk-date. */
function terraformHuaweicloud(server: TestServer, account: TestAccount, path: string, body?: string) {
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    'user-agent': 'terraform-provider-huaweicloud golangsdk',
    'x-sdk-date': sdkDate(Date.now()),
  };
  const authorization = referenceAuthorization({
    method: 'POST',
    path,
    headers,
    payloadHash: sha256Hex(body ?? ''),
    ak: account.ak,
    sk: account.sk,
  });
  return rawRequest({
    method: 'POST',
    url: `${server.url}${path}`,
    headers: { ...headers, authorization, 'x-project-id': account.projectId },
    ...(body !== undefined ? { body } : {}),
  });
}

function assertNoContent(res: RawResponse) {
  assert.equal(res.status, 204, res.text);
  assert.equal(res.text, '');
}

for (const dialect of testDialects())
  describe(`success codes of every operation (${dialect})`, () => {
    let server: TestServer;
    let netP: Network;
    let netC: Network;
    before(async () => {
      ({ server, netP, netC } = await endpointTestBed(dialect));
    });
    after(async () => server.close());

    async function expect(account: TestAccount, call: SdkCall, status: number): Promise<SdkResult> {
      const res = await account.sdk(call);
      assert.equal(res.httpStatusCode, status, `${call.method} ${call.url}`);
      return res;
    }

    test('the huaweicloud provider upgrade and add-servers resources get 204', async () => {
      const svc = await createService(server, netP);
      const v2 = `/v2/${server.provider.projectId}/vpc-endpoint-services/${svc.id}`;
      assertNoContent(await terraformHuaweicloud(server, server.provider, `${v2}/upgrade`));
      const body = `${JSON.stringify({ server_resources: [{ availability_zone_id: null, resource_id: 'elb-1' }] })}\n`;
      assertNoContent(
        await terraformHuaweicloud(server, server.provider, `${v2}/add-server-resources`, body),
      );
      // The consumer's key cannot act on the provider's service, even with the provider's X-Project-Id.
      const foreign = await terraformHuaweicloud(server, server.consumer, `${v2}/upgrade`);
      assert.equal(foreign.status, 403, foreign.text);
    });

    test('every operation answers its documented status', async () => {
      const p = server.provider;
      const c = server.consumer;
      const pub = await rawRequest({ method: 'GET', url: `${server.url}/` });
      assert.equal(pub.status, 200);
      assert.equal((await rawRequest({ method: 'GET', url: `${server.url}/v1` })).status, 200);

      // Endpoint services (seed 004 §4.2, api-surface §2 #3–#20).
      const created = await expect(
        p,
        {
          method: 'POST',
          url: S,
          data: {
            port_id: netP.backendPortId,
            vpc_id: netP.vpcId,
            server_type: 'VM',
            approval_enabled: true,
            ports: [{ client_port: 9000, server_port: 90, protocol: 'TCP' }],
          },
        },
        200,
      );
      const svc = String(created.id);
      await expect(p, { method: 'GET', url: S }, 200);
      await expect(p, { method: 'GET', url: `${S}/${svc}` }, 200);
      await expect(p, { method: 'PUT', url: `${S}/${svc}`, data: { description: 'codes' } }, 200);
      await expect(
        p,
        { method: 'PUT', url: `${S}/${svc}/name`, data: { endpoint_service_name: 'codes' } },
        200,
      );
      await expect(c, { method: 'GET', url: `${S}/public` }, 200);
      await expect(c, { method: 'GET', url: `${S}/describe`, queryParams: { id: svc } }, 200);
      await expect(p, { method: 'POST', url: `/v2/{project_id}/vpc-endpoint-services/${svc}/upgrade` }, 204);
      await expect(
        p,
        {
          method: 'POST',
          url: `/v2/{project_id}/vpc-endpoint-services/${svc}/add-server-resources`,
          data: { server_resources: [{ resource_id: 'elb-1', availability_zone_id: null }] },
        },
        204,
      );

      // Whitelist records.
      await expect(p, { method: 'GET', url: `${S}/${svc}/permissions` }, 200);
      await whitelistDomain(server, svc, c.domainId);
      await expect(
        p,
        {
          method: 'POST',
          url: `${S}/${svc}/permissions/action`,
          data: { action: 'add', permissions: ['iam:domain::partner01'] },
        },
        200,
      );
      const batch = await expect(
        p,
        {
          method: 'POST',
          url: `${S}/${svc}/permissions/batch-create`,
          data: { permissions: [{ permission: 'iam:domain::partner02', description: 'p2' }] },
        },
        200,
      );
      const permissionId = String((batch.permissions as { id: string }[])[0]?.id);
      await expect(
        p,
        {
          method: 'PUT',
          url: `${S}/${svc}/permissions/${permissionId}`,
          data: { permission: { description: 'x' } },
        },
        200,
      );
      await expect(
        p,
        {
          method: 'POST',
          url: `${S}/${svc}/permissions/batch-delete`,
          data: { permissions: [{ id: permissionId }] },
        },
        200,
      );

      // Endpoints (seed 004 §4.3, api-surface §2 #21–#29) and the connections they make.
      const ep = await expect(
        c,
        {
          method: 'POST',
          url: E,
          data: { endpoint_service_id: svc, vpc_id: netC.vpcId, subnet_id: netC.subnetId },
        },
        200,
      );
      const epId = String(ep.id);
      await settled(c, epId);
      await expect(c, { method: 'GET', url: E }, 200);
      await expect(c, { method: 'GET', url: `${E}/${epId}` }, 200);
      await expect(p, { method: 'GET', url: `${S}/${svc}/connections` }, 200);
      await expect(
        p,
        {
          method: 'POST',
          url: `${S}/${svc}/connections/action`,
          data: { action: 'receive', endpoints: [epId] },
        },
        200,
      );
      await expect(
        p,
        {
          method: 'PUT',
          url: `${S}/${svc}/connections/description`,
          data: { connections: [{ id: epId, description: 'team' }] },
        },
        200,
      );
      await expect(c, { method: 'PUT', url: `${E}/${epId}`, data: { whitelist: ['127.30.0.0/24'] } }, 200);
      await expect(c, { method: 'PUT', url: `${E}/${epId}/policy`, data: { policy_statement: [] } }, 200);
      await expect(c, { method: 'DELETE', url: `${E}/${epId}/policy` }, 200);
      await expect(
        c,
        { method: 'POST', url: `/v2/{project_id}/vpc-endpoints/${epId}/upgrade`, data: { action: 'start' } },
        202,
      );
      const obs = await publicGatewayService(server);
      const gw = await createEndpoint(c, { vpc_id: netC.vpcId, endpoint_service_id: obs.id });
      await expect(
        c,
        { method: 'PUT', url: `${E}/${String(gw.id)}/routetables`, data: { routetables: [] } },
        200,
      );

      // Quotas and tags (api-surface §2 #30–#33).
      await expect(
        c,
        { method: 'GET', url: '/v1/{project_id}/quotas', queryParams: { type: 'endpoint' } },
        200,
      );
      await expect(
        p,
        {
          method: 'POST',
          url: `/v1/{project_id}/endpoint_service/${svc}/tags/action`,
          data: { action: 'create', tags: [{ key: 'k', value: 'v' }] },
        },
        204,
      );
      await expect(p, { method: 'GET', url: '/v1/{project_id}/endpoint_service/tags' }, 200);
      await expect(
        p,
        {
          method: 'POST',
          url: '/v1/{project_id}/endpoint_service/resource_instances/action',
          data: { action: 'filter' },
        },
        200,
      );

      // Deletes last: 204 with no body.
      await expect(c, { method: 'DELETE', url: `${E}/${epId}` }, 204);
      await expect(c, { method: 'DELETE', url: `${E}/${String(gw.id)}` }, 204);
      const other = await createService(server, netP, { ports: [{ client_port: 9100, server_port: 91 }] });
      await expect(p, { method: 'DELETE', url: `${S}/${other.id}` }, 204);
    });
  });
