import type { Command } from 'commander';
import type { VpcepClient } from '../client/index.ts';
import type { Endpoint, EndpointService, Subnet, Vpc } from '../client/types.ts';
import { waitForEndpoint, waitForService } from '../client/waiter.ts';
import {
  act,
  clientCommand,
  configuredCredentials,
  withWaitTimeout,
  type Context,
  type Options,
} from './context.ts';
import { normalizeEndpoint } from '../client/fetch-transport.ts';
import { DEFAULT_ENDPOINT, credentialsConfigured, ENV, type ResolvedCredentials } from './profiles.ts';
import { safeText } from './output.ts';
import { parseCount, str } from './parse.ts';
import { UsageError } from './usage.ts';

// `vpcep demo`: the README's topology in one command. A provider network with
// a backend port published as a service (approval on), a consumer network with
// an endpoint to it, the connection accepted; then what to run to see traffic
// flow. `--delete` removes it again. Both sides are the caller's own project.

const NAMES = { providerVpc: 'demo-provider', consumerVpc: 'demo-consumer' } as const;
const PROVIDER = {
  cidr: '127.20.0.0/16',
  subnet: '127.20.0.0/24',
  gateway: '127.20.0.1',
  backend: '127.20.0.10',
};
const CONSUMER = {
  cidr: '127.30.0.0/16',
  subnet: '127.30.0.0/24',
  gateway: '127.30.0.1',
  endpoint: '127.30.0.5',
};
/** The address clients use: inside the consumer subnet, as the whitelist-free own-account connection expects. */
const CLIENT_IP = '127.30.0.7';

function port(name: string, value: unknown, fallback: number): number {
  const n = parseCount(name, value) ?? fallback;
  if (n < 1 || n > 65535) throw new UsageError(`invalid ${name} '${String(value)}': 1 to 65535`);
  return n;
}

/** The configured credentials, else the demo account of the local server. */
async function demoCredentials(opts: Options): Promise<ResolvedCredentials> {
  const choice = { profile: str(opts.profile), endpoint: str(opts.endpoint) };
  if (credentialsConfigured(choice)) return configuredCredentials(opts);
  const { locateDemoAccount, readDemoAccount } = await import('./demo-account.ts');
  const location = locateDemoAccount({ dataDir: str(opts.dataDir), config: str(opts.config) });
  const account = readDemoAccount(location.file);
  const endpoint = choice.endpoint ?? location.endpoint ?? process.env[ENV.endpoint] ?? DEFAULT_ENDPOINT;
  return {
    endpoint: normalizeEndpoint(endpoint),
    ak: account.ak,
    sk: account.sk,
    projectId: account.project_id,
    source: `demo account (${location.file})`,
  };
}

function step(ctx: Context, text: string): void {
  if (ctx.print.format === 'table') process.stderr.write(`vpcep demo: ${text}\n`);
}

/** A demo VPC with its one subnet. */
async function network(
  c: VpcepClient,
  vpcName: string,
  subnetName: string,
  spec: { cidr: string; subnet: string; gateway: string },
): Promise<{ vpc: Vpc; subnet: Subnet }> {
  const vpc = await c.vpcs.create({ name: vpcName, cidr: spec.cidr, description: 'vpcep demo' });
  const subnet = await c.subnets.create({
    name: subnetName,
    vpc_id: vpc.id,
    cidr: spec.subnet,
    gateway_ip: spec.gateway,
  });
  return { vpc, subnet };
}

interface Built {
  service: EndpointService;
  endpoint: Endpoint;
  clientPort: number;
  backendPort: number;
}

async function build(ctx: Context, clientPort: number, backendPort: number): Promise<Built> {
  const c: VpcepClient = ctx.client;
  const existing = (await c.vpcs.listAll()).filter(
    (v) => v.name === NAMES.providerVpc || v.name === NAMES.consumerVpc,
  );
  if (existing.length > 0) {
    throw new Error(
      `the demo topology exists already (VPC ${existing[0]?.name}); remove it with: vpcep demo --delete`,
    );
  }
  step(ctx, `provider network ${PROVIDER.cidr} with a backend port ${PROVIDER.backend}`);
  const provider = await network(c, NAMES.providerVpc, 'demo-backend', PROVIDER);
  const backend = await c.ports.create({
    name: 'demo-backend',
    network_id: provider.subnet.id,
    fixed_ips: [{ ip_address: PROVIDER.backend }],
    device_owner: 'compute:demo',
  });
  step(ctx, `consumer network ${CONSUMER.cidr}`);
  const consumer = await network(c, NAMES.consumerVpc, 'demo-clients', CONSUMER);
  step(ctx, `endpoint service: port ${clientPort} to the backend's port ${backendPort}, approval on`);
  const created = await c.services.create({
    port_id: backend.id,
    vpc_id: provider.vpc.id,
    server_type: 'VM',
    service_type: 'interface',
    service_name: 'demo',
    approval_enabled: true,
    tcp_proxy: 'close',
    ports: [{ client_port: clientPort, server_port: backendPort, protocol: 'TCP' }],
  });
  const service = await ctx.wait(`service ${created.id}`, (w) =>
    waitForService(c.services, created.id, 'available', w),
  );
  step(ctx, `endpoint ${CONSUMER.endpoint} in the consumer network`);
  const requested = await c.endpoints.create({
    endpoint_service_id: created.id,
    vpc_id: consumer.vpc.id,
    subnet_id: consumer.subnet.id,
    port_ip: CONSUMER.endpoint,
    enable_dns: true,
    description: 'vpcep demo',
  });
  await ctx.wait(`endpoint ${requested.id}`, (w) => waitForEndpoint(c.endpoints, requested.id, 'settled', w));
  step(ctx, 'the provider accepts the connection');
  await c.connections.accept(created.id, requested.id);
  const endpoint = await ctx.wait(`endpoint ${requested.id}`, (w) =>
    waitForEndpoint(c.endpoints, requested.id, 'accepted', w),
  );
  if (!service || !endpoint) throw new Error('the demo resources disappeared while being built');
  return { service, endpoint, clientPort, backendPort };
}

function instructions(built: Built): string[] {
  const { endpoint, clientPort, backendPort } = built;
  return [
    `python3 -m http.server ${backendPort} --bind ${PROVIDER.backend}    # the backend, in another terminal`,
    `curl --interface ${CLIENT_IP} http://${CONSUMER.endpoint}:${clientPort}/    # through the endpoint`,
    `dig @127.0.0.1 -p 5353 +short ${endpoint.dns_names[0] ?? ''}    # its DNS name (the address 'vpcep serve' printed)`,
    'vpcep demo --delete    # remove the demo',
  ];
}

async function teardown(ctx: Context): Promise<string[]> {
  const c = ctx.client;
  const vpcs = (await c.vpcs.listAll()).filter(
    (v) => v.name === NAMES.providerVpc || v.name === NAMES.consumerVpc,
  );
  const removed: string[] = [];
  for (const vpc of vpcs) {
    for (const e of await c.endpoints.listAll({ vpc_id: vpc.id })) {
      step(ctx, `deleting endpoint ${e.id}`);
      await c.endpoints.delete(e.id);
      await ctx.wait(`endpoint ${e.id}`, (w) => waitForEndpoint(c.endpoints, e.id, 'deleted', w));
      removed.push(e.id);
    }
  }
  for (const vpc of vpcs) {
    for (const s of (await c.services.listAll()).filter((x) => x.vpc_id === vpc.id)) {
      step(ctx, `deleting endpoint service ${s.id}`);
      await c.services.delete(s.id);
      await ctx.wait(`service ${s.id}`, (w) => waitForService(c.services, s.id, 'deleted', w));
      removed.push(s.id);
    }
  }
  for (const vpc of vpcs) {
    for (const subnet of await c.subnets.listAll({ vpc_id: vpc.id })) {
      for (const p of await c.ports.listAll({ network_id: subnet.id })) {
        await c.ports.delete(p.id);
        removed.push(p.id);
      }
      await c.subnets.delete(vpc.id, subnet.id);
      removed.push(subnet.id);
    }
    step(ctx, `deleting VPC ${vpc.name}`);
    await c.vpcs.delete(vpc.id);
    removed.push(vpc.id);
  }
  return removed;
}

export function registerDemoCommand(program: Command): void {
  const cmd = withWaitTimeout(
    clientCommand(program, 'demo', "build the README's topology (two VPCs, a service, an accepted endpoint)"),
  )
    .option('--port <n>', 'the port clients connect to on the endpoint', '8080')
    .option('--backend-port <n>', 'the port the backend listens on', '8000')
    .option('--delete', 'remove the demo topology instead')
    .option(
      '--data-dir <dir>',
      'without credentials: the data folder of the server whose demo account to use',
    )
    .option('-c, --config <file>', "without credentials: the server's configuration file");
  act(
    cmd,
    async (ctx, _, o) => {
      if (o.delete) {
        const removed = await teardown(ctx);
        if (ctx.print.format === 'table') process.stdout.write(`removed ${removed.length} resources\n`);
        else ctx.print.data({ removed });
        return;
      }
      const built = await build(
        ctx,
        port('--port', o.port, 8080),
        port('--backend-port', o.backendPort, 8000),
      );
      const steps = instructions(built);
      if (ctx.print.format !== 'table') {
        ctx.print.data({ service: built.service, endpoint: built.endpoint, try: steps });
        return;
      }
      process.stdout.write(
        safeText(`service   ${built.service.service_name} (${built.service.id})`) +
          '\n' +
          [
            `endpoint  ${safeText(built.endpoint.id)}: ${safeText(built.endpoint.status)}, ${CONSUMER.endpoint}:${built.clientPort} -> ${PROVIDER.backend}:${built.backendPort}`,
            '',
            'Try it:',
            ...steps.map((s) => `  ${safeText(s)}`),
            '',
          ].join('\n'),
      );
    },
    demoCredentials,
  );
}
