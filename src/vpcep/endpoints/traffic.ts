import type { RequestContext } from '../../context/request-context.ts';
import type { VpcepDeps } from '../deps.ts';
import { getOwnEndpoint } from './repository.ts';
import { notFound } from './service.ts';
import type { EndpointTrafficView } from './schemas.ts';

// The per-endpoint traffic a tenant may read of its own endpoints (a vpcep
// extension; the operator's /metrics names every tenant's endpoints). Counters
// come from the Dataplane object that /metrics reads, so wherever forwarding
// runs (in process or in workers summed by the main process) both agree.

type Ctx = Pick<RequestContext, 'projectId'>;

export async function endpointTraffic(deps: VpcepDeps, ctx: Ctx, id: string): Promise<EndpointTrafficView> {
  // Tenancy first: another project's endpoint is 404 EndPoint.2006 exactly like a
  // missing one, so the answer never tells whether an id exists elsewhere.
  const row = await getOwnEndpoint(deps.db, ctx.projectId, id);
  if (!row) throw notFound(id);
  const dp = deps.dataplane?.();
  const counters = dp?.counters;
  if (counters === undefined) return { vpc_endpoint_id: row.id, dataplane: false, traffic: null };
  // Forwarding in worker processes reports its counts periodically: ask for them up to now,
  // as a /metrics scrape does, so that traffic a client just sent is in the answer.
  await dp?.forwarding?.refresh();
  const t = counters.get(row.id);
  return {
    vpc_endpoint_id: row.id,
    dataplane: true,
    traffic: {
      active_connections: t?.activeConnections ?? 0,
      total_connections: t?.totalConnections ?? 0,
      active_udp_sessions: t?.activeSessions ?? 0,
      total_udp_sessions: t?.totalSessions ?? 0,
      bytes_client_to_backend: t?.bytesClientToBackend ?? 0,
      bytes_backend_to_client: t?.bytesBackendToClient ?? 0,
      refused: { whitelist: t?.refusedWhitelist ?? 0, limit: t?.refusedLimit ?? 0 },
      backend_errors: t?.backendErrors ?? 0,
    },
  };
}
