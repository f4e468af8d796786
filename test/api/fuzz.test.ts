import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '../support/db.ts';
import { rawRequest } from '../support/http.ts';
import { passwordToken, type TestServer } from '../support/server.ts';
import {
  createEndpoint,
  createService,
  endpointTestBed,
  settled,
  whitelistDomain,
} from '../vpcep/endpoints.support.ts';
import { casesFor, type IdBook } from './fuzz/cases.ts';
import { operationsOf } from './fuzz/openapi.ts';
import { problemsOf, sendCase, type Credentials } from './fuzz/wire.ts';

// Drives every operation of the server's own OpenAPI document with hostile
// requests, authenticated (token and AK/SK, own and foreign) and anonymous, and
// holds every answer to the rules: no 5xx, no hang, every error in the catalog's
// shape with a matching X-Request-Id, and a server that still serves afterwards.

const SEED = 0x7e57_f022;
const RANDOM_CASES_PER_OPERATION = 30;
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * An IAM user (not the account's own: deleting or disabling it must not stop the
 * fuzzing), its key, a group and a custom policy of the account, for the IAM routes.
 */
async function iamIds(server: TestServer, who: 'provider' | 'consumer'): Promise<Record<string, string>> {
  const token = await passwordToken(server.url, server[who]);
  const call = async (path: string, body: unknown) => {
    const res = await rawRequest({
      method: 'POST',
      url: `${server.url}${path}`,
      headers: { 'x-auth-token': token, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 201, res.text);
    return res.json as Record<string, Record<string, string>>;
  };
  const user = (await call('/v3/users', { user: { name: 'fuzz-user', password: 'Fuzz-user-1' } })).user!.id!;
  const key = (await call('/v3.0/OS-CREDENTIAL/credentials', { credential: { user_id: user } })).credential!;
  const group = (await call('/v3/groups', { group: { name: 'fuzz-group' } })).group!.id!;
  const policy = {
    role: {
      display_name: 'fuzz-policy',
      type: 'XA',
      description: 'fuzz',
      policy: { Version: '1.1', Statement: [{ Effect: 'Allow', Action: ['vpcep:*:get*'] }] },
    },
  };
  const role = (await call('/v3.0/OS-ROLE/roles', policy)).role!.id!;
  return { user_id: user, access_key: key.access!, group_id: group, role_id: role };
}

/** Ids each account owns, under the names path parameters and body fields give them. */
async function idBook(bed: Awaited<ReturnType<typeof endpointTestBed>>): Promise<IdBook> {
  const { server, netP, netC } = bed;
  const service = await createService(server, netP);
  await whitelistDomain(server, service.id, server.consumer.domainId);
  const providerEndpoint = await createEndpoint(server.provider, {
    endpoint_service_id: service.id,
    vpc_id: netP.vpcId,
    subnet_id: netP.subnetId,
  });
  const consumerEndpoint = await createEndpoint(server.consumer, {
    endpoint_service_id: service.id,
    vpc_id: netC.vpcId,
    subnet_id: netC.subnetId,
  });
  await settled(server.provider, String(providerEndpoint.id));
  await settled(server.consumer, String(consumerEndpoint.id));
  const permissions = await server.provider.sdk({
    method: 'GET',
    url: `/v1/{project_id}/vpc-endpoint-services/${service.id}/permissions`,
  });
  const permissionId = String((permissions.permissions as { id: string }[])[0]?.id);
  const common = { version: 'v1', permission: `iam:domain::${server.consumer.domainId}` };
  const provider = await iamIds(server, 'provider');
  const consumer = await iamIds(server, 'consumer');
  return {
    provider: {
      ...common,
      project_id: server.provider.projectId,
      vpc_id: netP.vpcId,
      subnet_id: netP.subnetId,
      network_id: netP.subnetId,
      port_id: netP.backendPortId ?? '',
      routetable_id: netP.routeTableId,
      routetables: netP.routeTableId,
      vpc_endpoint_service_id: service.id,
      endpoint_service_id: service.id,
      service_id: service.id,
      vpc_endpoint_id: String(providerEndpoint.id),
      endpoint_id: String(providerEndpoint.id),
      permission_id: permissionId,
      domain_id: server.provider.domainId,
      ...provider,
    },
    consumer: {
      ...common,
      project_id: server.consumer.projectId,
      vpc_id: netC.vpcId,
      subnet_id: netC.subnetId,
      network_id: netC.subnetId,
      routetable_id: netC.routeTableId,
      routetables: netC.routeTableId,
      vpc_endpoint_id: String(consumerEndpoint.id),
      endpoint_id: String(consumerEndpoint.id),
      domain_id: server.consumer.domainId,
      ...consumer,
    },
  };
}

for (const dialect of testDialects()) {
  describe(`fuzz of every operation (${dialect})`, () => {
    let server: TestServer;
    let ids: IdBook;
    let creds: Credentials;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    before(async () => {
      const bed = await endpointTestBed(dialect);
      server = bed.server;
      ids = await idBook(bed);
      creds = {
        providerToken: await passwordToken(server.url, server.provider),
        consumerToken: await passwordToken(server.url, server.consumer),
        providerKeys: { ak: server.provider.ak, sk: server.provider.sk },
      };
    });
    after(async () => {
      agent.destroy();
      await server?.close();
    });

    test('no hostile request gets a 5xx, an answer outside the catalog or no answer', async () => {
      const doc = await rawRequest({ method: 'GET', url: `${server.url}/openapi.json` });
      assert.equal(doc.status, 200);
      // Deletes last, so the resources the other operations aim at exist while they run.
      const ops = operationsOf(doc.json).sort(
        (a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'),
      );
      assert.ok(ops.length >= 50, `the document lists every operation (${ops.length})`);

      const byStatus = new Map<string, number>();
      const failures: string[] = [];
      let sent = 0;
      const started = Date.now();
      for (const [index, op] of ops.entries()) {
        for (const c of casesFor(op, {
          ids,
          randomCases: RANDOM_CASES_PER_OPERATION,
          seed: SEED + index * 7919,
        })) {
          const outcome = await sendCase(server.url, op, c, creds, agent, REQUEST_TIMEOUT_MS);
          sent++;
          byStatus.set(String(outcome.status), (byStatus.get(String(outcome.status)) ?? 0) + 1);
          const problems = problemsOf(outcome, op.method);
          if (problems.length > 0) {
            failures.push(
              `${op.method} ${op.path} [${c.auth}] ${c.label}: ${problems.join('; ')} ${outcome.text.slice(0, 200)}`,
            );
          }
        }
      }
      const counts = [...byStatus.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ');
      console.log(
        `fuzz (${dialect}): ${ops.length} operations, ${sent} requests in ${Date.now() - started} ms; ${counts}`,
      );
      assert.deepEqual(failures.slice(0, 30), [], `${failures.length} bad answers`);

      // Alive afterwards: a normal signed request still succeeds.
      const vpcs = await server.provider.sdk({ method: 'GET', url: '/v1/{project_id}/vpcs' });
      assert.ok(Array.isArray(vpcs.vpcs));
    });
  });
}
