// Fixtures shared by the endpoint, quota and walkthrough suites: the two
// accounts' networks, services to connect to, whitelisting, and waiting for
// asynchronous states. Everything goes through the HTTP API, as a user would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestDialect } from '../support/db.ts';
import {
  passwordToken,
  startTestServer,
  type TestAccount,
  type TestServer,
  type TestServerOptions,
} from '../support/server.ts';
import { openStore } from '../../src/store/open.ts';
import { rawRequest, type RawResponse } from '../support/http.ts';
import { sdkError, type SdkResult } from '../support/sdk.ts';
import { waitUntil } from '../support/wait.ts';

export const NETWORKS: NonNullable<TestServerOptions['accountExtras']> = {
  provider: {
    vpcs: [
      {
        name: 'vpc-p',
        cidr: '127.20.0.0/16',
        subnets: [
          {
            name: 'sn-p',
            cidr: '127.20.0.0/24',
            ports: [{ ip: '127.20.0.10', device_owner: 'compute:az1' }],
          },
        ],
      },
    ],
  },
  consumer: {
    vpcs: [
      { name: 'vpc-c', cidr: '127.30.0.0/16', subnets: [{ name: 'sn-c', cidr: '127.30.0.0/24' }] },
      { name: 'vpc-c2', cidr: '127.31.0.0/16', subnets: [{ name: 'sn-c2', cidr: '127.31.0.0/24' }] },
    ],
  },
};

export interface Network {
  vpcId: string;
  subnetId: string;
  subnetCidr: string;
  gatewayIp: string;
  routeTableId: string;
  /** The provider's backend NIC (127.20.0.10), when the VPC has one. */
  backendPortId?: string;
}

type Body = Record<string, unknown>;
const arr = (v: unknown): Body[] => v as Body[];

/** The VPC named `vpcName` of the account, with its first subnet and default route table. */
export async function networkOf(account: TestAccount, vpcName: string): Promise<Network> {
  const vpcs = arr((await account.sdk({ method: 'GET', url: '/v1/{project_id}/vpcs' })).vpcs);
  const vpc = vpcs.find((v) => v.name === vpcName);
  assert.ok(vpc, `VPC ${vpcName} is seeded`);
  const vpcId = String(vpc.id);
  const subnets = arr(
    (await account.sdk({ method: 'GET', url: '/v1/{project_id}/subnets', queryParams: { vpc_id: vpcId } }))
      .subnets,
  );
  const subnet = subnets[0];
  assert.ok(subnet);
  const tables = arr(
    (
      await account.sdk({
        method: 'GET',
        url: '/v1/{project_id}/routetables',
        queryParams: { vpc_id: vpcId },
      })
    ).routetables,
  );
  const table = tables.find((t) => t.default === true) ?? tables[0];
  assert.ok(table, 'the VPC has a default route table');
  const ports = arr(
    (
      await account.sdk({
        method: 'GET',
        url: '/v1/{project_id}/ports',
        queryParams: { network_id: String(subnet.id) },
      })
    ).ports,
  );
  const backend = ports.find((p) => p.device_owner === 'compute:az1');
  return {
    vpcId,
    subnetId: String(subnet.id),
    subnetCidr: String(subnet.cidr),
    gatewayIp: String(subnet.gateway_ip),
    routeTableId: String(table.id),
    ...(backend ? { backendPortId: String(backend.id) } : {}),
  };
}

/** A test server with NETWORKS, and the provider's VPC and the consumer's two, as the endpoint suites use them. */
export async function endpointTestBed(
  dialect: TestDialect,
): Promise<{ server: TestServer; netP: Network; netC: Network; netC2: Network }> {
  const server = await startTestServer({ dialect, accountExtras: NETWORKS });
  return {
    server,
    netP: await networkOf(server.provider, 'vpc-p'),
    netC: await networkOf(server.consumer, 'vpc-c'),
    netC2: await networkOf(server.consumer, 'vpc-c2'),
  };
}

export interface ServiceOptions {
  approval?: boolean;
  name?: string;
  ports?: { client_port: number; server_port: number; protocol?: string }[];
  /** The backend NIC; the network's backendPortId when absent. */
  portId?: string;
  tcpProxy?: string;
}

/** An interface service of the provider on its backend NIC, waited for until `available`. */
export async function createService(
  server: TestServer,
  net: Network,
  opts: ServiceOptions = {},
): Promise<{ id: string; serviceName: string }> {
  const ports = opts.ports ?? [
    { client_port: 8080, server_port: 80, protocol: 'TCP' },
    { client_port: 8081, server_port: 81, protocol: 'TCP' },
  ];
  const body = {
    port_id: opts.portId ?? net.backendPortId,
    vpc_id: net.vpcId,
    approval_enabled: opts.approval ?? false,
    service_type: 'interface',
    server_type: 'VM',
    ports,
    ...(opts.name !== undefined ? { service_name: opts.name } : {}),
    ...(opts.tcpProxy !== undefined ? { tcp_proxy: opts.tcpProxy } : {}),
  };
  const created = await server.provider.sdk({
    method: 'POST',
    url: '/v1/{project_id}/vpc-endpoint-services',
    data: body,
  });
  const id = String(created.id);
  const shown = await waitFor(
    () => server.provider.sdk({ method: 'GET', url: `/v1/{project_id}/vpc-endpoint-services/${id}` }),
    (svc) => svc.status === 'available',
  );
  return { id, serviceName: String(shown.service_name) };
}

/** The operator's public OBS gateway service of the default configuration, as /public lists it. */
export async function publicGatewayService(server: TestServer): Promise<{ id: string; serviceName: string }> {
  const cfg = server.config.public_services.find((p) => p.service_type === 'gateway');
  assert.ok(cfg?.id, 'the default configuration defines a public gateway service');
  const listed = await server.consumer.sdk({
    method: 'GET',
    url: '/v1/{project_id}/vpc-endpoint-services/public',
    queryParams: { id: cfg.id },
  });
  const svc = arr(listed.endpoint_services)[0];
  assert.ok(svc, 'the public gateway service is listed');
  return { id: String(svc.id), serviceName: String(svc.service_name) };
}

/** Adds `iam:domain::<domainId>` to the provider's service whitelist. */
export async function whitelistDomain(
  server: TestServer,
  serviceId: string,
  domainId: string,
): Promise<void> {
  const permission = `iam:domain::${domainId}`;
  const res = await server.provider.sdk({
    method: 'POST',
    url: `/v1/{project_id}/vpc-endpoint-services/${serviceId}/permissions/action`,
    data: { action: 'add', permissions: [permission] },
  });
  assert.ok((res.permissions as string[]).includes(permission));
}

/** Polls `read` until `done` holds (lifecycle delays are 0 in tests, so this is quick). */
export function waitFor(
  read: () => Promise<SdkResult>,
  done: (body: SdkResult) => boolean,
  timeoutMs = 10_000,
): Promise<SdkResult> {
  return waitUntil(read, done, 'the expected state', timeoutMs);
}

export function getEndpoint(account: TestAccount, id: string): Promise<SdkResult> {
  return account.sdk({ method: 'GET', url: `/v1/{project_id}/vpc-endpoints/${id}` });
}

export function createEndpoint(account: TestAccount, body: Record<string, unknown>): Promise<SdkResult> {
  return account.sdk({ method: 'POST', url: '/v1/{project_id}/vpc-endpoints', data: body });
}

/** Waits until the endpoint has left `creating`. */
export function settled(account: TestAccount, id: string): Promise<SdkResult> {
  return waitFor(
    () => getEndpoint(account, id),
    (e) => e.status !== 'creating',
  );
}

/** Waits until GET answers 404, the sign a delete has finished. */
export async function waitGone(account: TestAccount, id: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const err = await getEndpoint(account, id).then(
      () => undefined,
      (e: unknown) => e as { httpStatusCode?: number; errorCode?: string },
    );
    if (err) {
      assert.equal(err.httpStatusCode, 404);
      assert.equal(err.errorCode, 'EndPoint.2006');
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`endpoint ${id} still exists`);
}

export async function expectError(
  promise: Promise<unknown>,
  status: number,
  code: string,
): Promise<{ errorMsg?: string }> {
  const err = await sdkError(promise);
  assert.equal(err.errorCode, code, `expected ${code}, got ${err.errorCode}: ${err.errorMsg}`);
  assert.equal(err.httpStatusCode, status);
  return err;
}

/**
 * GET (or HEAD) of `path` under an account's project (the consumer's when none is
 * named), raw: the exact bytes and headers, with an X-Auth-Token from one
 * password login per account.
 */
export function rawGetter(
  server: TestServer,
): (path: string, account?: TestAccount, method?: 'GET' | 'HEAD') => Promise<RawResponse> {
  const tokens = new Map<TestAccount, string>();
  return async (path, account, method = 'GET') => {
    const who = account ?? server.consumer;
    let token = tokens.get(who);
    if (token === undefined) {
      token = await passwordToken(server.url, who);
      tokens.set(who, token);
    }
    return rawRequest({
      method,
      url: `${server.url}/v1/${who.projectId}${path}`,
      headers: { 'x-auth-token': token },
    });
  };
}

/** Sets a row's description through a second store on the server's database, as another node would. */
export async function describeElsewhere(
  server: TestServer,
  table: 'endpoints' | 'endpoint_services',
  id: string,
  description: string,
): Promise<void> {
  const other = await openStore(server.config.database);
  try {
    await other.db.updateTable(table).set({ description }).where('id', '=', id).execute();
  } finally {
    await other.close();
  }
}

/**
 * The two tests every answer kept across requests must pass (GET of one
 * endpoint, of one service): a change another node makes is in the very next
 * answer, and another tenant asking for the same id gets `missingCode` while
 * the owner still gets the resource.
 */
export function keptAnswerTests(t: {
  shown: () => Promise<Record<string, unknown>>;
  getOne: (account?: TestAccount) => Promise<RawResponse>;
  /** Sets the resource's description as another node would (describeElsewhere). */
  changeElsewhere: (description: string) => Promise<void>;
  stranger: () => TestAccount;
  missingCode: string;
}): void {
  test("another node's change is in the very next answer", async () => {
    assert.notEqual((await t.shown()).description, 'changed elsewhere');
    await t.changeElsewhere('changed elsewhere');
    assert.equal((await t.shown()).description, 'changed elsewhere');
  });

  test("another tenant never gets the owner's answer", async () => {
    await t.shown();
    // The same id in the other tenant's own project: answered as missing.
    const res = await t.getOne(t.stranger());
    assert.equal(res.status, 404, res.text);
    assert.equal((res.json as { error_code: string }).error_code, t.missingCode);
    // The owner's answer is unchanged by the refusal.
    assert.equal((await t.getOne()).status, 200);
  });
}

/** Asks `getOne` and gives the JSON of its answer, which must be a 200. */
export function okJson(getOne: () => Promise<RawResponse>): () => Promise<Record<string, unknown>> {
  return async () => {
    const res = await getOne();
    assert.equal(res.status, 200, res.text);
    return res.json as Record<string, unknown>;
  };
}
