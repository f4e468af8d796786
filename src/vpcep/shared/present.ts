import { formatTime } from '../../context/clock.ts';
import type { EndpointServicesTable, EndpointsTable } from '../../store/vpcep-schema.ts';
import { parseJsonColumn } from './json.ts';
import type { Tag } from './tags.ts';

// Rows → the JSON objects of the API. Every documented field is present with its
// documented type: integers, real booleans, `[]` rather than null, strings ''
// rather than null, times as YYYY-MM-DDTHH:MM:SSZ (decision #19).

export interface PortMapping {
  client_port: number;
  server_port: number;
  protocol: string;
}

export interface ErrorEntry {
  error_code: string;
  error_message: string;
}

export function serviceView(
  row: EndpointServicesTable,
  ports: readonly PortMapping[],
  tags: readonly Tag[],
  connectionCount: number,
) {
  const errors = parseJsonColumn<ErrorEntry[]>(row.error, []);
  return {
    id: row.id,
    port_id: row.port_id,
    vip_port_id: row.vip_port_id ?? '',
    service_name: row.service_name,
    server_type: row.server_type,
    vpc_id: row.vpc_id,
    pool_id: row.pool_id ?? '',
    approval_enabled: row.approval_enabled === 1,
    status: row.status,
    service_type: row.service_type,
    created_at: formatTime(row.created_at),
    updated_at: formatTime(row.updated_at),
    project_id: row.project_id,
    domain_id: row.domain_id,
    cidr_type: row.cidr_type ?? 'internal',
    ip: row.ip ?? '',
    ip_version: row.ip_version ?? 'ipv4',
    snat_network_id: row.snat_network_id ?? '',
    ports: ports.map((p) => ({
      client_port: p.client_port,
      server_port: p.server_port,
      protocol: p.protocol,
    })),
    tcp_proxy: row.tcp_proxy,
    tags: tags.map((t) => ({ key: t.key, value: t.value })),
    connection_count: connectionCount,
    // Both spellings of an error entry: the Huawei SDK models {code, message},
    // the OTC documentation {error_code, error_message}.
    error: errors.map((e) => ({ ...e, code: e.error_code, message: e.error_message })),
    description: row.description,
    enable_policy: row.enable_policy === 1,
    supported_editions: ['basic'],
    public_border_group: 'center',
  };
}

export interface EndpointContext {
  serviceName: string;
  tags: readonly Tag[];
}

export function endpointView(row: EndpointsTable, ctx: EndpointContext) {
  const view = {
    id: row.id,
    service_type: row.service_type,
    status: row.status,
    active_status: ['active'],
    endpoint_service_name: ctx.serviceName,
    marker_id: row.marker_id,
    endpoint_service_id: row.service_id,
    enable_dns: row.enable_dns === 1,
    dns_names: parseJsonColumn<string[]>(row.dns_names, []),
    vpc_id: row.vpc_id,
    subnet_id: row.subnet_id ?? '',
    created_at: formatTime(row.created_at),
    updated_at: formatTime(row.updated_at),
    project_id: row.project_id,
    tags: ctx.tags.map((t) => ({ key: t.key, value: t.value })),
    whitelist: parseJsonColumn<string[]>(row.whitelist, []),
    enable_whitelist: row.enable_whitelist === 1,
    routetables: parseJsonColumn<string[]>(row.routetables, []),
    description: row.description,
    policy_statement: parseJsonColumn<unknown[]>(row.policy_statement, []),
    specification_name: row.specification_name,
    enable_status: row.enable_status,
    public_border_group: 'center',
    ip_version: row.ip_version ?? 'ipv4',
    error: parseJsonColumn<ErrorEntry[]>(row.error, []),
  };
  // `ip` appears once the endpoint has been accepted (and stays if it is later
  // rejected), as the reference describes; the policy document only when set.
  return {
    ...view,
    ...(row.ip_visible === 1 && row.ip !== null ? { ip: row.ip } : {}),
    ...(row.ipv6_address !== null ? { ipv6_address: row.ipv6_address } : {}),
    ...(row.policy_document !== null
      ? { policy_document: parseJsonColumn<unknown>(row.policy_document, {}) }
      : {}),
  };
}

/** An endpoint as its service's owner sees it in the connections list. */
export function connectionView(row: EndpointsTable) {
  return {
    id: row.id,
    marker_id: row.marker_id,
    created_at: formatTime(row.created_at),
    updated_at: formatTime(row.updated_at),
    domain_id: row.domain_id,
    error: parseJsonColumn<ErrorEntry[]>(row.error, []),
    status: row.status,
    description: row.connection_description,
  };
}
