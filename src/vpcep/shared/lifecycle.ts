// The lifecycles of endpoint services and endpoints as declared state machines.
// Every status change goes through `transition`, so an illegal move (say, an
// endpoint going from `deleting` back to `accepted`) is a bug that fails loudly
// instead of a state clients' waiters have never heard of.

export type ServiceStatus = 'creating' | 'available' | 'failed' | 'deleting';
export type EndpointStatus =
  'creating' | 'pendingAcceptance' | 'accepted' | 'rejected' | 'failed' | 'deleting';

const SERVICE: Record<ServiceStatus, readonly ServiceStatus[]> = {
  creating: ['available', 'failed', 'deleting'],
  available: ['deleting'],
  failed: ['deleting'],
  deleting: [],
};

const ENDPOINT: Record<EndpointStatus, readonly EndpointStatus[]> = {
  creating: ['pendingAcceptance', 'accepted', 'failed', 'deleting'],
  pendingAcceptance: ['accepted', 'rejected', 'failed', 'deleting'],
  accepted: ['rejected', 'failed', 'deleting'],
  rejected: ['accepted', 'failed', 'deleting'],
  failed: ['deleting'],
  deleting: [],
};

export const SERVICE_STATUSES = Object.keys(SERVICE) as ServiceStatus[];
export const ENDPOINT_STATUSES = Object.keys(ENDPOINT) as EndpointStatus[];

export class IllegalTransition extends Error {
  constructor(kind: string, from: string, to: string) {
    super(`illegal ${kind} transition ${from} → ${to}`);
    this.name = 'IllegalTransition';
  }
}

export function canTransitionService(from: ServiceStatus, to: ServiceStatus): boolean {
  return SERVICE[from].includes(to);
}

export function canTransitionEndpoint(from: EndpointStatus, to: EndpointStatus): boolean {
  return ENDPOINT[from].includes(to);
}

export function assertServiceTransition(from: string, to: ServiceStatus): void {
  if (!(from in SERVICE) || !canTransitionService(from as ServiceStatus, to)) {
    throw new IllegalTransition('endpoint service', from, to);
  }
}

export function assertEndpointTransition(from: string, to: EndpointStatus): void {
  if (!(from in ENDPOINT) || !canTransitionEndpoint(from as EndpointStatus, to)) {
    throw new IllegalTransition('endpoint', from, to);
  }
}

/** Endpoints that hold a service in use: its delete is refused while any exists (EndPoint.3006). */
export const BLOCKING_ENDPOINT_STATUSES: readonly EndpointStatus[] = ['creating', 'accepted'];

/** Endpoints counted in a service's `connection_count`. */
export const CONNECTED_ENDPOINT_STATUSES: readonly EndpointStatus[] = ['creating', 'accepted'];

/** Job kinds that carry the asynchronous transitions. */
export const JOB_KINDS = {
  serviceCreate: 'endpoint_service.create',
  serviceDelete: 'endpoint_service.delete',
  endpointCreate: 'endpoint.create',
  endpointDelete: 'endpoint.delete',
} as const;
