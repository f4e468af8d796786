import type { Command } from 'commander';
import type { Port, RouteTableSummary, Subnet, Vpc } from '../client/types.ts';
import { act, clientCommand, eachOf, group, type Context } from './context.ts';
import type { Column } from './output.ts';
import { collect, defined, str } from './parse.ts';

// vpcs, subnets, ports and routetables: the VPC inventory services and
// endpoints are built on.

const VPC_COLUMNS: Column<Vpc>[] = [
  { header: 'ID', get: (v) => v.id },
  { header: 'NAME', get: (v) => v.name },
  { header: 'CIDR', get: (v) => v.cidr },
  { header: 'STATUS', get: (v) => v.status },
];

const SUBNET_COLUMNS: Column<Subnet>[] = [
  { header: 'ID', get: (s) => s.id },
  { header: 'NAME', get: (s) => s.name },
  { header: 'CIDR', get: (s) => s.cidr },
  { header: 'GATEWAY', get: (s) => s.gateway_ip },
  { header: 'VPC', get: (s) => s.vpc_id },
  { header: 'STATUS', get: (s) => s.status },
];

const PORT_COLUMNS: Column<Port>[] = [
  { header: 'ID', get: (p) => p.id },
  { header: 'NAME', get: (p) => p.name },
  { header: 'IP', get: (p) => p.fixed_ips.map((f) => f.ip_address) },
  { header: 'SUBNET', get: (p) => p.network_id },
  { header: 'DEVICE OWNER', get: (p) => p.device_owner },
  { header: 'STATUS', get: (p) => p.status },
];

const ROUTETABLE_COLUMNS: Column<RouteTableSummary>[] = [
  { header: 'ID', get: (r) => r.id },
  { header: 'NAME', get: (r) => r.name },
  { header: 'VPC', get: (r) => r.vpc_id },
  { header: 'DEFAULT', get: (r) => r.default },
  { header: 'SUBNETS', get: (r) => r.subnets.map((s) => s.id) },
];

/** The VPC of a subnet, from `--vpc-id` or else looked up (the API addresses changes under the VPC). */
async function vpcOfSubnet(ctx: Context, subnetId: string, given: unknown): Promise<string> {
  return str(given) ?? (await ctx.client.subnets.get(subnetId)).vpc_id;
}

function registerVpcs(program: Command): void {
  const vpcs = group(program, 'vpcs', 'VPCs: the private networks ports, services and endpoints live in');
  act(clientCommand(vpcs, 'list', 'list VPCs').option('--id <id>', 'only this VPC'), async (ctx, _, o) =>
    ctx.print.list(await ctx.client.vpcs.listAll(defined({ id: str(o.id) })), VPC_COLUMNS),
  );
  act(clientCommand(vpcs, 'get <id>', 'show a VPC'), async (ctx, [id]) =>
    ctx.print.one(await ctx.client.vpcs.get(String(id))),
  );
  act(
    clientCommand(vpcs, 'create', 'create a VPC')
      .requiredOption('--cidr <cidr>', 'address range, e.g. 127.20.0.0/16')
      .option('--name <name>', 'name')
      .option('--description <text>', 'description'),
    async (ctx, _, o) =>
      ctx.print.one(
        await ctx.client.vpcs.create({
          cidr: String(o.cidr),
          ...defined({ name: str(o.name), description: str(o.description) }),
        }),
      ),
  );
  act(
    clientCommand(vpcs, 'update <id>', 'change the name, description or range of a VPC')
      .option('--name <name>', 'new name')
      .option('--description <text>', 'new description')
      .option('--cidr <cidr>', 'new range (must still hold every subnet)'),
    async (ctx, [id], o) =>
      ctx.print.one(
        await ctx.client.vpcs.update(
          String(id),
          defined({ name: str(o.name), description: str(o.description), cidr: str(o.cidr) }),
        ),
      ),
  );
  act(clientCommand(vpcs, 'delete <id...>', 'delete VPCs (they must hold no subnet)'), async (ctx, [ids]) => {
    await eachOf(ids as string[], (id) => ctx.client.vpcs.delete(id));
  });
}

function dnsFields(o: Record<string, unknown>) {
  const dns = o.dns as string[] | undefined;
  return defined({
    dhcp_enable: typeof o.dhcp === 'boolean' ? o.dhcp : undefined,
    primary_dns: dns?.[0],
    secondary_dns: dns?.[1],
    dnsList: dns,
  });
}

function registerSubnets(program: Command): void {
  const subnets = group(program, 'subnets', 'subnets of VPCs');
  act(
    clientCommand(subnets, 'list', 'list subnets').option('--vpc-id <id>', 'only the subnets of this VPC'),
    async (ctx, _, o) =>
      ctx.print.list(await ctx.client.subnets.listAll(defined({ vpc_id: str(o.vpcId) })), SUBNET_COLUMNS),
  );
  act(clientCommand(subnets, 'get <id>', 'show a subnet'), async (ctx, [id]) =>
    ctx.print.one(await ctx.client.subnets.get(String(id))),
  );
  act(
    clientCommand(subnets, 'create', 'create a subnet in a VPC')
      .requiredOption('--vpc-id <id>', 'the VPC')
      .requiredOption('--cidr <cidr>', 'address range inside the VPC, e.g. 127.20.0.0/24')
      .requiredOption('--name <name>', 'name')
      .option('--gateway-ip <ip>', 'gateway address (default: the first of the range)')
      .option('--description <text>', 'description')
      .option('--availability-zone <az>', 'availability zone')
      .option('--dhcp', 'enable DHCP (the default)')
      .option('--no-dhcp', 'disable DHCP')
      .option('--dns <ip>', 'DNS server (repeat for a second)', collect),
    async (ctx, _, o) =>
      ctx.print.one(
        await ctx.client.subnets.create({
          vpc_id: String(o.vpcId),
          cidr: String(o.cidr),
          name: String(o.name),
          ...defined({
            gateway_ip: str(o.gatewayIp),
            description: str(o.description),
            availability_zone: str(o.availabilityZone),
          }),
          ...dnsFields(o),
        }),
      ),
  );
  act(
    clientCommand(subnets, 'update <id>', 'change the name, description, DHCP or DNS of a subnet')
      .option('--vpc-id <id>', 'its VPC (looked up when absent)')
      .option('--name <name>', 'new name')
      .option('--description <text>', 'new description')
      .option('--dhcp', 'enable DHCP')
      .option('--no-dhcp', 'disable DHCP')
      .option('--dns <ip>', 'DNS server (repeat for a second)', collect),
    async (ctx, [id], o) => {
      const vpcId = await vpcOfSubnet(ctx, String(id), o.vpcId);
      const change = { ...defined({ name: str(o.name), description: str(o.description) }), ...dnsFields(o) };
      ctx.print.one(await ctx.client.subnets.update(vpcId, String(id), change));
    },
  );
  act(
    clientCommand(subnets, 'delete <id...>', 'delete subnets (they must hold no port)').option(
      '--vpc-id <id>',
      'their VPC (looked up when absent)',
    ),
    async (ctx, [ids], o) => {
      await eachOf(ids as string[], async (id) =>
        ctx.client.subnets.delete(await vpcOfSubnet(ctx, id, o.vpcId), id),
      );
    },
  );
}

function registerPorts(program: Command): void {
  const ports = group(program, 'ports', 'ports: the network interfaces a service is published from');
  act(
    clientCommand(ports, 'list', 'list ports')
      .option('--subnet-id <id>', 'only ports of this subnet')
      .option('--ip <ip>', 'only the port with this address')
      .option('--name <name>', 'only ports with this name')
      .option('--device-owner <owner>', 'only ports of this owner, e.g. compute:az1')
      .option('--device-id <id>', 'only ports of this device'),
    async (ctx, _, o) => {
      const ip = str(o.ip);
      const filter = defined({
        network_id: str(o.subnetId),
        name: str(o.name),
        device_owner: str(o.deviceOwner),
        device_id: str(o.deviceId),
        fixed_ips: ip !== undefined ? [`ip_address=${ip}`] : undefined,
      });
      ctx.print.list(await ctx.client.ports.listAll(filter), PORT_COLUMNS);
    },
  );
  act(clientCommand(ports, 'get <id>', 'show a port'), async (ctx, [id]) =>
    ctx.print.one(await ctx.client.ports.get(String(id))),
  );
  act(
    clientCommand(ports, 'create', 'create a port in a subnet')
      .requiredOption('--subnet-id <id>', 'the subnet')
      .option('--ip <ip>', 'its address (default: the next free one)')
      .option('--name <name>', 'name')
      .option(
        '--device-owner <owner>',
        'e.g. compute:az1 for a server NIC, neutron:VIP_PORT for a virtual IP',
      )
      .option('--device-id <id>', 'the server or load balancer it belongs to'),
    async (ctx, _, o) => {
      const ip = str(o.ip);
      ctx.print.one(
        await ctx.client.ports.create({
          network_id: String(o.subnetId),
          ...defined({
            name: str(o.name),
            device_owner: str(o.deviceOwner),
            device_id: str(o.deviceId),
            fixed_ips: ip !== undefined ? [{ ip_address: ip }] : undefined,
          }),
        }),
      );
    },
  );
  act(clientCommand(ports, 'delete <id...>', 'delete ports'), async (ctx, [ids]) => {
    await eachOf(ids as string[], (id) => ctx.client.ports.delete(id));
  });
}

function registerRouteTables(program: Command): void {
  const tables = group(program, 'routetables', 'route tables of VPCs (read only)');
  act(
    clientCommand(tables, 'list', 'list route tables')
      .option('--vpc-id <id>', 'only those of this VPC')
      .option('--subnet-id <id>', 'only the one of this subnet'),
    async (ctx, _, o) =>
      ctx.print.list(
        await ctx.client.routetables.listAll(defined({ vpc_id: str(o.vpcId), subnet_id: str(o.subnetId) })),
        ROUTETABLE_COLUMNS,
      ),
  );
  act(clientCommand(tables, 'get <id>', 'show a route table and its routes'), async (ctx, [id]) =>
    ctx.print.one(await ctx.client.routetables.get(String(id))),
  );
}

export function registerVpcCommands(program: Command): void {
  registerVpcs(program);
  registerSubnets(program);
  registerPorts(program);
  registerRouteTables(program);
}
