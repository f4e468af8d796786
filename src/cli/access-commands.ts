import type { Command } from 'commander';
import type { Connection, EndpointStatus, Permission } from '../client/types.ts';
import type { PermissionType } from '../client/permissions.ts';
import { act, clientCommand, eachOf, group } from './context.ts';
import type { Column } from './output.ts';
import { defined, str } from './parse.ts';
import { UsageError } from './usage.ts';

// connections and permissions: who may connect to a provider's service, and
// the provider's decision on each endpoint.

const CONNECTION_COLUMNS: Column<Connection>[] = [
  { header: 'ENDPOINT', get: (c) => c.id },
  { header: 'MARKER', get: (c) => c.marker_id },
  { header: 'STATUS', get: (c) => c.status },
  { header: 'DOMAIN', get: (c) => c.domain_id },
  { header: 'DESCRIPTION', get: (c) => c.description },
];

const PERMISSION_COLUMNS: Column<Permission>[] = [
  { header: 'ID', get: (p) => p.id },
  { header: 'PERMISSION', get: (p) => p.permission },
  { header: 'TYPE', get: (p) => p.permission_type },
  { header: 'DESCRIPTION', get: (p) => p.description },
];

function permissionType(value: unknown): PermissionType {
  if (value === 'domainId' || value === 'orgPath') return value;
  throw new UsageError(`invalid --type '${String(value)}': domainId or orgPath`);
}

function registerConnections(program: Command): void {
  const connections = group(
    program,
    'connections',
    "the endpoints connected to one of the provider's services",
  );
  act(
    clientCommand(connections, 'list <service-id>', 'list the connections of a service')
      .option('--status <status>', 'pendingAcceptance, accepted, rejected, failed…')
      .option('--endpoint-id <id>', 'only this endpoint')
      .option('--marker-id <n>', 'only the endpoint with this marker id'),
    async (ctx, [serviceId], o) => {
      const filter = defined({
        status: str(o.status) as EndpointStatus | undefined,
        id: str(o.endpointId),
        marker_id: str(o.markerId),
      });
      ctx.print.list(await ctx.client.connections.listAll(String(serviceId), filter), CONNECTION_COLUMNS);
    },
  );
  for (const [verb, description] of [
    ['accept', 'accept endpoints: traffic flows'],
    ['reject', 'reject endpoints: their traffic stops'],
  ] as const) {
    act(
      clientCommand(connections, `${verb} <service-id> <endpoint-id...>`, description),
      async (ctx, [serviceId, endpointIds]) => {
        const service = String(serviceId);
        const done = await eachOf(endpointIds as string[], (id) =>
          verb === 'accept'
            ? ctx.client.connections.accept(service, id)
            : ctx.client.connections.reject(service, id),
        );
        ctx.print.list(done, CONNECTION_COLUMNS);
      },
    );
  }
  act(
    clientCommand(
      connections,
      'describe <service-id> <endpoint-id> <description>',
      "set the provider's note on a connection",
    ),
    async (ctx, [serviceId, endpointId, description]) =>
      ctx.print.list(
        await ctx.client.connections.describe(String(serviceId), [
          { id: String(endpointId), description: String(description) },
        ]),
        CONNECTION_COLUMNS,
      ),
  );
}

function registerPermissions(program: Command): void {
  const permissions = group(
    program,
    'permissions',
    'the whitelist of accounts allowed to connect to a service',
  );
  act(
    clientCommand(permissions, 'list <service-id>', 'list the whitelist of a service').option(
      '--filter <text>',
      'only records containing this',
    ),
    async (ctx, [serviceId], o) =>
      ctx.print.list(
        await ctx.client.permissions.listAll(String(serviceId), defined({ permission: str(o.filter) })),
        PERMISSION_COLUMNS,
      ),
  );
  act(
    clientCommand(
      permissions,
      'add <service-id> <permission...>',
      'allow accounts: iam:domain::ID, or * for all',
    )
      .option('--type <type>', 'domainId or orgPath', 'domainId')
      .option('--description <text>', 'a description for the new records'),
    async (ctx, [serviceId, records], o) => {
      const type = permissionType(o.type);
      const list = records as string[];
      const description = str(o.description);
      if (description === undefined) {
        ctx.print.data({ permissions: await ctx.client.permissions.add(String(serviceId), list, type) });
      } else {
        const rows = list.map((permission) => ({ permission, description }));
        ctx.print.list(
          await ctx.client.permissions.batchCreate(String(serviceId), rows, type),
          PERMISSION_COLUMNS,
        );
      }
    },
  );
  act(
    clientCommand(
      permissions,
      'remove <service-id> <permission...>',
      'stop allowing accounts, by record text',
    ).option('--type <type>', 'domainId or orgPath', 'domainId'),
    async (ctx, [serviceId, records], o) =>
      ctx.print.data({
        permissions: await ctx.client.permissions.remove(
          String(serviceId),
          records as string[],
          permissionType(o.type),
        ),
      }),
  );
  act(
    clientCommand(
      permissions,
      'update <service-id> <permission-id>',
      'change the description of a record',
    ).requiredOption('--description <text>', 'the new description'),
    async (ctx, [serviceId, permissionId], o) =>
      ctx.print.one(
        await ctx.client.permissions.describe(String(serviceId), String(permissionId), String(o.description)),
      ),
  );
  act(
    clientCommand(permissions, 'delete <service-id> <permission-id...>', 'remove records by id'),
    async (ctx, [serviceId, ids]) =>
      ctx.print.list(
        await ctx.client.permissions.batchDelete(String(serviceId), ids as string[]),
        PERMISSION_COLUMNS,
      ),
  );
}

export function registerAccessCommands(program: Command): void {
  registerConnections(program);
  registerPermissions(program);
}
