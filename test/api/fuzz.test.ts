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
import { exchange } from './edge.support.ts';
import { casesFor, type IdBook } from './fuzz/cases.ts';
import { headerCases } from './fuzz/headers.ts';
import { operationsOf, type Operation } from './fuzz/openapi.ts';
import { fuzzPlan, registeredRoutes } from './fuzz/routes.ts';
import { problemsOf, sendCase, type Credentials, type Outcome } from './fuzz/wire.ts';

// Drives every route of the server with hostile requests, authenticated (token
// and AK/SK, own and foreign) and anonymous: every operation of its own OpenAPI
// document, and the routes the document leaves out (fuzz/routes.ts says which
// and why), then hostile header values. Every answer is held to the rules: no
// 5xx, no hang, every error in the catalog's shape with a matching
// X-Request-Id, and a server that still serves afterwards.
//
// Bounded in time: `npm test` gives a test file 300 s (--test-timeout; on Node
// 20 that caps the whole file, not each test), so the file keeps within
// FILE_BUDGET_MS. Each store gets an equal share of what is left for sending
// cases, and each operation about its part of that share by its number of
// cases, so a run the deadline cuts short has tried every operation (always
// its first case); it still checks the server and reports what it sent. A machine fast enough sends every case. VPCEP_FUZZ_BUDGET_MS sets
// another budget (raise --test-timeout with it).

const SEED = 0x7e57_f022;
const RANDOM_CASES_PER_OPERATION = 30;
const REQUEST_TIMEOUT_MS = 15_000;
const FILE_BUDGET_MS = Number(process.env.VPCEP_FUZZ_BUDGET_MS) || 95_000;
const FILE_DEADLINE = Date.now() + FILE_BUDGET_MS;
/** How far past its even part of the time left one operation may run (see the loop), */
const SLACK = 4;
/** and at least this long: a few slow first requests must not cut an operation of few cases. */
const MIN_OPERATION_MS = 1000;
/** What a store needs besides sending operation cases: its test bed, the header cases, closing. */
const STORE_OVERHEAD_MS = 15_000;
/** Timeouts of the tests and hooks: far above what the budget lets them take. */
const TEST_TIMEOUT_MS = FILE_BUDGET_MS + 60_000;

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
  const common = {
    version: 'v1',
    permission: `iam:domain::${server.consumer.domainId}`,
    // The tag routes' catch-all for a type that is neither of the two real ones.
    resource_type: 'load_balancer',
    // A file of Swagger UI's, for the wildcard file routes of /docs and /console.
    file: 'swagger-ui.css',
  };
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

/** Counts of answers by status, and the answers that broke a rule. */
class Tally {
  readonly byStatus = new Map<string, number>();
  readonly failures: string[] = [];
  sent = 0;

  record(label: string, outcome: Outcome, method: string): void {
    this.sent++;
    const status = String(outcome.status);
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    const problems = problemsOf(outcome, method);
    if (problems.length > 0) {
      this.failures.push(`${label}: ${problems.join('; ')} ${outcome.text.slice(0, 200)}`);
    }
  }

  statuses(): string {
    return [...this.byStatus.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ');
  }
}

test('the route check reports a route that is neither fuzzed nor left out with a reason', () => {
  const vpcs: Operation = {
    method: 'GET',
    path: '/v1/{project_id}/vpcs',
    pathParams: [{ name: 'project_id', in: 'path', required: true }],
    queryParams: [],
    body: undefined,
  };
  const plan = fuzzPlan(
    [
      { method: 'GET', path: '/v1/{project_id}/vpcs' },
      { method: 'HEAD', path: '/v1/{project_id}/vpcs' },
      { method: 'GET', path: '/metrics' },
      { method: 'POST', path: '/v1/{project_id}/hidden/{id}' },
      { method: 'HEAD', path: '/v1/{project_id}/hidden/{id}' },
    ],
    [vpcs],
  );
  assert.deepEqual(plan.uncovered, [
    'POST /v1/{project_id}/hidden/{id}',
    'HEAD /v1/{project_id}/hidden/{id}',
  ]);
  assert.deepEqual(
    plan.heads.map((op) => `${op.method} ${op.path}`),
    ['HEAD /v1/{project_id}/vpcs'],
  );
  assert.equal(plan.skipped.length, 1);
  // Entries that no longer match anything are reported too, so the lists cannot rot.
  assert.ok(plan.stale.some((s) => s.startsWith('Swagger UI')));
  assert.ok(plan.stale.includes('GET /docs/static/{file}'));
});

const dialects = testDialects();
for (const [index, dialect] of dialects.entries()) {
  describe(`fuzz of every route (${dialect})`, () => {
    let server: TestServer;
    let ids: IdBook;
    let creds: Credentials;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    before(
      async () => {
        const bed = await endpointTestBed(dialect);
        server = bed.server;
        ids = await idBook(bed);
        creds = {
          providerToken: await passwordToken(server.url, server.provider),
          consumerToken: await passwordToken(server.url, server.consumer),
          providerKeys: { ak: server.provider.ak, sk: server.provider.sk },
        };
      },
      { timeout: TEST_TIMEOUT_MS },
    );
    after(async () => {
      agent.destroy();
      await server?.close();
    });

    test(
      'no hostile request to any route gets a 5xx, an answer outside the catalog or no answer',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const doc = await rawRequest({ method: 'GET', url: `${server.url}/openapi.json` });
        assert.equal(doc.status, 200);
        const documented = operationsOf(doc.json);
        assert.ok(documented.length >= 50, `the document lists every operation (${documented.length})`);

        // Every registered route is fuzzed, or left out on purpose with its reason.
        const plan = fuzzPlan(registeredRoutes(server.running.app), documented);
        assert.deepEqual(plan.uncovered, [], 'routes neither fuzzed nor on NOT_FUZZED (fuzz/routes.ts)');
        assert.deepEqual(plan.stale, [], 'NOT_FUZZED entries or hidden routes that match no route');

        // Read-only HEADs first, deletes last, so the resources the other operations aim
        // at exist while they run. Documented operations keep their seeds from before
        // the hidden routes and HEADs were added, so their cases are unchanged.
        const documentedOrder = [...documented].sort(
          (x, y) => Number(x.method === 'DELETE') - Number(y.method === 'DELETE'),
        );
        const seedOf = (op: Operation, i: number) => {
          const d = documentedOrder.indexOf(op);
          return SEED + (d >= 0 ? d : 1000 + i) * 7919;
        };
        // A HEAD has no body: its path and query cases only.
        const casesOf = (op: Operation, i: number, head: boolean) =>
          head
            ? casesFor(op, { ids, randomCases: 0, seed: seedOf(op, i) }).filter((c) => !c.body)
            : casesFor(op, { ids, randomCases: RANDOM_CASES_PER_OPERATION, seed: seedOf(op, i) });
        const jobs = [
          ...plan.heads.map((op) => ({ op, head: true })),
          ...plan.operations.filter((op) => op.method !== 'DELETE').map((op) => ({ op, head: false })),
          ...plan.operations.filter((op) => op.method === 'DELETE').map((op) => ({ op, head: false })),
        ].map(({ op, head }, i) => ({ op, cases: casesOf(op, i, head) }));
        const total = jobs.reduce((n, j) => n + j.cases.length, 0);

        // This store's share of what the file has left. Each operation may then take up to
        // SLACK times the part of what is left that its cases are of the cases left (some
        // cases cost far more than others; time a quick one leaves goes to the next), at
        // least MIN_OPERATION_MS, never past the store's deadline, and always sends its
        // first case.
        const storesLeft = dialects.length - index;
        const started = Date.now();
        const share = Math.max(0, (FILE_DEADLINE - started - STORE_OVERHEAD_MS * storesLeft) / storesLeft);
        const storeDeadline = started + share;
        const tally = new Tally();
        let casesLeft = total;
        for (const { op, cases } of jobs) {
          const now = Date.now();
          const even = ((storeDeadline - now) * cases.length) / casesLeft;
          const opDeadline = Math.min(storeDeadline, now + Math.max(MIN_OPERATION_MS, SLACK * even));
          casesLeft -= cases.length;
          for (const [k, c] of cases.entries()) {
            if (k > 0 && Date.now() > opDeadline) break;
            const outcome = await sendCase(server.url, op, c, creds, agent, REQUEST_TIMEOUT_MS);
            tally.record(`${op.method} ${op.path} [${c.auth}] ${c.label}`, outcome, op.method);
          }
        }
        const unsent = total - tally.sent;

        const cut =
          unsent > 0 ? `; cut by the time budget (${Math.round(share / 1000)} s): ${unsent} not sent` : '';
        console.log(
          `fuzz (${dialect}): ${documented.length} documented operations, ${plan.operations.length - documented.length} hidden, ` +
            `${plan.heads.length} HEAD; ${plan.skipped.length} routes not fuzzed; ` +
            `${tally.sent} of ${total} requests in ${Date.now() - started} ms${cut}; ${tally.statuses()}`,
        );
        assert.deepEqual(tally.failures.slice(0, 30), [], `${tally.failures.length} bad answers`);

        // Alive afterwards: a normal signed request still succeeds.
        const vpcs = await server.provider.sdk({ method: 'GET', url: '/v1/{project_id}/vpcs' });
        assert.ok(Array.isArray(vpcs.vpcs));
      },
    );

    test(
      'no hostile header value gets a 5xx, an answer outside the catalog or no answer',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const cases = headerCases({
          host: new URL(server.url).host,
          projectId: server.provider.projectId,
          token: creds.providerToken,
          ak: server.provider.ak,
        });
        const tally = new Tally();
        const started = Date.now();
        for (const c of cases) {
          const outcome: Outcome = await exchange(server.url, c.bytes, {
            timeoutMs: REQUEST_TIMEOUT_MS,
          }).then(
            (a) => ({ status: a.status, headers: a.headers, text: a.body }),
            () => ({ status: 'no answer' as const, headers: {}, text: '' }),
          );
          tally.record(c.label, outcome, c.method);
        }
        console.log(
          `fuzz headers (${dialect}): ${tally.sent} requests in ${Date.now() - started} ms; ${tally.statuses()}`,
        );
        assert.deepEqual(tally.failures.slice(0, 30), [], `${tally.failures.length} bad answers`);

        const vpcs = await server.provider.sdk({ method: 'GET', url: '/v1/{project_id}/vpcs' });
        assert.ok(Array.isArray(vpcs.vpcs));
      },
    );
  });
}
