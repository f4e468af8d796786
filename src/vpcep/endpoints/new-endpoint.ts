// What every endpoint create writes and refuses alike, whichever way it runs
// (create.ts: a transaction of statements; create-in-one-call.ts: one
// PostgreSQL function call): the checks that need no database, the new row,
// the create job and the refusals found in the store.
import type { RequestContext } from '../../context/request-context.ts';
import { apiError } from '../../errors/api-error.ts';
import { parseIpv4 } from '../../vpc/cidr.ts';
import type { VpcepDeps } from '../deps.ts';
import { JOB_KINDS } from '../shared/lifecycle.ts';
import { validateTags } from '../shared/tags.ts';
import { validateDescription } from '../shared/text.ts';
import type { EndpointRow, ServiceRow } from './repository.ts';
import { dnsNameOf, portIpError, validateWhitelist } from './rules.ts';
import type { CreateEndpointBody } from './schemas.ts';

/** What the VPC inventory records as the device behind an endpoint's address. */
export const ENDPOINT_DEVICE_OWNER = 'network:vpcep';

/** The port that holds endpoint `id`'s address, as both create paths ask the inventory for it. */
export function endpointPortRequest(id: string) {
  return { name: `vpcep-${id}`, deviceOwner: ENDPOINT_DEVICE_OWNER, deviceId: id };
}

export type EndpointFields = Pick<
  CreateEndpointBody,
  'subnet_id' | 'port_ip' | 'tags' | 'description' | 'whitelist'
>;

/**
 * The checks of an endpoint's own fields that need no database, in the order
 * the API reports them; also run on a declared endpoint at start (testbed/).
 */
export function checkEndpointFields(body: EndpointFields, maxWhitelist: number) {
  if (body.subnet_id === '') throw apiError('EndPoint.2010');
  if (body.port_ip !== undefined && parseIpv4(body.port_ip) === undefined) {
    throw portIpError('invalid', body.port_ip, '');
  }
  return {
    tags: validateTags(body.tags),
    description: validateDescription(body.description),
    whitelist: validateWhitelist(body.whitelist, maxWhitelist),
  };
}

/** The fields of a create checked without the database (checkEndpointFields). */
export type CheckedFields = ReturnType<typeof checkEndpointFields>;

/** Where a new endpoint sits and what it connects to, as the create found them. */
export interface Placement {
  service: Pick<ServiceRow, 'id' | 'service_type'>;
  vpcId: string;
  subnetId: string | null;
  port: { id: string; ip: string } | undefined;
  marker: number;
  routetables: string[];
}

/** The endpoint row a create writes. */
export function newEndpointRow(
  deps: VpcepDeps,
  ctx: Pick<RequestContext, 'projectId' | 'principal'>,
  body: CreateEndpointBody,
  fields: CheckedFields,
  id: string,
  now: number,
  at: Placement,
): EndpointRow {
  const gateway = at.service.service_type === 'gateway';
  const enableDns = body.enable_dns ?? false;
  return {
    id,
    project_id: ctx.projectId,
    domain_id: ctx.principal.domainId,
    service_id: at.service.id,
    service_type: at.service.service_type,
    vpc_id: at.vpcId,
    subnet_id: at.subnetId,
    port_id: at.port?.id ?? null,
    ip: at.port?.ip ?? null,
    ip_visible: 0,
    marker_id: at.marker,
    status: 'creating',
    enable_dns: enableDns ? 1 : 0,
    // Gateway endpoints get no private name, whatever enable_dns says (seed
    // 004 §4.3.1); the flag itself is echoed so clients see what they sent.
    dns_names: JSON.stringify(
      enableDns && !gateway ? [dnsNameOf(id, deps.config.region, deps.config.dns.zone)] : [],
    ),
    enable_whitelist: body.enable_whitelist ? 1 : 0,
    whitelist: JSON.stringify(fields.whitelist),
    routetables: JSON.stringify(at.routetables),
    description: fields.description,
    connection_description: '',
    policy_statement: JSON.stringify(body.policy_statement ?? []),
    policy_document: body.policy_document === undefined ? null : JSON.stringify(body.policy_document),
    specification_name: body.specification_name ?? 'default',
    ip_version: body.ip_version ?? null,
    ipv6_address: body.ipv6_address ?? null,
    enable_status: 'enable',
    error: '[]',
    created_at: now,
    updated_at: now,
  };
}

export const serviceMissing = (id: string) =>
  apiError('EndPoint.2003', `The endpoint service ${id} does not exist.`);
export const serviceUnavailable = (status: string) =>
  apiError('EndPoint.2004', `The endpoint service is ${status}, not available.`);
export const vpcMissing = (id: string) => apiError('EndPoint.2001', `The VPC ${id} does not exist.`);
export const subnetMissing = (id: string) => apiError('EndPoint.4004', `The subnet ${id} does not exist.`);
export const connectRefused = () => apiError('EndPoint.2012');
export const subnetElsewhere = (subnetId: string, vpcId: string) =>
  apiError('EndPoint.2037', `The subnet ${subnetId} does not belong to the VPC ${vpcId}.`);

/** A written endpoint and the name of its service, for the answer. */
export interface MadeEndpoint {
  row: EndpointRow;
  serviceName: string;
}

/** The job that moves a new endpoint out of `creating` after the lifecycle delay. */
export function endpointCreateJob(deps: VpcepDeps, id: string, now: number) {
  return {
    kind: JOB_KINDS.endpointCreate,
    resourceId: id,
    runAt: now + deps.config.lifecycle.endpoint_create,
    now,
  };
}
