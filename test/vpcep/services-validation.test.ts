// Every rejection of the endpoint-service API with its code, the quota (including
// two creates racing for the last unit) and the states in which a service
// cannot be changed. The happy paths are in services.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ServiceView } from '../../src/vpcep/services/views.ts';
import { testDialects } from '../support/db.ts';
import { rawRequest } from '../support/http.ts';
import { sdkError } from '../support/sdk.ts';
import { passwordToken, startTestServer, type TestAccount, type TestServer } from '../support/server.ts';
import { waitUntil as waitFor } from '../support/wait.ts';
import { inventory, PROVIDER_VPCS, SERVICES, status, wire } from './services.support.ts';

/** The base server ports of every create are distinct, so no case fails on 3044 by accident. */
let nextServerPort = 20_000;

function baseBody(ids: Awaited<ReturnType<typeof inventory>>): Record<string, unknown> {
  return {
    port_id: ids.port('127.20.0.10'),
    vpc_id: ids.vpc('vpc-a'),
    server_type: 'VM',
    ports: [{ client_port: 80, server_port: nextServerPort++, protocol: 'TCP' }],
  };
}

for (const dialect of testDialects()) {
  describe(`endpoint service validation (${dialect})`, () => {
    let server: TestServer;
    let provider: TestAccount;
    let ids: Awaited<ReturnType<typeof inventory>>;
    const MAX_PORTS = 4;

    before(async () => {
      server = await startTestServer({
        dialect,
        accountExtras: { provider: PROVIDER_VPCS },
        overrides: { limits: { endpoint_whitelist: 20, port_mappings: MAX_PORTS, permissions: 500 } },
      });
      provider = server.provider;
      ids = await inventory(provider);
    });
    after(async () => server.close());

    const createWith = (change: Record<string, unknown>, drop: string[] = []) => {
      const body = { ...baseBody(ids), ...change };
      for (const key of drop) delete body[key];
      return provider.sdk({ method: 'POST', url: SERVICES, data: body });
    };
    const expectCode = async (promise: Promise<unknown>, code: string, why: string) => {
      const err = await sdkError(promise);
      assert.equal(err.errorCode, code, `${why}: ${err.errorMsg}`);
      assert.equal(err.httpStatusCode, 400, why);
    };

    test('create: each bad input answers its own code', async () => {
      const cases: [Record<string, unknown>, string, string][] = [
        [{ vpc_id: crypto.randomUUID() }, 'EndPoint.2001', 'unknown VPC'],
        [{ vpc_id: '' }, 'EndPoint.2011', 'empty VPC id'],
        [{ port_id: crypto.randomUUID() }, 'EndPoint.3008', 'unknown port'],
        [{ port_id: ids.port('127.21.0.10') }, 'EndPoint.3042', 'port of another VPC'],
        [{ server_type: 'XX' }, 'EndPoint.3021', 'server_type'],
        [{ server_type: 'vm' }, 'EndPoint.3021', 'server_type is case-sensitive'],
        [{ service_type: 'gateway' }, 'EndPoint.0002', 'gateway is operator-only'],
        [{ service_type: 'other' }, 'EndPoint.0002', 'service_type'],
        [{ ports: [] }, 'EndPoint.2028', 'no port mapping'],
        [{ ports: [{ client_port: 80 }] }, 'EndPoint.2028', 'server_port missing'],
        [{ ports: [{ server_port: 80 }] }, 'EndPoint.2028', 'client_port missing'],
        [
          {
            ports: Array.from({ length: MAX_PORTS + 1 }, (_, i) => ({
              client_port: i + 1,
              server_port: i + 30_001,
            })),
          },
          'EndPoint.3074',
          'too many mappings',
        ],
        [{ ports: [{ client_port: 0, server_port: 30_100 }] }, 'EndPoint.3043', 'client_port 0'],
        [{ ports: [{ client_port: 80, server_port: 65_536 }] }, 'EndPoint.3043', 'server_port 65536'],
        [{ ports: [{ client_port: -1, server_port: 30_101 }] }, 'EndPoint.3043', 'negative port'],
        [
          { ports: [{ client_port: 80, server_port: 30_102, protocol: 'SCTP' }] },
          'EndPoint.3075',
          'protocol',
        ],
        [
          { ports: [{ client_port: 80, server_port: 30_103, protocol: 'tcp' }] },
          'EndPoint.3075',
          'lower-case',
        ],
        [
          {
            ports: [
              { client_port: 80, server_port: 30_104 },
              { client_port: 80, server_port: 30_105, protocol: 'TCP' },
            ],
          },
          'EndPoint.0002',
          'duplicate client_port+protocol',
        ],
        [{ service_name: 'x'.repeat(17) }, 'EndPoint.3076', 'name too long'],
        [{ service_name: 'has.dot' }, 'EndPoint.3076', 'name with a dot'],
        [{ service_name: 'spa ce' }, 'EndPoint.3076', 'name with a space'],
        [{ description: 'x'.repeat(129) }, 'EndPoint.0002', 'description too long'],
        [{ description: 'a <b>' }, 'EndPoint.0002', 'description with <'],
        [
          { tags: Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
          'EndPoint.3069',
          '11 tags',
        ],
        [{ tags: [{ key: 'a' }, { key: 'a', value: 'x' }] }, 'EndPoint.3067', 'duplicate tag key'],
        [{ tags: [{ key: '' }] }, 'EndPoint.3066', 'empty tag key'],
        [{ tags: [{ key: 'k'.repeat(37) }] }, 'EndPoint.3072', 'tag key too long'],
        [{ tags: [{ key: 'k', value: 'v'.repeat(44) }] }, 'EndPoint.3073', 'tag value too long'],
        [{ tags: [{ key: 'a=b' }] }, 'EndPoint.3068', 'tag key with ='],
        [{ tags: [{ key: ' lead' }] }, 'EndPoint.3068', 'tag key with a leading space'],
        [{ tags: [{ key: 'k', value: 'a/b' }] }, 'EndPoint.3068', 'tag value with /'],
        [{ tcp_proxy: 'on' }, 'EndPoint.0002', 'tcp_proxy'],
        [{ cidr_type: 'private' }, 'EndPoint.0002', 'cidr_type'],
        [{ ip_version: 'ipv5' }, 'EndPoint.0002', 'ip_version'],
        // Wrong JSON types are 0002, never coerced.
        [{ approval_enabled: 'false' }, 'EndPoint.0002', 'approval_enabled as a string'],
        [{ enable_policy: 1 }, 'EndPoint.0002', 'enable_policy as a number'],
        [{ ports: [{ client_port: '80', server_port: 30_107 }] }, 'EndPoint.0002', 'port as a string'],
        [{ ports: [{ client_port: 80.5, server_port: 30_108 }] }, 'EndPoint.0002', 'fractional port'],
        [{ ports: { client_port: 80, server_port: 30_109 } }, 'EndPoint.0002', 'ports as an object'],
        [{ vpc_id: 42 }, 'EndPoint.0002', 'vpc_id as a number'],
        [{ tags: [{ key: 'k', value: 1 }] }, 'EndPoint.0002', 'tag value as a number'],
        [{ pool_id: true }, 'EndPoint.0002', 'pool_id as a boolean'],
        [{ unknown_field: 1 }, 'EndPoint.0002', 'unknown field'],
        [
          { ports: [{ client_port: 80, server_port: 30_110, weight: 1 }] },
          'EndPoint.0002',
          'unknown port key',
        ],
      ];
      for (const [change, code, why] of cases) await expectCode(createWith(change), code, why);
      for (const key of ['port_id', 'vpc_id', 'server_type', 'ports']) {
        await expectCode(createWith({}, [key]), 'EndPoint.0002', `${key} missing`);
      }
      await expectCode(
        provider.sdk({ method: 'POST', url: SERVICES, data: [] }),
        'EndPoint.0002',
        'array body',
      );
      await expectCode(provider.sdk({ method: 'POST', url: SERVICES }), 'EndPoint.0002', 'no body');
      // Nothing was created by any of these.
      const listed = wire<{ total_count: number }>(await provider.sdk({ method: 'GET', url: SERVICES }));
      assert.equal(listed.total_count, 0);
    });

    test('create: malformed JSON is 400 EndPoint.0002', async () => {
      const token = await passwordToken(server.url, provider);
      const headers = {
        'x-auth-token': token,
        'content-type': 'application/json',
      };
      for (const body of ['{"port_id": ', '[1,', 'nul', '{"ports":[{"client_port":80,}]}']) {
        const res = await rawRequest({
          method: 'POST',
          url: `${server.url}/v1/${provider.projectId}/vpc-endpoint-services`,
          headers,
          body,
        });
        assert.equal(res.status, 400, body);
        assert.equal((res.json as { error_code: string }).error_code, 'EndPoint.0002', body);
      }
    });

    test('port conflicts: a server_port+protocol is used once per backend port (EndPoint.3044)', async () => {
      const port = nextServerPort++;
      // Within one service, several client ports may share a server port (seed 004 §5.1).
      const first = await createWith({
        ports: [
          { client_port: 80, server_port: port, protocol: 'TCP' },
          { client_port: 81, server_port: port, protocol: 'TCP' },
          { client_port: 82, server_port: port, protocol: 'TCP' },
        ],
      });
      assert.equal(first.httpStatusCode, 200);
      assert.equal((first.ports as unknown[]).length, 3);
      await expectCode(
        createWith({ ports: [{ client_port: 81, server_port: port, protocol: 'TCP' }] }),
        'EndPoint.3044',
        'same server_port+protocol on the same port_id',
      );
      // Another protocol, or another backend port, is no conflict.
      const udp = await createWith({ ports: [{ client_port: 80, server_port: port, protocol: 'UDP' }] });
      assert.equal(udp.httpStatusCode, 200);
      const other = await createWith({
        port_id: ids.port('127.20.0.11'),
        ports: [{ client_port: 80, server_port: port, protocol: 'TCP' }],
      });
      assert.equal(other.httpStatusCode, 200);
      // Two creates racing for one pair: the unique index lets exactly one through.
      const racePort = nextServerPort++;
      const race = await Promise.allSettled(
        [90, 91].map((client_port) =>
          createWith({ ports: [{ client_port, server_port: racePort, protocol: 'TCP' }] }),
        ),
      );
      assert.equal(race.filter((r) => r.status === 'fulfilled').length, 1);
      const loser = race.find((r) => r.status === 'rejected');
      assert.equal((loser?.reason as { errorCode?: string }).errorCode, 'EndPoint.3044');
      // An update that takes the pair conflicts too; the service's own mappings do not.
      const id = String(udp.id);
      await waitFor(
        () => provider.sdk({ method: 'GET', url: `${SERVICES}/${id}` }),
        (s) => s.status === 'available',
        'available',
      );
      await expectCode(
        provider.sdk({
          method: 'PUT',
          url: `${SERVICES}/${id}`,
          data: { ports: [{ client_port: 9, server_port: port, protocol: 'TCP' }] },
        }),
        'EndPoint.3044',
        'update onto a taken pair',
      );
      const same = await provider.sdk({
        method: 'PUT',
        url: `${SERVICES}/${id}`,
        data: { ports: [{ client_port: 9, server_port: port, protocol: 'UDP' }] },
      });
      assert.deepEqual(same.ports, [{ client_port: 9, server_port: port, protocol: 'UDP' }]);
    });

    test('update: bad bodies and combinations', async () => {
      const s = wire<ServiceView>(await createWith({}));
      await waitFor(
        () => provider.sdk({ method: 'GET', url: `${SERVICES}/${s.id}` }),
        (v) => v.status === 'available',
        'available',
      );
      const put = (data: unknown) => provider.sdk({ method: 'PUT', url: `${SERVICES}/${s.id}`, data });
      const cases: [unknown, string, string][] = [
        [{ port_id: ids.port('127.20.0.11'), ip: '127.20.0.11' }, 'EndPoint.3052', 'port_id with ip'],
        [{ vip_port_id: ids.port('127.20.0.11'), ip: '127.20.0.11' }, 'EndPoint.3053', 'vip_port_id with ip'],
        [{ ports: [] }, 'EndPoint.2028', 'empty ports'],
        [{ ports: [{ client_port: 1, server_port: 70_000 }] }, 'EndPoint.3043', 'port range'],
        [{ ports: [{ client_port: 1, server_port: 7, protocol: 'ICMP' }] }, 'EndPoint.3075', 'protocol'],
        [{ service_name: '' + 'ü' }, 'EndPoint.3076', 'name charset'],
        [{ description: '>' }, 'EndPoint.0002', 'description'],
        [{ tcp_proxy: 'maybe' }, 'EndPoint.0002', 'tcp_proxy'],
        [{ approval_enabled: 'yes' }, 'EndPoint.0002', 'approval_enabled type'],
        [{ vpc_id: ids.vpc('vpc-b') }, 'EndPoint.0002', 'vpc_id cannot be changed'],
        [{ server_type: 'LB' }, 'EndPoint.0002', 'server_type cannot be changed'],
        [{ tags: [] }, 'EndPoint.0002', 'tags go through the tag API'],
        ['text', 'EndPoint.0002', 'string body'],
      ];
      for (const [body, code, why] of cases) await expectCode(put(body), code, why);
      const missing = await sdkError(
        provider.sdk({
          method: 'PUT',
          url: `${SERVICES}/${crypto.randomUUID()}`,
          data: { description: 'x' },
        }),
      );
      assert.equal(missing.httpStatusCode, 404);
      assert.equal(missing.errorCode, 'EndPoint.0005');
    });
  });

  describe(`endpoint service quota (${dialect})`, () => {
    let server: TestServer;
    let ids: Awaited<ReturnType<typeof inventory>>;

    before(async () => {
      server = await startTestServer({
        dialect,
        accountExtras: { provider: PROVIDER_VPCS },
        overrides: { quotas: { endpoint_service: 2, endpoint: 50 } },
      });
      ids = await inventory(server.provider);
    });
    after(async () => server.close());

    test('two creates race for the last unit: exactly one wins, the other gets Endpoint.1018', async () => {
      const create = () => server.provider.sdk({ method: 'POST', url: SERVICES, data: baseBody(ids) });
      const first = wire<ServiceView>(await create());
      const results = await Promise.allSettled([create(), create()]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      const err = await sdkError(Promise.reject((lost[0] as PromiseRejectedResult).reason as Error));
      assert.equal(err.httpStatusCode, 400);
      assert.equal(err.errorCode, 'Endpoint.1018');
      const over = await sdkError(create());
      assert.equal(over.errorCode, 'Endpoint.1018');
      const listed = wire<{ total_count: number }>(
        await server.provider.sdk({ method: 'GET', url: SERVICES }),
      );
      assert.equal(listed.total_count, 2);

      // A quota is per project: the consumer still has its own two.
      const foreign = await sdkError(
        server.consumer.sdk({ method: 'POST', url: SERVICES, data: baseBody(ids) }),
      );
      assert.equal(foreign.errorCode, 'EndPoint.2001', 'fails on the VPC, not on the quota');

      // The unit comes back once a delete has finished.
      await server.provider.sdk({ method: 'DELETE', url: `${SERVICES}/${first.id}` });
      await waitFor(
        () => status(server.provider.sdk({ method: 'GET', url: `${SERVICES}/${first.id}` })),
        (code) => code === 404,
        'deleted',
      );
      assert.equal((await create()).httpStatusCode, 200);
    });
  });

  describe(`endpoint service states that refuse changes (${dialect})`, () => {
    let server: TestServer;
    let ids: Awaited<ReturnType<typeof inventory>>;

    before(async () => {
      // Long transitions keep services in creating and deleting for the whole test.
      server = await startTestServer({
        dialect,
        accountExtras: { provider: PROVIDER_VPCS },
        overrides: {
          lifecycle: {
            endpoint_service_create: 600_000,
            endpoint_service_delete: 600_000,
            endpoint_create: 0,
            endpoint_delete: 0,
          },
        },
      });
      ids = await inventory(server.provider);
    });
    after(async () => server.close());

    test('creating and deleting services answer EndPoint.3045 to PUT; DELETE is idempotent', async () => {
      const p = server.provider;
      const s = wire<ServiceView>(await p.sdk({ method: 'POST', url: SERVICES, data: baseBody(ids) }));
      const url = `${SERVICES}/${s.id}`;
      assert.equal(s.status, 'creating');
      const refused = async (why: string) => {
        for (const call of [
          () => p.sdk({ method: 'PUT', url, data: { description: 'x' } }),
          () => p.sdk({ method: 'PUT', url: `${url}/name`, data: { endpoint_service_name: 'x' } }),
        ]) {
          const err = await sdkError(call());
          assert.equal(err.errorCode, 'EndPoint.3045', why);
        }
      };
      await refused('creating');
      const listed = wire<{ endpoint_services: ServiceView[] }>(
        await p.sdk({ method: 'GET', url: SERVICES, queryParams: { status: 'creating' } }),
      );
      assert.deepEqual(
        listed.endpoint_services.map((x) => x.id),
        [s.id],
      );

      assert.equal(
        (await p.sdk({ method: 'DELETE', url })).httpStatusCode,
        204,
        'a creating service may be deleted',
      );
      const shown = await p.sdk({ method: 'GET', url });
      assert.equal(shown.status, 'deleting');
      await refused('deleting');
      const up = await sdkError(
        p.sdk({ method: 'POST', url: `/v2/{project_id}/vpc-endpoint-services/${s.id}/upgrade` }),
      );
      assert.equal(up.errorCode, 'EndPoint.3045');
      assert.equal((await p.sdk({ method: 'DELETE', url })).httpStatusCode, 204, 'repeated DELETE');
      assert.equal((await p.sdk({ method: 'GET', url })).status, 'deleting');
      const deleting = wire<{ endpoint_services: ServiceView[]; total_count: number }>(
        await p.sdk({ method: 'GET', url: SERVICES, queryParams: { status: 'deleting' } }),
      );
      assert.equal(deleting.total_count, 1);
      // Only one delete job exists, however often DELETE was called.
      const jobs = await server.running.store.db
        .selectFrom('jobs')
        .select(['kind'])
        .where('resource_id', '=', s.id)
        .execute();
      assert.deepEqual(
        jobs.map((j) => j.kind),
        ['endpoint_service.delete'],
      );
    });
  });
}

for (const dialect of testDialects()) {
  describe(`a service whose backend vanished while creating (${dialect})`, () => {
    let server: TestServer;
    let ids: Awaited<ReturnType<typeof inventory>>;

    before(async () => {
      server = await startTestServer({
        dialect,
        accountExtras: { provider: PROVIDER_VPCS },
        overrides: {
          lifecycle: {
            // Far off: the test makes the job due itself once the port is gone, so a slow
            // runner cannot let it finish first.
            endpoint_service_create: 600_000,
            endpoint_service_delete: 0,
            endpoint_create: 0,
            endpoint_delete: 0,
          },
        },
      });
      ids = await inventory(server.provider);
    });
    after(async () => server.close());

    test('ends failed with an error entry, can still be modified, and deleted', async () => {
      const p = server.provider;
      const portId = ids.port('127.20.0.11');
      const s = wire<ServiceView>(
        await p.sdk({ method: 'POST', url: SERVICES, data: { ...baseBody(ids), port_id: portId } }),
      );
      assert.equal(s.status, 'creating');
      // The VPC API refuses to delete a port a service refers to; a store written
      // before that rule may still lose it, which a direct delete reproduces.
      const refused = await sdkError(p.sdk({ method: 'DELETE', url: `/v1/{project_id}/ports/${portId}` }));
      assert.equal(refused.errorCode, 'VPC.0401');
      await server.running.store.db.deleteFrom('ports').where('id', '=', portId).execute();
      await server.running.store.db
        .updateTable('jobs')
        .set({ run_at: Date.now() })
        .where('resource_id', '=', s.id)
        .execute();
      server.running.jobs?.wake();
      const url = `${SERVICES}/${s.id}`;
      const failed = wire<ServiceView>(
        await waitFor(
          () => p.sdk({ method: 'GET', url }),
          (v) => v.status === 'failed',
          'failed',
        ),
      );
      assert.equal(failed.error.length, 1);
      // Both spellings of an error entry (OTC documents one, the Huawei SDK models the other).
      assert.deepEqual(failed.error[0], {
        error_code: 'EndPoint.3008',
        error_message: `The backend port ${portId} does not exist.`,
        code: 'EndPoint.3008',
        message: `The backend port ${portId} does not exist.`,
      });
      const listed = wire<{ endpoint_services: ServiceView[]; total_count: number }>(
        await p.sdk({ method: 'GET', url: SERVICES, queryParams: { status: 'failed' } }),
      );
      assert.deepEqual(
        listed.endpoint_services.map((x) => x.id),
        [s.id],
      );
      assert.equal(listed.total_count, 1);
      const modified = await p.sdk({ method: 'PUT', url, data: { description: 'still mine' } });
      assert.equal(modified.status, 'failed');
      assert.equal((await p.sdk({ method: 'DELETE', url })).httpStatusCode, 204);
      await waitFor(
        () => status(p.sdk({ method: 'GET', url })),
        (code) => code === 404,
        'gone',
      );
    });
  });
}
