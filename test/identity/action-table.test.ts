import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { VPCEP_ACTIONS, VPC_ACTIONS } from '../../src/auth/policy/actions.ts';
import { catalog, wireCode, type ErrorCode } from '../../src/errors/catalog.ts';
import { testDialects } from '../support/db.ts';
import { rawRequest } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  addToGroup,
  createGroup,
  createKey,
  createPolicy,
  createUser,
  grantOnProject,
  iamClient,
  iamProjectClient,
  outcome,
  signedCaller,
  updatePolicy,
} from './iam.support.ts';

// Every VPCEP and VPC operation checks exactly its own action: a user allowed
// every action of the service but that one is refused, and a user allowed that
// one action alone is not: it is neither refused nor unauthenticated, and gets
// the operation's own answer. A read answers what the table says (200 for a
// list, the resource's 404 for an id that exists nowhere); a write (with an
// empty body) a status below 500 and a code of the catalog with that status.
// The table is the seed's and the API reference's mapping (docs/iam.md); an
// operation missing from it fails the test.

const ID = '00000000-0000-0000-0000-000000000000';

/** A read's answer to a caller allowed its action: `200`, or `STATUS CODE`. */
type Read = '200' | `${number} ${string}`;

const TABLE: [method: string, path: string, action: string, read?: Read][] = [
  ['POST', '/v1/{project_id}/vpc-endpoint-services', 'vpcep:epservices:create'],
  ['GET', '/v1/{project_id}/vpc-endpoint-services', 'vpcep:epservices:list', '200'],
  [
    'GET',
    '/v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}',
    'vpcep:epservices:get',
    '404 EndPoint.0005',
  ],
  ['PUT', '/v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}', 'vpcep:epservices:update'],
  ['DELETE', '/v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}', 'vpcep:epservices:delete'],
  ['PUT', '/v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/name', 'vpcep:epservices:update'],
  [
    'POST',
    '/v2/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/upgrade',
    'vpcep:epservices:update',
  ],
  [
    'POST',
    '/v2/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/add-server-resources',
    'vpcep:epservices:update',
  ],
  [
    'GET',
    '/v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/connections',
    'vpcep:connections:list',
    '404 EndPoint.0005',
  ],
  [
    'POST',
    '/v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/connections/action',
    'vpcep:connections:update',
  ],
  [
    'PUT',
    '/v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/connections/description',
    'vpcep:connections:update',
  ],
  [
    'GET',
    '/v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/permissions',
    'vpcep:permissions:list',
    '404 EndPoint.0005',
  ],
  [
    'POST',
    '/v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/permissions/action',
    'vpcep:permissions:update',
  ],
  [
    'POST',
    '/v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/permissions/batch-create',
    'vpcep:permissions:update',
  ],
  [
    'POST',
    '/v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/permissions/batch-delete',
    'vpcep:permissions:update',
  ],
  [
    'PUT',
    '/v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/permissions/{permission_id}',
    'vpcep:permissions:update',
  ],
  ['GET', '/v1/{project_id}/vpc-endpoint-services/public', 'vpcep:pubEpservices:list', '200'],
  ['GET', '/v1/{project_id}/vpc-endpoint-services/describe', 'vpcep:epserviceDesc:get', '404 EndPoint.0005'],
  ['POST', '/v1/{project_id}/vpc-endpoints', 'vpcep:endpoints:create'],
  ['GET', '/v1/{project_id}/vpc-endpoints', 'vpcep:endpoints:list', '200'],
  ['GET', '/v1/{project_id}/vpc-endpoints/{vpc_endpoint_id}', 'vpcep:endpoints:get', '404 EndPoint.2006'],
  [
    'GET',
    '/v1/{project_id}/vpc-endpoints/{vpc_endpoint_id}/traffic',
    'vpcep:endpoints:get',
    '404 EndPoint.2006',
  ],
  ['PUT', '/v1/{project_id}/vpc-endpoints/{vpc_endpoint_id}', 'vpcep:endpoints:update'],
  ['DELETE', '/v1/{project_id}/vpc-endpoints/{vpc_endpoint_id}', 'vpcep:endpoints:delete'],
  ['PUT', '/v1/{project_id}/vpc-endpoints/{vpc_endpoint_id}/routetables', 'vpcep:epRouters:update'],
  ['PUT', '/v1/{project_id}/vpc-endpoints/{vpc_endpoint_id}/policy', 'vpcep:endpoints:update'],
  ['DELETE', '/v1/{project_id}/vpc-endpoints/{vpc_endpoint_id}/policy', 'vpcep:endpoints:delete'],
  ['POST', '/v2/{project_id}/vpc-endpoints/{vpc_endpoint_id}/upgrade', 'vpcep:endpoints:update'],
  ['GET', '/v1/{project_id}/quotas', 'vpcep:quotas:get', '200'],
  ['POST', '/v1/{project_id}/endpoint_service/{resource_id}/tags/action', 'vpcep:tags:update'],
  ['POST', '/v1/{project_id}/endpoint/{resource_id}/tags/action', 'vpcep:tags:update'],
  ['GET', '/v1/{project_id}/endpoint_service/tags', 'vpcep:tags:list', '200'],
  ['GET', '/v1/{project_id}/endpoint/tags', 'vpcep:tags:list', '200'],
  ['POST', '/v1/{project_id}/endpoint_service/resource_instances/action', 'vpcep:resource:list'],
  ['POST', '/v1/{project_id}/endpoint/resource_instances/action', 'vpcep:resource:list'],
  // Unknown resource types answer an error of their own, but only to a caller allowed the action.
  ['POST', '/v1/{project_id}/other/{resource_id}/tags/action', 'vpcep:tags:update'],
  ['GET', '/v1/{project_id}/other/tags', 'vpcep:tags:list', '400 EndPoint.3070'],
  ['POST', '/v1/{project_id}/other/resource_instances/action', 'vpcep:resource:list'],
  ['POST', '/v1/{project_id}/vpcs', 'vpc:vpcs:create'],
  ['GET', '/v1/{project_id}/vpcs', 'vpc:vpcs:list', '200'],
  ['GET', '/v1/{project_id}/vpcs/{vpc_id}', 'vpc:vpcs:get', '404 VPC.0005'],
  ['PUT', '/v1/{project_id}/vpcs/{vpc_id}', 'vpc:vpcs:update'],
  ['DELETE', '/v1/{project_id}/vpcs/{vpc_id}', 'vpc:vpcs:delete'],
  ['POST', '/v1/{project_id}/subnets', 'vpc:subnets:create'],
  ['GET', '/v1/{project_id}/subnets', 'vpc:subnets:get', '200'],
  ['GET', '/v1/{project_id}/subnets/{subnet_id}', 'vpc:subnets:get', '404 VPC.0005'],
  ['PUT', '/v1/{project_id}/vpcs/{vpc_id}/subnets/{subnet_id}', 'vpc:subnets:update'],
  ['DELETE', '/v1/{project_id}/vpcs/{vpc_id}/subnets/{subnet_id}', 'vpc:subnets:delete'],
  ['POST', '/v1/{project_id}/ports', 'vpc:ports:create'],
  ['GET', '/v1/{project_id}/ports', 'vpc:ports:get', '200'],
  ['GET', '/v1/{project_id}/ports/{port_id}', 'vpc:ports:get', '404 VPC.0005'],
  ['DELETE', '/v1/{project_id}/ports/{port_id}', 'vpc:ports:delete'],
  ['GET', '/v1/{project_id}/routetables', 'vpc:routeTables:list', '200'],
  ['GET', '/v1/{project_id}/routetables/{routetable_id}', 'vpc:routeTables:get', '404 VPC.0005'],
];

/** Query parameters an operation needs before it looks anything up. */
const QUERIES: Record<string, Record<string, string>> = {
  '/v1/{project_id}/vpc-endpoint-services/describe': { id: ID },
};

/** Whether the catalog answers `code` with `status`. */
const inCatalog = (code: string | undefined, status: number | undefined) =>
  Object.entries(catalog).some(
    ([key, entry]) => wireCode(key as ErrorCode) === code && entry.status === status,
  );

const allBut = (action: string) =>
  (action.startsWith('vpcep:') ? VPCEP_ACTIONS : VPC_ACTIONS).filter((a) => a !== action);

test('every read says what it answers, with codes of the catalog', () => {
  for (const [method, path, , read] of TABLE) {
    assert.equal(read !== undefined, method === 'GET', `${method} ${path}`);
    const [status, code] = (read ?? '200').split(' ');
    if (code !== undefined) assert.ok(inCatalog(code, Number(status)), `${path}: ${read}`);
  }
});

for (const dialect of testDialects()) {
  describe(`each VPCEP and VPC operation checks exactly its own action (${dialect})`, () => {
    let server: TestServer;
    let policyId: string;
    let call: ReturnType<typeof signedCaller>;
    const owner = () => iamClient(server.url, server.provider, server.provider.domainId);

    before(async () => {
      server = await startTestServer({ dialect });
      const p = server.provider;
      const user = await createUser(owner(), p.domainId, 'table-walker', 'Table-walker-1');
      const group = await createGroup(owner(), 'walkers');
      await addToGroup(owner(), group, user);
      policyId = await createPolicy(owner(), 'walk', [{ Effect: 'Allow', Action: ['vpcep:quotas:get'] }]);
      await grantOnProject(iamProjectClient(server.url, p, p.projectId), group, policyId);
      call = signedCaller(server.url, await createKey(owner(), user), p.projectId);
    });
    after(async () => server?.close());

    test('the table names every VPCEP and VPC operation the server documents', async () => {
      const doc = (await rawRequest({ method: 'GET', url: `${server.url}/openapi.json` })).json as {
        paths: Record<string, Record<string, unknown>>;
      };
      const documented = Object.entries(doc.paths)
        .filter(([path]) => /^\/v[12]\/\{project_id\}\//.test(path))
        .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
      const tabled = new Set(TABLE.map(([m, p]) => `${m} ${p}`));
      assert.deepEqual(
        documented.filter((op) => !tabled.has(op)),
        [],
      );
    });

    for (const [method, path, action, read] of TABLE) {
      test(`${method} ${path}: ${action}`, async () => {
        const request = {
          method: method as 'GET',
          url: path.replace(/\{(?!project_id)[a-z_]+\}/g, ID),
          ...(QUERIES[path] ? { queryParams: QUERIES[path] } : {}),
          ...(method === 'POST' || method === 'PUT' ? { data: {} } : {}),
        };
        await updatePolicy(owner(), policyId, 'walk', [{ Effect: 'Allow', Action: allBut(action) }]);
        assert.deepEqual(
          await outcome(call(request)),
          { status: 403, code: 'EndPoint.0004' },
          'every other action',
        );
        await updatePolicy(owner(), policyId, 'walk', [{ Effect: 'Allow', Action: [action] }]);
        const allowed = await outcome(call(request));
        const seen = `${action} alone: ${JSON.stringify(allowed)}`;
        assert.ok(allowed.status !== 403 && allowed.status !== 401, seen);
        if (read !== undefined) {
          const [status, code] = read.split(' ');
          assert.deepEqual(allowed, { status: Number(status), ...(code ? { code } : {}) }, seen);
        } else {
          assert.ok(allowed.status !== undefined && allowed.status < 500, seen);
          if (allowed.status >= 400) assert.ok(inCatalog(allowed.code, allowed.status), seen);
        }
      });
    }
  });
}
