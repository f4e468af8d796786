import type { Command } from 'commander';
import type {
  EndpointService,
  ListServicesQuery,
  PublicService,
  ServiceCreate,
  ServiceUpdate,
} from '../client/types.ts';
import type { ServiceTarget } from '../client/waiter.ts';
import { waitForService } from '../client/waiter.ts';
import {
  act,
  clientCommand,
  group,
  waitable,
  withWaitTimeout,
  deleteEach,
  type Context,
  type Options,
} from './context.ts';
import type { Column } from './output.ts';
import { collect, defined, parsePortMapping, parseTag, str } from './parse.ts';
import { UsageError } from './usage.ts';

// services (the provider's endpoint services) and public-services.

const SERVICE_COLUMNS: Column<EndpointService>[] = [
  { header: 'ID', get: (s) => s.id },
  { header: 'NAME', get: (s) => s.service_name },
  { header: 'STATUS', get: (s) => s.status },
  { header: 'TYPE', get: (s) => `${s.service_type}/${s.server_type}` },
  { header: 'APPROVAL', get: (s) => s.approval_enabled },
  { header: 'PORTS', get: (s) => s.ports.map((p) => `${p.client_port}:${p.server_port}/${p.protocol}`) },
  { header: 'CONNECTIONS', get: (s) => s.connection_count },
];

const PUBLIC_COLUMNS: Column<PublicService>[] = [
  { header: 'ID', get: (s) => s.id },
  { header: 'NAME', get: (s) => s.service_name },
  { header: 'TYPE', get: (s) => s.service_type },
  { header: 'OWNER', get: (s) => s.owner },
];

const SERVER_TYPES = ['VM', 'LB', 'VIP'];

function serverType(value: unknown): string {
  const type = String(value).toUpperCase();
  if (!SERVER_TYPES.includes(type))
    throw new UsageError(`invalid --server-type '${String(value)}': VM, LB or VIP`);
  return type;
}

async function settle(ctx: Context, id: string, target: ServiceTarget): Promise<EndpointService | undefined> {
  return ctx.wait(`endpoint service ${id}`, (w) => waitForService(ctx.client.services, id, target, w));
}

function approval(o: Options): boolean | undefined {
  return typeof o.approval === 'boolean' ? o.approval : undefined;
}

function registerCreate(services: Command): void {
  const create = clientCommand(services, 'create', 'publish a port as an endpoint service')
    .requiredOption('--port-id <id>', 'the backend: a server NIC, a load balancer or a virtual IP port')
    .requiredOption('--vpc-id <id>', 'the VPC of that port')
    .requiredOption('--port <CLIENT:SERVER[/TCP|/UDP]>', 'a port mapping (repeatable)', collect)
    .option('--name <name>', 'custom part of the service name')
    .option('--approval', 'connections wait for the provider to accept them')
    .option('--no-approval', 'connections are accepted at once (the default)')
    .option('--server-type <type>', 'VM, LB or VIP', 'VM')
    .option('--tcp-proxy <mode>', 'close, toa_open, proxy_open, open or proxy_vni')
    .option('--description <text>', 'description')
    .option('--tag <KEY=VALUE>', 'a tag (repeatable)', collect);
  act(waitable(create, 'the service is available'), async (ctx, _, o) => {
    const body = {
      port_id: String(o.portId),
      vpc_id: String(o.vpcId),
      server_type: serverType(o.serverType),
      service_type: 'interface',
      ports: (o.port as string[]).map(parsePortMapping),
      ...defined({
        service_name: str(o.name),
        approval_enabled: approval(o),
        tcp_proxy: str(o.tcpProxy),
        description: str(o.description),
        tags: (o.tag as string[] | undefined)?.map((t) => parseTag(t)),
      }),
    };
    // The API judges the mode and the ports, with its own error codes.
    const created = await ctx.client.services.create(body as ServiceCreate);
    ctx.print.one(o.wait ? await settle(ctx, created.id, 'available') : created);
  });
}

function registerServices(program: Command): void {
  const services = group(program, 'services', 'endpoint services: what a provider publishes');
  act(
    clientCommand(services, 'list', "list the project's endpoint services")
      .option('--name <text>', 'only names containing this')
      .option('--id <id>', 'only this service')
      .option('--status <status>', 'creating, available, failed or deleting'),
    async (ctx, _, o) => {
      const filter = defined({ endpoint_service_name: str(o.name), id: str(o.id), status: str(o.status) });
      ctx.print.list(await ctx.client.services.listAll(filter as ListServicesQuery), SERVICE_COLUMNS);
    },
  );
  act(clientCommand(services, 'get <id>', 'show an endpoint service'), async (ctx, [id]) =>
    ctx.print.one(await ctx.client.services.get(String(id))),
  );
  registerCreate(services);
  act(
    clientCommand(services, 'update <id>', 'change an endpoint service')
      .option('--name <name>', 'new custom part of the name')
      .option('--approval', 'connections wait for acceptance')
      .option('--no-approval', 'connections are accepted at once')
      .option('--port <CLIENT:SERVER[/TCP|/UDP]>', 'replace the port mappings (repeatable)', collect)
      .option('--port-id <id>', 'move the service to another backend port')
      .option('--tcp-proxy <mode>', 'close, toa_open, proxy_open, open or proxy_vni')
      .option('--description <text>', 'new description'),
    async (ctx, [id], o) => {
      const change = defined({
        service_name: str(o.name),
        approval_enabled: approval(o),
        ports: (o.port as string[] | undefined)?.map(parsePortMapping),
        port_id: str(o.portId),
        tcp_proxy: str(o.tcpProxy),
        description: str(o.description),
      });
      ctx.print.one(await ctx.client.services.update(String(id), change as ServiceUpdate));
    },
  );
  act(
    waitable(clientCommand(services, 'delete <id...>', 'delete endpoint services'), 'they are gone'),
    async (ctx, [ids], o) => {
      await deleteEach(
        ids as string[],
        o.wait === true,
        (id) => ctx.client.services.delete(id),
        (id) => settle(ctx, id, 'deleted'),
      );
    },
  );
  act(
    clientCommand(services, 'rename <id> [name]', 'set the custom part of the service name (none: clear it)'),
    async (ctx, [id, name]) =>
      ctx.print.data({ endpoint_service_name: await ctx.client.services.rename(String(id), str(name)) }),
  );
  act(
    clientCommand(services, 'describe', 'basic facts of any endpoint service, by id or full name')
      .option('--id <id>', 'the service id')
      .option('--name <name>', 'the full service name, e.g. tr-west-1.web.<id>'),
    async (ctx, _, o) => {
      if (o.id === undefined && o.name === undefined) throw new UsageError('give --id or --name');
      ctx.print.one(
        await ctx.client.services.describe(defined({ id: str(o.id), endpoint_service_name: str(o.name) })),
      );
    },
  );
  act(
    clientCommand(services, 'upgrade <id>', 'upgrade a service (accepted; one edition exists)'),
    async (ctx, [id]) => ctx.client.services.upgrade(String(id)),
  );
  act(
    clientCommand(
      services,
      'add-server-resources <id> <resource-id...>',
      'add backend resources to a service',
    ),
    async (ctx, [id, resources]) =>
      ctx.client.services.addServerResources(
        String(id),
        (resources as string[]).map((r) => ({ resource_id: r })),
      ),
  );
  act(
    withWaitTimeout(
      clientCommand(services, 'wait <id>', 'wait for a service to be available or gone'),
    ).option('--until <state>', 'available or deleted', 'available'),
    async (ctx, [id], o) => {
      const until = String(o.until);
      if (until !== 'available' && until !== 'deleted') throw new UsageError(`invalid --until '${until}'`);
      const service = await settle(ctx, String(id), until);
      if (service) ctx.print.one(service);
    },
  );

  const publics = group(program, 'public-services', "the operator's public endpoint services");
  act(
    clientCommand(publics, 'list', 'list public endpoint services')
      .option('--name <text>', 'only names containing this')
      .option('--id <id>', 'only this service'),
    async (ctx, _, o) =>
      ctx.print.list(
        await ctx.client.publicServices.listAll(
          defined({ endpoint_service_name: str(o.name), id: str(o.id) }),
        ),
        PUBLIC_COLUMNS,
      ),
  );
}

export { registerServices as registerServiceCommands };
