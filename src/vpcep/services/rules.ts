import { apiError } from '../../errors/api-error.ts';
import { parseIpv4 } from '../../vpc/cidr.ts';
import type { PortMapping } from '../shared/present.ts';
import { validateServiceName } from '../shared/text.ts';
import type { PortMappingInput } from './schemas.ts';

// Pure checks of endpoint-service input, each raising the specific code of
// table 7-3. No database access: what needs the store lives in service.ts.

export const SERVER_TYPES = ['VM', 'VIP', 'LB', 'BMS'] as const;
export const PROTOCOLS = ['TCP', 'UDP'] as const;

/** `server_type` is typed as a plain string in the schema so a bad value gets 3021, not 0002. */
export function checkServerType(value: string): string {
  if (!(SERVER_TYPES as readonly string[]).includes(value)) {
    throw apiError(
      'EndPoint.3021',
      `Invalid serverType: ${value}. Expected one of ${SERVER_TYPES.join(', ')}.`,
    );
  }
  return value;
}

/** Tenants create interface services only; gateway services are the operator's (config). */
export function checkServiceType(value: string | undefined): 'interface' {
  if (value === undefined || value === 'interface') return 'interface';
  if (value === 'gateway') {
    throw apiError(
      'EndPoint.0002',
      'Parameter error: gateway endpoint services are configured by the operator; create an interface service.',
    );
  }
  throw apiError('EndPoint.0002', `Parameter error: service_type must be interface, not ${value}.`);
}

/**
 * The name part of `{region}.{name}.{id}`. An empty string means "no name"
 * (the service is then called `{region}.{id}`), which is also how a rename
 * clears a name.
 */
export function checkNamePart(value: string | undefined): string {
  if (value === undefined || value === '') return '';
  validateServiceName(value);
  return value;
}

/**
 * Validates and normalises a port-mapping list (create, or the whole list on
 * update): 1..max entries (2028 when empty, 3074 when too many), both ports
 * given (2028) and within 1–65535 (3043), protocol TCP or UDP with TCP the
 * default (3075). A client_port+protocol may appear once: an endpoint listens
 * once per port, so a second mapping of it is the duplicate the reference
 * forbids. Several client ports may lead to one server port (seed 004 §5.1 maps
 * 8080 and 8081 both to 80).
 */
export function checkPorts(ports: readonly PortMappingInput[], max: number): PortMapping[] {
  if (ports.length === 0)
    throw apiError('EndPoint.2028', 'The endpoint service needs at least one port mapping.');
  if (ports.length > max) throw apiError('EndPoint.3074', `At most ${max} port mappings are allowed.`);
  const clients = new Set<string>();
  return ports.map((p, i) => {
    if (p.client_port === undefined || p.server_port === undefined) {
      throw apiError('EndPoint.2028', `ports[${i}] needs both client_port and server_port.`);
    }
    for (const [field, value] of [
      ['client_port', p.client_port],
      ['server_port', p.server_port],
    ] as const) {
      if (value < 1 || value > 65535) {
        throw apiError('EndPoint.3043', `ports[${i}].${field} ${value} is not within 1-65535.`);
      }
    }
    const protocol = p.protocol ?? 'TCP';
    if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
      throw apiError('EndPoint.3075', `ports[${i}].protocol ${protocol} is not TCP or UDP.`);
    }
    const client = `${p.client_port}/${protocol}`;
    if (clients.has(client)) {
      throw apiError('EndPoint.0002', `Parameter error: client_port ${client} is mapped more than once.`);
    }
    clients.add(client);
    return { client_port: p.client_port, server_port: p.server_port, protocol };
  });
}

/**
 * `ip` of a service: an IPv4 literal in strict dotted-quad form (no names, no
 * leading zeros, no prefix), '' for none (null). It is only ever the address
 * of the backend port (service.ts checks that), never a place traffic goes
 * by itself: the data plane dials ports of the inventory.
 */
export function checkServiceIp(value: string): string | null {
  if (value === '') return null;
  if (parseIpv4(value) === undefined) {
    throw apiError(
      'EndPoint.3010',
      `Invalid IP address '${value.slice(0, 64)}': ip must be an IPv4 address such as 192.168.0.10.`,
    );
  }
  return value;
}

export function describeConflict(conflicts: readonly PortMapping[]): string {
  const list = conflicts.map((c) => `${c.server_port}/${c.protocol}`).join(', ');
  return `server_port ${list} is already used by another endpoint service on the same port_id.`;
}
