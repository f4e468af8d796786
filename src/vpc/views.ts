import { formatTime } from '../context/clock.ts';
import type { PortRow } from './ports/repository.ts';
import type { RouteTableRow } from './route-tables/repository.ts';
import type {
  PortView,
  RouteTableListItem,
  RouteTableRoute,
  RouteTableView,
  SubnetView,
  VpcView,
} from './schemas.ts';
import type { SubnetRow } from './subnets/repository.ts';
import type { VpcRow } from './vpcs/repository.ts';

// Rows to wire objects. Fields the emulator does not model still appear with the
// neutral value the cloud shows for them ([] / "" / false), because SDK users
// and Terraform-style tools read them without checking for presence.

export function vpcView(v: VpcRow): VpcView {
  return {
    id: v.id,
    name: v.name,
    description: v.description,
    cidr: v.cidr,
    status: v.status,
    routes: [],
    enterprise_project_id: '0',
    tenant_id: v.project_id,
    created_at: formatTime(v.created_at),
    updated_at: formatTime(v.updated_at),
  };
}

export function subnetView(s: SubnetRow): SubnetView {
  const dns = [s.primary_dns, s.secondary_dns].filter((d): d is string => d !== null && d !== '');
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    cidr: s.cidr,
    gateway_ip: s.gateway_ip,
    ipv6_enable: false,
    dhcp_enable: s.dhcp_enable === 1,
    primary_dns: s.primary_dns ?? '',
    secondary_dns: s.secondary_dns ?? '',
    dnsList: dns,
    availability_zone: s.availability_zone ?? '',
    vpc_id: s.vpc_id,
    status: s.status,
    // In the cloud the v1 subnet *is* the Neutron network; its IPv4 Neutron
    // subnet has an id of its own, which is what ports' fixed_ips refer to.
    neutron_network_id: s.id,
    neutron_subnet_id: s.neutron_subnet_id,
    extra_dhcp_opts: [],
    scope: 'center',
    tenant_id: s.project_id,
    created_at: formatTime(s.created_at),
    updated_at: formatTime(s.updated_at),
  };
}

export function portView(p: PortRow, subnet: SubnetRow | undefined): PortView {
  return {
    id: p.id,
    name: p.name,
    network_id: p.network_id,
    admin_state_up: true,
    mac_address: p.mac_address,
    fixed_ips: [{ ip_address: p.ip_address, subnet_id: subnet?.neutron_subnet_id ?? p.network_id }],
    device_id: p.device_id,
    device_owner: p.device_owner,
    tenant_id: p.project_id,
    project_id: p.project_id,
    status: p.status,
    security_groups: [],
    allowed_address_pairs: [],
    extra_dhcp_opts: [],
    'binding:vnic_type': 'normal',
    'binding:vif_details': {},
    'binding:profile': {},
    dns_assignment: [],
    dns_name: '',
    instance_id: '',
    instance_type: '',
    port_security_enabled: true,
    zone_id: subnet?.availability_zone ?? '',
    enable_efi: false,
  };
}

function routesOf(t: RouteTableRow): RouteTableRoute[] {
  const parsed = JSON.parse(t.routes) as Partial<RouteTableRoute>[];
  return parsed.map((r) => ({
    type: r.type ?? '',
    destination: r.destination ?? '',
    nexthop: r.nexthop ?? '',
    description: r.description ?? '',
  }));
}

/**
 * Subnets use their VPC's default route table unless associated with another
 * one; the emulator has no other association, so the default table lists them all.
 */
export function routeTableListItem(t: RouteTableRow, vpcSubnets: readonly SubnetRow[]): RouteTableListItem {
  return {
    id: t.id,
    name: t.name,
    default: t.is_default === 1,
    subnets: t.is_default === 1 ? vpcSubnets.map((s) => ({ id: s.id })) : [],
    tenant_id: t.project_id,
    vpc_id: t.vpc_id,
    description: t.description,
    created_at: formatTime(t.created_at),
    updated_at: formatTime(t.updated_at),
  };
}

export function routeTableView(t: RouteTableRow, vpcSubnets: readonly SubnetRow[]): RouteTableView {
  return { ...routeTableListItem(t, vpcSubnets), routes: routesOf(t) };
}
