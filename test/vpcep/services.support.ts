// Fixtures shared by the endpoint-service suites: the provider's declared
// network and look-ups of its ids through the VPC API, as a user would.
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.ts';
import type { TestAccount } from '../support/server.ts';

export const SERVICES = '/v1/{project_id}/vpc-endpoint-services';

export const wire = <T>(value: unknown): T => value as T;

export const PROVIDER_VPCS = {
  vpcs: [
    {
      name: 'vpc-a',
      cidr: '127.20.0.0/16',
      subnets: [
        {
          name: 'sub-a',
          cidr: '127.20.0.0/24',
          ports: [
            { ip: '127.20.0.10', device_owner: 'compute:az1' },
            { ip: '127.20.0.11', device_owner: 'compute:az1' },
          ],
        },
      ],
    },
    {
      name: 'vpc-b',
      cidr: '127.21.0.0/16',
      subnets: [
        { name: 'sub-b', cidr: '127.21.0.0/24', ports: [{ ip: '127.21.0.10', device_owner: 'compute:az1' }] },
      ],
    },
  ],
};

/** Ids of the declared VPCs and ports, looked up through the VPC API like a user would. */
export async function inventory(account: TestAccount) {
  const vpcs = wire<{ vpcs: { id: string; name: string }[] }>(
    await account.sdk({ method: 'GET', url: '/v1/{project_id}/vpcs' }),
  );
  const ports = wire<{ ports: { id: string; fixed_ips: { ip_address: string }[] }[] }>(
    await account.sdk({ method: 'GET', url: '/v1/{project_id}/ports' }),
  );
  const vpc = (name: string) => vpcs.vpcs.find((v) => v.name === name)?.id ?? assert.fail(`no VPC ${name}`);
  const port = (ip: string) =>
    ports.ports.find((p) => p.fixed_ips[0]?.ip_address === ip)?.id ?? assert.fail(`no port ${ip}`);
  return { vpc, port };
}

/** The HTTP status of a call, whether it succeeded or not (for polling until 404). */
export async function status(call: Promise<unknown>): Promise<number | undefined> {
  try {
    return ((await call) as { httpStatusCode?: number }).httpStatusCode;
  } catch (err) {
    return (err as { httpStatusCode?: number }).httpStatusCode;
  }
}

/**
 * Writes an endpoint row directly (the endpoint API is another area's): the
 * columns a service rule looks at come from `row`, the rest are neutral.
 */
export async function insertEndpointRow(
  db: Kysely<Database>,
  row: {
    id: string;
    project_id: string;
    domain_id: string;
    service_id: string;
    service_type: string;
    marker_id: number;
    status: string;
  },
): Promise<void> {
  const now = Date.now();
  await db
    .insertInto('endpoints')
    .values({
      ...row,
      vpc_id: 'vpc',
      subnet_id: null,
      port_id: null,
      ip: null,
      ip_visible: 0,
      enable_dns: 0,
      dns_names: '[]',
      enable_whitelist: 0,
      whitelist: '[]',
      routetables: '[]',
      description: '',
      connection_description: '',
      policy_statement: '[]',
      policy_document: null,
      specification_name: 'default',
      ip_version: null,
      ipv6_address: null,
      enable_status: 'enable',
      error: '[]',
      created_at: now,
      updated_at: now,
    })
    .execute();
}
