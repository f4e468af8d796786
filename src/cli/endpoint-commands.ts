import type { Command } from 'commander';
import type {
  Endpoint,
  EndpointCreate,
  EndpointPolicy,
  EndpointTraffic,
  ListEndpointsQuery,
} from '../client/types.ts';
import { waitForEndpoint, type EndpointTarget } from '../client/waiter.ts';
import { act, clientCommand, deleteEach, group, waitable, withWaitTimeout, type Context } from './context.ts';
import type { Column } from './output.ts';
import { collect, defined, parseTag, readJson, str } from './parse.ts';
import { UsageError } from './usage.ts';

// endpoints: the consumer's side of a connection.

const ENDPOINT_COLUMNS: Column<Endpoint>[] = [
  { header: 'ID', get: (e) => e.id },
  { header: 'SERVICE', get: (e) => e.endpoint_service_name },
  { header: 'STATUS', get: (e) => e.status },
  { header: 'IP', get: (e) => e.ip },
  { header: 'VPC', get: (e) => e.vpc_id },
  { header: 'DNS', get: (e) => e.dns_names[0] },
];

async function settle(ctx: Context, id: string, target: EndpointTarget): Promise<Endpoint | undefined> {
  return ctx.wait(`endpoint ${id}`, (w) => waitForEndpoint(ctx.client.endpoints, id, target, w));
}

function registerCreate(endpoints: Command): void {
  const create = clientCommand(endpoints, 'create', 'connect a VPC to an endpoint service')
    .requiredOption('--service <id>', 'the endpoint service id')
    .requiredOption('--vpc-id <id>', 'the VPC to connect from')
    .option('--subnet-id <id>', 'the subnet the endpoint address is taken from (interface services)')
    .option('--ip <ip>', 'the endpoint address (default: the next free one)')
    .option('--dns', 'create a private DNS name')
    .option('--whitelist <cidr...>', 'addresses allowed to use the endpoint (turns the whitelist on)')
    .option('--routetable <id>', 'a route table (gateway services; repeatable)', collect)
    .option('--description <text>', 'description')
    .option('--tag <KEY=VALUE>', 'a tag (repeatable)', collect);
  act(waitable(create, 'the endpoint is accepted or waits for the provider'), async (ctx, _, o) => {
    const whitelist = o.whitelist as string[] | undefined;
    const body: EndpointCreate = {
      endpoint_service_id: String(o.service),
      vpc_id: String(o.vpcId),
      ...defined({
        subnet_id: str(o.subnetId),
        port_ip: str(o.ip),
        enable_dns: o.dns === true ? true : undefined,
        whitelist,
        enable_whitelist: whitelist !== undefined ? true : undefined,
        routetables: o.routetable as string[] | undefined,
        description: str(o.description),
        tags: (o.tag as string[] | undefined)?.map((t) => parseTag(t)),
      }),
    };
    const created = await ctx.client.endpoints.create(body);
    if (!o.wait) return ctx.print.one(created);
    const settled = await settle(ctx, created.id, 'settled');
    ctx.print.one(settled);
    if (settled?.status === 'pendingAcceptance') {
      process.stderr.write(
        `vpcep: endpoint ${created.id} waits for the provider to accept it ` +
          `(vpcep endpoints wait ${created.id} --until accepted)\n`,
      );
    }
  });
}

function registerPolicy(endpoints: Command): void {
  act(
    clientCommand(endpoints, 'set-policy <id>', 'set the policy of an endpoint')
      .option('--statement <JSON|@FILE>', 'policy statements (a JSON array)')
      .option('--document <JSON|@FILE>', 'a policy document (a JSON object)'),
    async (ctx, [id], o) => {
      const statement = str(o.statement);
      const document = str(o.document);
      if (statement === undefined && document === undefined)
        throw new UsageError('give --statement or --document');
      const policy = defined({
        policy_statement: statement !== undefined ? readJson('--statement', statement) : undefined,
        policy_document: document !== undefined ? readJson('--document', document) : undefined,
      });
      // The API checks the shape of the policy and answers with its own codes.
      ctx.print.one(await ctx.client.endpoints.setPolicy(String(id), policy as EndpointPolicy));
    },
  );
  act(clientCommand(endpoints, 'delete-policy <id>', 'remove the policy of an endpoint'), async (ctx, [id]) =>
    ctx.print.one(await ctx.client.endpoints.deletePolicy(String(id))),
  );
}

/** The counters as one flat record; a node that does not forward says so instead of zeros. */
function trafficRows(answer: EndpointTraffic): Record<string, unknown> {
  const t = answer.traffic;
  if (t === null) {
    return { vpc_endpoint_id: answer.vpc_endpoint_id, dataplane: 'not run by this node: it counts nothing' };
  }
  const { refused, ...counts } = t;
  return {
    vpc_endpoint_id: answer.vpc_endpoint_id,
    ...counts,
    refused_whitelist: refused.whitelist,
    refused_limit: refused.limit,
  };
}

function registerEndpoints(program: Command): void {
  const endpoints = group(program, 'endpoints', 'VPC endpoints: connections from a VPC to a service');
  act(
    clientCommand(endpoints, 'list', "list the project's endpoints")
      .option('--service-name <text>', 'only endpoints of services whose name contains this')
      .option('--vpc-id <id>', 'only endpoints in this VPC')
      .option('--id <id>', 'only this endpoint'),
    async (ctx, _, o) => {
      const filter: ListEndpointsQuery = defined({
        endpoint_service_name: str(o.serviceName),
        vpc_id: str(o.vpcId),
        id: str(o.id),
      });
      ctx.print.list(await ctx.client.endpoints.listAll(filter), ENDPOINT_COLUMNS);
    },
  );
  act(clientCommand(endpoints, 'get <id>', 'show an endpoint'), async (ctx, [id]) =>
    ctx.print.one(await ctx.client.endpoints.get(String(id))),
  );
  act(
    clientCommand(endpoints, 'traffic <id>', "the answering node's traffic counters of an endpoint"),
    async (ctx, [id]) => {
      const answer = await ctx.client.endpoints.traffic(String(id));
      // A table shows one counter per line; JSON and YAML keep the API's shape.
      ctx.print.one(ctx.print.format === 'table' ? trafficRows(answer) : answer);
    },
  );
  registerCreate(endpoints);
  act(
    clientCommand(endpoints, 'update <id>', "change an endpoint's address whitelist")
      .option('--whitelist <cidr...>', 'replace the whitelist (and turn it on)')
      .option('--clear-whitelist', 'empty the whitelist')
      .option('--enable-whitelist', 'turn the whitelist on')
      .option('--disable-whitelist', 'turn the whitelist off'),
    async (ctx, [id], o) => {
      const whitelist = o.clearWhitelist ? [] : (o.whitelist as string[] | undefined);
      if (o.enableWhitelist && o.disableWhitelist)
        throw new UsageError('--enable-whitelist or --disable-whitelist, not both');
      const enable = o.enableWhitelist
        ? true
        : o.disableWhitelist
          ? false
          : o.whitelist !== undefined
            ? true
            : undefined;
      if (whitelist === undefined && enable === undefined) throw new UsageError('nothing to change');
      ctx.print.one(
        await ctx.client.endpoints.update(String(id), defined({ whitelist, enable_whitelist: enable })),
      );
    },
  );
  act(
    waitable(clientCommand(endpoints, 'delete <id...>', 'delete endpoints'), 'they are gone'),
    async (ctx, [ids], o) => {
      await deleteEach(
        ids as string[],
        o.wait === true,
        (id) => ctx.client.endpoints.delete(id),
        (id) => settle(ctx, id, 'deleted'),
      );
    },
  );
  act(
    clientCommand(
      endpoints,
      'set-routetables <id> <routetable-id...>',
      'replace the route tables of a gateway endpoint',
    ),
    async (ctx, [id, tables]) =>
      ctx.print.data({
        routetables: await ctx.client.endpoints.setRoutetables(String(id), tables as string[]),
      }),
  );
  registerPolicy(endpoints);
  act(
    clientCommand(endpoints, 'upgrade <id>', 'upgrade an endpoint to the professional edition'),
    async (ctx, [id]) => ctx.client.endpoints.upgrade(String(id)),
  );
  act(
    withWaitTimeout(
      clientCommand(endpoints, 'wait <id>', 'wait for an endpoint to settle, be accepted or be gone'),
    ).option(
      '--until <state>',
      'settled (accepted or waiting for the provider), accepted or deleted',
      'settled',
    ),
    async (ctx, [id], o) => {
      const until = String(o.until);
      if (until !== 'settled' && until !== 'accepted' && until !== 'deleted') {
        throw new UsageError(`invalid --until '${until}': settled, accepted or deleted`);
      }
      const endpoint = await settle(ctx, String(id), until);
      if (endpoint) ctx.print.one(endpoint);
    },
  );
}

export { registerEndpoints as registerEndpointCommands };
