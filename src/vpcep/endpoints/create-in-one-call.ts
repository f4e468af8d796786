import type { RequestContext } from '../../context/request-context.ts';
import { apiError } from '../../errors/api-error.ts';
import { jobRowOf } from '../../jobs/index.ts';
import { newPortOf } from '../../vpc/inventory.ts';
import type { VpcepDeps } from '../deps.ts';
import { quotaExhausted } from '../shared/quota.ts';
import {
  connectRefused,
  endpointCreateJob,
  endpointPortRequest,
  newEndpointRow,
  serviceMissing,
  serviceUnavailable,
  subnetElsewhere,
  subnetMissing,
  vpcMissing,
  type CheckedFields,
  type MadeEndpoint,
} from './new-endpoint.ts';
import { createInterfaceEndpointInOneCall } from './repository.ts';
import { translatePortError } from './rules.ts';
import type { CreateEndpointBody } from './schemas.ts';

/**
 * The create as one statement on PostgreSQL (migration 0008): each statement is
 * a round trip there, and a create took a dozen. Only for what the function
 * decides alone: an automatic address in a given subnet, not inside a caller's
 * transaction; undefined (nothing written) when the service is a gateway
 * service or another account's whose whitelist holds '*' patterns: those
 * checks stay in TypeScript.
 */
export async function createInOneCall(
  deps: VpcepDeps,
  ctx: Pick<RequestContext, 'projectId' | 'principal'>,
  body: CreateEndpointBody,
  fields: CheckedFields,
  id: string,
): Promise<MadeEndpoint | undefined> {
  const subnetId = body.subnet_id;
  if (deps.dialect !== 'postgres' || deps.db.isTransaction || body.port_ip !== undefined) return undefined;
  if (subnetId === undefined) return undefined;
  const now = deps.clock.now();
  const port = newPortOf(deps.clock, endpointPortRequest(id));
  // What the function fills in (marker, subnet, address) is a placeholder here.
  const draft = newEndpointRow(deps, ctx, body, fields, id, now, {
    service: { id: body.endpoint_service_id, service_type: 'interface' },
    vpcId: body.vpc_id,
    subnetId,
    port: { id: port.id, ip: '' },
    marker: 0,
    routetables: [],
  });
  const answer = await createInterfaceEndpointInOneCall(deps.db, {
    serviceId: body.endpoint_service_id,
    projectId: ctx.projectId,
    domainId: ctx.principal.domainId,
    vpcId: body.vpc_id,
    subnetId,
    quotaDefault: deps.config.quotas.endpoint,
    endpoint: draft,
    port,
    job: jobRowOf(endpointCreateJob(deps, id, now)),
    tags: fields.tags,
  });
  switch (answer.outcome) {
    case 'created':
      return {
        row: { ...draft, subnet_id: answer.subnet_id, ip: answer.ip, marker_id: Number(answer.marker_id) },
        serviceName: answer.service_name,
      };
    case 'no-service':
      throw serviceMissing(body.endpoint_service_id);
    case 'service-status':
      throw serviceUnavailable(answer.detail);
    case 'not-allowed':
      throw connectRefused();
    case 'no-vpc':
      throw vpcMissing(body.vpc_id);
    case 'no-subnet':
      throw subnetMissing(subnetId);
    case 'subnet-elsewhere':
      throw subnetElsewhere(subnetId, body.vpc_id);
    case 'no-quota':
      throw quotaExhausted();
    case 'subnet-gone':
      throw translatePortError(apiError('VPC.0005'), undefined, '');
    case 'subnet-full':
      throw translatePortError(apiError('VPC.0303'), undefined, answer.detail);
    // A unique violation wrote nothing; the statement path answers it as the
    // API always has.
    case 'address-taken':
    case 'elsewhere':
      return undefined;
    default:
      // Never the statement path after an answer not known here: the function
      // may have committed the endpoint already.
      throw new Error(`unknown answer of the create function: ${JSON.stringify(answer)}`);
  }
}
