// GET /v1/{project_id}/vpc-endpoints/{id}/traffic, the vpcep extension the
// console's live traffic panel reads: the caller's own endpoints only, the
// data plane's counters of this node, null where the node does not forward.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { VPCEP_ACTIONS } from '../../src/auth/policy/actions.ts';
import { ApiError } from '../../src/client/errors.ts';
import type { EndpointTraffic } from '../../src/client/types.ts';
import { cli, sdkEnv } from '../support/cli.ts';
import { signedClient } from '../support/client.ts';
import { testDialects } from '../support/db.ts';
import { rawRequest } from '../support/http.ts';
import { attempt, connectTcp, roundTrip, startTcpBackend, type TcpBackend } from '../support/loopback.ts';
import { reachable } from '../support/reachable.ts';
import { passwordToken, startTestServer, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';
import {
  addToGroup,
  createGroup,
  createKey,
  createPolicy,
  createUser,
  grantOnProject,
  iamClient,
  iamProjectClient,
  updatePolicy,
} from '../identity/iam.support.ts';
import {
  createEndpoint,
  createService,
  networkOf,
  NETWORKS,
  settled,
  whitelistDomain,
} from './endpoints.support.ts';

const BACKEND_IP = '127.20.0.10';
const ENDPOINT_IP = '127.30.0.60';
const INSIDE_CLIENT = '127.30.0.7';
const OUTSIDE_CLIENT = '127.31.0.9';

async function rejected(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => assert.fail('expected an API error'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiError, String(err));
  return err;
}

/** An accepted endpoint of the consumer to a provider service on `backendPort`. */
async function acceptedEndpoint(server: TestServer, backendPort: number, ip: string): Promise<string> {
  const provider = await networkOf(server.provider, 'vpc-p');
  const consumer = await networkOf(server.consumer, 'vpc-c');
  const { id: serviceId } = await createService(server, provider, {
    ports: [{ client_port: 8080, server_port: backendPort, protocol: 'TCP' }],
  });
  await whitelistDomain(server, serviceId, server.consumer.domainId);
  const created = await createEndpoint(server.consumer, {
    endpoint_service_id: serviceId,
    vpc_id: consumer.vpcId,
    subnet_id: consumer.subnetId,
    port_ip: ip,
    enable_whitelist: true,
    whitelist: [consumer.subnetCidr],
  });
  const id = String(created.id);
  const shown = await settled(server.consumer, id);
  assert.equal(shown.status, 'accepted');
  return id;
}

for (const dialect of testDialects()) {
  describe(`endpoint traffic API (${dialect})`, () => {
    let server: TestServer;
    let backend: TcpBackend;
    let endpointId: string;

    before(async () => {
      server = await startTestServer({ dialect, accountExtras: NETWORKS });
      backend = await startTcpBackend(BACKEND_IP);
      endpointId = await acceptedEndpoint(server, backend.port, ENDPOINT_IP);
      await reachable(ENDPOINT_IP, 8080, INSIDE_CLIENT);
    });
    after(async () => {
      await server?.close();
      await backend?.close();
    });

    test('the counters move with traffic and refusals, read through the client', async () => {
      const consumer = signedClient(server.url, server.consumer);
      // The reachability probe's connection may still be closing: start from an idle endpoint.
      const start = await waitUntil(
        () => consumer.endpoints.traffic(endpointId),
        (t: EndpointTraffic) => t.traffic?.active_connections === 0,
        'the endpoint to be idle',
      );
      assert.equal(start.vpc_endpoint_id, endpointId);
      assert.equal(start.dataplane, true);
      assert.ok(start.traffic);

      const socket = await connectTcp(ENDPOINT_IP, 8080, INSIDE_CLIENT);
      const echoed = await roundTrip(socket, Buffer.alloc(1000, 7));
      assert.equal(echoed.length, 1000);
      // The counts come from the workers; a flush that outlasts its bound on a loaded runner
      // answers the last report (250 ms old at most), so the open connection is waited for.
      const activeOpen = start.traffic.active_connections + 1;
      const open = await waitUntil(
        () => consumer.endpoints.traffic(endpointId),
        (t) => t.traffic?.active_connections === activeOpen,
        'the open connection in the counts',
      );
      assert.equal(open.traffic?.active_connections, activeOpen);
      assert.equal(open.traffic?.total_connections, start.traffic.total_connections + 1);
      assert.ok((open.traffic?.bytes_client_to_backend ?? 0) >= start.traffic.bytes_client_to_backend + 1000);
      assert.ok((open.traffic?.bytes_backend_to_client ?? 0) >= start.traffic.bytes_backend_to_client + 1000);
      socket.destroy();
      await waitUntil(
        () => consumer.endpoints.traffic(endpointId),
        (t: EndpointTraffic) => t.traffic?.active_connections === 0,
        'the connection to close',
      );

      // A client outside the endpoint's whitelist is refused and counted by reason.
      await attempt(ENDPOINT_IP, 8080, OUTSIDE_CLIENT);
      const after = await waitUntil(
        () => consumer.endpoints.traffic(endpointId),
        (t: EndpointTraffic) => (t.traffic?.refused.whitelist ?? 0) > (start.traffic?.refused.whitelist ?? 0),
        'a whitelist refusal to be counted',
      );
      assert.equal(after.traffic?.refused.limit, start.traffic.refused.limit);
    });

    test('vpcep endpoints traffic ID prints the counters (table and JSON) and fails on a foreign id', async () => {
      const env = sdkEnv(server.url, server.consumer);
      const json = await cli(['endpoints', 'traffic', endpointId, '-o', 'json'], { env });
      assert.equal(json.code, 0, json.stderr);
      const parsed = JSON.parse(json.stdout) as EndpointTraffic;
      assert.equal(parsed.vpc_endpoint_id, endpointId);
      assert.equal(typeof parsed.traffic?.refused.whitelist, 'number');
      const table = await cli(['endpoints', 'traffic', endpointId, '-o', 'table'], { env });
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^total_connections\s+\d+$/m);
      assert.match(table.stdout, /^refused_whitelist\s+\d+$/m);
      const foreign = await cli(['endpoints', 'traffic', endpointId], {
        env: sdkEnv(server.url, server.provider),
      });
      assert.equal(foreign.code, 1);
      assert.match(foreign.stderr, /EndPoint\.2006/);
    });

    test("another project's endpoint is 404 EndPoint.2006 like a missing one", async () => {
      const provider = signedClient(server.url, server.provider);
      const foreign = await rejected(provider.endpoints.traffic(endpointId));
      const missing = await rejected(provider.endpoints.traffic('0b6f1f0e-4c3a-4f8e-9d2a-5a7b8c9d0e1f'));
      for (const err of [foreign, missing]) {
        assert.equal(err.status, 404);
        assert.equal(err.errorCode, 'EndPoint.2006');
      }
    });

    test('tokens: the own project only; no credentials is 401; the answer is never cached', async () => {
      const url = (project: string, id = endpointId) =>
        `${server.url}/v1/${project}/vpc-endpoints/${id}/traffic`;
      const token = await passwordToken(server.url, server.consumer);
      const own = await rawRequest({
        method: 'GET',
        url: url(server.consumer.projectId),
        headers: { 'x-auth-token': token },
      });
      assert.equal(own.status, 200, own.text);
      assert.equal(own.headers['cache-control'], 'no-store');
      // The consumer's token on the provider's project path: refused before any look-up.
      const other = await rawRequest({
        method: 'GET',
        url: url(server.provider.projectId),
        headers: { 'x-auth-token': token },
      });
      assert.equal(other.status, 403, other.text);
      assert.equal((JSON.parse(other.text) as { error_code: string }).error_code, 'EndPoint.0004');
      const anonymous = await rawRequest({ method: 'GET', url: url(server.consumer.projectId) });
      assert.equal(anonymous.status, 401, anonymous.text);
    });

    test('an IAM user of the account needs vpcep:endpoints:get; Deny wins over vpcep:*', async () => {
      const c = server.consumer;
      const owner = iamClient(server.url, c, c.domainId);
      const user = await createUser(owner, c.domainId, 'traffic-reader', 'Traffic-reader-1');
      const group = await createGroup(owner, 'traffic-readers');
      await addToGroup(owner, group, user);
      const others = VPCEP_ACTIONS.filter((a) => a !== 'vpcep:endpoints:get');
      const policy = await createPolicy(owner, 'traffic', [{ Effect: 'Allow', Action: others }]);
      await grantOnProject(iamProjectClient(server.url, c, c.projectId), group, policy);
      const keys = await createKey(owner, user);
      const reader = signedClient(server.url, { ...keys, projectId: c.projectId });

      // Every VPCEP action but this one: refused before the endpoint is looked up.
      for (const id of [endpointId, '0b6f1f0e-4c3a-4f8e-9d2a-5a7b8c9d0e1f']) {
        const refused = await rejected(reader.endpoints.traffic(id));
        assert.equal(refused.status, 403);
        assert.equal(refused.errorCode, 'EndPoint.0004');
      }
      await updatePolicy(owner, policy, 'traffic', [{ Effect: 'Allow', Action: ['vpcep:endpoints:get'] }]);
      const read = await reader.endpoints.traffic(endpointId);
      assert.equal(read.vpc_endpoint_id, endpointId);
      assert.equal(read.dataplane, true);
      await updatePolicy(owner, policy, 'traffic', [
        { Effect: 'Allow', Action: ['vpcep:*:*'] },
        { Effect: 'Deny', Action: ['vpcep:endpoints:get'] },
      ]);
      assert.equal((await rejected(reader.endpoints.traffic(endpointId))).status, 403);
    });

    test('hostile ids get a catalog error, never a 5xx', async () => {
      const token = await passwordToken(server.url, server.consumer);
      const base = `${server.url}/v1/${server.consumer.projectId}/vpc-endpoints`;
      for (const id of ['%00', 'x'.repeat(100_000), '%2e%2e', "'%20OR%201=1--", '%E2%80%AE', '%ff']) {
        const res = await rawRequest({
          method: 'GET',
          url: `${base}/${id}/traffic`,
          headers: { 'x-auth-token': token },
        });
        assert.ok(
          res.status >= 400 && res.status < 500,
          `${id.slice(0, 20)}: ${res.status} ${res.text.slice(0, 200)}`,
        );
        const body = JSON.parse(res.text) as { error_code?: string };
        // EndPoint.* from the API, APIG.* from the edge (headers too large): the catalog either way.
        assert.match(body.error_code ?? '', /^(EndPoint|APIG)\.\d{4}$/, res.text.slice(0, 200));
      }
    });
  });
}

describe('endpoint traffic API on a node without the dataplane role', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ accountExtras: NETWORKS, overrides: { roles: ['api', 'jobs'] } });
  });
  after(async () => server?.close());

  test('answers dataplane false and traffic null, not zeros', async () => {
    const id = await acceptedEndpoint(server, 9, '127.30.0.61');
    const answer = await signedClient(server.url, server.consumer).endpoints.traffic(id);
    assert.deepEqual(answer, { vpc_endpoint_id: id, dataplane: false, traffic: null });
  });
});
