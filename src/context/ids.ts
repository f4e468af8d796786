import { randomBytes, randomUUID } from 'node:crypto';

/** Domain, project and user ids look like the cloud's: 32 lower-case hex digits. */
export function hexId(): string {
  return randomBytes(16).toString('hex');
}

/** Resource ids (VPCs, subnets, services, endpoints) are UUIDs, as in the cloud. */
export function uuid(): string {
  return randomUUID();
}

/** Request ids: 32 hex digits, the shape the cloud's gateways use. */
export function requestId(): string {
  return randomUUID().replaceAll('-', '');
}
