import type { Kysely } from 'kysely';
import type { AccountConfig, Config } from '../config/schema.ts';
import type { DeclaredEndpointConfig, DeclaredServiceConfig } from '../config/testbed-schema.ts';
import { holdsUnstorableText } from '../context/unstorable-text.ts';
import { ApiError } from '../errors/api-error.ts';
import { IdentityRepository } from '../identity/repository.ts';
import type { Database } from '../store/schema.ts';
import { getPort, getSubnet, getVpc } from '../vpc/inventory.ts';
import { listPorts } from '../vpc/ports/repository.ts';
import { subnetsOfVpc } from '../vpc/subnets/repository.ts';
import { findVpcByName } from '../vpc/vpcs/repository.ts';
import { checkEndpointFields } from '../vpcep/endpoints/new-endpoint.ts';
import type { CreateEndpointBody } from '../vpcep/endpoints/schemas.ts';
import { checkPermissions, DOMAIN_PREFIX, grantsDomain } from '../vpcep/permissions/format.ts';
import type { CreateServiceBody } from '../vpcep/services/schemas.ts';
import { TCP_PROXY_VALUES } from '../vpcep/services/schemas.ts';
import { checkServiceFields } from '../vpcep/services/service.ts';
import { TestbedError } from './errors.ts';

// Turns the declarations of the configuration into what the operations take:
// names of projects, ports, VPCs, subnets, accounts and declared services
// become ids, and every check that needs no write runs now, so a mistake stops
// the start with the declaration named before anything is created.

type Db = Kysely<Database>;
type Limits = Pick<Config['limits'], 'port_mappings' | 'endpoint_whitelist'>;

export interface Owner {
  accountName: string;
  domainId: string;
  projectId: string;
}

export interface ServicePlan {
  label: string;
  /** The record key: one per account and service_name. */
  key: string;
  owner: Owner;
  body: CreateServiceBody;
  /** The whitelist as the API's records (`iam:domain::ID`, `*`). */
  permissions: string[];
}

export interface EndpointPlan {
  label: string;
  key: string;
  owner: Owner;
  /** A declared service (by its record key) or any service by id. */
  service: { declared: ServicePlan } | { id: string };
  body: Omit<CreateEndpointBody, 'endpoint_service_id'>;
  accept: boolean;
}

export interface Plan {
  services: ServicePlan[];
  endpoints: EndpointPlan[];
}

const ID32 = /^[0-9a-f]{32}$/;

export function serviceKey(domainId: string, serviceName: string): string {
  return `testbed:service:${domainId}:${serviceName}`;
}

export function endpointKey(domainId: string, name: string): string {
  return `testbed:endpoint:${domainId}:${name}`;
}

/** Whether any account declares services or endpoints. */
export function declaresTestbed(accounts: readonly AccountConfig[]): boolean {
  return accounts.some((a) => (a.services?.length ?? 0) > 0 || (a.endpoints?.length ?? 0) > 0);
}

/** Runs `check`; an API error it raises becomes a TestbedError naming the declaration. */
async function as<T>(label: string, check: () => Promise<T> | T): Promise<T> {
  try {
    return await check();
  } catch (err) {
    if (err instanceof ApiError) throw new TestbedError(label, `${err.code}: ${err.message}`);
    throw err;
  }
}

function exactlyOne(label: string, a: string | undefined, b: string | undefined, what: string): void {
  if ((a === undefined) === (b === undefined)) throw new TestbedError(label, `give exactly one of ${what}`);
}

class Resolver {
  readonly #db: Db;
  readonly #identity: IdentityRepository;
  readonly #region: string;

  constructor(db: Db, region: string) {
    this.#db = db;
    this.#identity = new IdentityRepository(db);
    this.#region = region;
  }

  async domainId(label: string, accountName: string): Promise<string> {
    const domain = await this.#identity.findDomainByName(accountName);
    if (!domain) throw new TestbedError(label, `account '${accountName}' does not exist`);
    return domain.id;
  }

  /** The declaration's `project` (name or id), else the account's first configured project. */
  async owner(label: string, account: AccountConfig, project: string | undefined): Promise<Owner> {
    const domainId = await this.domainId(label, account.name);
    const first = account.projects?.[0];
    const wanted = project ?? first?.id ?? first?.name ?? this.#region;
    const byId = ID32.test(wanted) ? await this.#identity.findProject(wanted) : undefined;
    const found =
      byId?.domain_id === domainId ? byId : (await this.#identity.listProjects(domainId, wanted))[0];
    if (!found) throw new TestbedError(label, `account '${account.name}' has no project '${wanted}'`);
    return { accountName: account.name, domainId, projectId: found.id };
  }

  async port(label: string, projectId: string, decl: DeclaredServiceConfig) {
    exactlyOne(label, decl.port_id, decl.port_name, 'port_id and port_name');
    if (decl.port_id !== undefined) {
      const port = await getPort(this.#db, projectId, decl.port_id);
      if (!port) throw new TestbedError(label, `port ${decl.port_id} does not exist in its project`);
      return port;
    }
    const named = await listPorts(this.#db, projectId, { name: decl.port_name, limit: 2 });
    if (named.length !== 1) {
      throw new TestbedError(
        label,
        named.length === 0
          ? `no port of its project is named '${decl.port_name}'`
          : `several ports of its project are named '${decl.port_name}': use port_id`,
      );
    }
    return named[0]!;
  }

  async vpc(label: string, projectId: string, decl: DeclaredEndpointConfig) {
    exactlyOne(label, decl.vpc_id, decl.vpc_name, 'vpc_id and vpc_name');
    const vpc =
      decl.vpc_id !== undefined
        ? await getVpc(this.#db, projectId, decl.vpc_id)
        : await findVpcByName(this.#db, projectId, decl.vpc_name ?? '');
    if (!vpc)
      throw new TestbedError(label, `VPC '${decl.vpc_id ?? decl.vpc_name}' does not exist in its project`);
    return vpc;
  }

  async subnetId(label: string, projectId: string, vpcId: string, decl: DeclaredEndpointConfig) {
    if (decl.subnet_id !== undefined && decl.subnet_name !== undefined) {
      throw new TestbedError(label, 'give at most one of subnet_id and subnet_name');
    }
    if (decl.subnet_id !== undefined) {
      const subnet = await getSubnet(this.#db, projectId, decl.subnet_id);
      if (!subnet || subnet.vpc_id !== vpcId) {
        throw new TestbedError(label, `subnet ${decl.subnet_id} is not a subnet of its VPC`);
      }
      return subnet.id;
    }
    if (decl.subnet_name === undefined) return undefined;
    const subnet = (await subnetsOfVpc(this.#db, vpcId)).find((s) => s.name === decl.subnet_name);
    if (!subnet) throw new TestbedError(label, `its VPC has no subnet named '${decl.subnet_name}'`);
    return subnet.id;
  }

  /** Account names and ids become `iam:domain::ID`; the API's own records pass as they are. */
  async permissions(label: string, entries: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const entry of entries) {
      if (entry === '*' || entry.startsWith(DOMAIN_PREFIX)) out.push(entry);
      else if (ID32.test(entry)) out.push(`${DOMAIN_PREFIX}${entry}`);
      else out.push(`${DOMAIN_PREFIX}${await this.domainId(label, entry)}`);
    }
    await as(label, () => checkPermissions(out, 'domainId'));
    return out;
  }
}

function serviceLabel(account: AccountConfig, i: number, name: string, index: number): string {
  return `accounts[${index}].services[${i}] (service '${name}' of account '${account.name}')`;
}

function endpointLabel(account: AccountConfig, i: number, name: string, index: number): string {
  return `accounts[${index}].endpoints[${i}] (endpoint '${name}' of account '${account.name}')`;
}

async function planService(
  r: Resolver,
  account: AccountConfig,
  decl: DeclaredServiceConfig,
  label: string,
  limits: Limits,
): Promise<ServicePlan> {
  refuseUnstorable(label, decl);
  const owner = await r.owner(label, account, decl.project);
  const port = await r.port(label, owner.projectId, decl);
  if (decl.tcp_proxy !== undefined && !(TCP_PROXY_VALUES as readonly string[]).includes(decl.tcp_proxy)) {
    throw new TestbedError(label, `tcp_proxy must be one of ${TCP_PROXY_VALUES.join(', ')}`);
  }
  const body: CreateServiceBody = {
    port_id: port.id,
    vpc_id: port.vpc_id,
    server_type: decl.server_type ?? 'VM',
    ports: decl.ports,
    service_name: decl.service_name,
    service_type: 'interface',
    ...(decl.approval_enabled !== undefined ? { approval_enabled: decl.approval_enabled } : {}),
    ...(decl.tcp_proxy !== undefined ? { tcp_proxy: decl.tcp_proxy as CreateServiceBody['tcp_proxy'] } : {}),
    ...(decl.description !== undefined ? { description: decl.description } : {}),
    ...(decl.tags !== undefined ? { tags: decl.tags } : {}),
  };
  await as(label, () => checkServiceFields(body, limits.port_mappings));
  const permissions = await r.permissions(label, decl.permissions ?? []);
  return { label, key: serviceKey(owner.domainId, decl.service_name), owner, body, permissions };
}

async function planEndpoint(
  r: Resolver,
  account: AccountConfig,
  decl: DeclaredEndpointConfig,
  label: string,
  services: readonly ServicePlan[],
  limits: Limits,
): Promise<EndpointPlan> {
  refuseUnstorable(label, decl);
  const owner = await r.owner(label, account, decl.project);
  exactlyOne(
    label,
    decl.endpoint_service_id,
    decl.endpoint_service_name,
    'endpoint_service_id and endpoint_service_name',
  );
  let service: EndpointPlan['service'];
  if (decl.endpoint_service_name !== undefined) {
    const [provider, name] = decl.endpoint_service_name.includes('/')
      ? decl.endpoint_service_name.split('/', 2)
      : [account.name, decl.endpoint_service_name];
    const declared = services.find((s) => s.owner.accountName === provider && s.body.service_name === name);
    if (!declared) {
      throw new TestbedError(
        label,
        `no declared service '${decl.endpoint_service_name}' (ACCOUNT/SERVICE_NAME)`,
      );
    }
    // The whitelist is the declaration's, so the refusal the API would answer later is known now.
    const allowed =
      declared.owner.domainId === owner.domainId ||
      declared.permissions.some((p) => grantsDomain(p, owner.domainId));
    if (!allowed) {
      throw new TestbedError(
        label,
        `${declared.label} does not let account '${account.name}' connect: add it to its permissions`,
      );
    }
    service = { declared };
  } else {
    // A service named by id may be anyone's: accepting for its provider would approve a
    // connection that provider never saw. Only a service declared in this file is accepted here.
    if (decl.accept === true) {
      throw new TestbedError(
        label,
        'accept: true needs a service declared in this file (endpoint_service_name); a service named by id is accepted by its provider',
      );
    }
    service = { id: decl.endpoint_service_id ?? '' };
  }
  const vpc = await r.vpc(label, owner.projectId, decl);
  const subnetId = await r.subnetId(label, owner.projectId, vpc.id, decl);
  const body: EndpointPlan['body'] = {
    vpc_id: vpc.id,
    ...(subnetId !== undefined ? { subnet_id: subnetId } : {}),
    ...(decl.port_ip !== undefined ? { port_ip: decl.port_ip } : {}),
    ...(decl.enable_dns !== undefined ? { enable_dns: decl.enable_dns } : {}),
    ...(decl.whitelist !== undefined ? { whitelist: decl.whitelist } : {}),
    ...(decl.enable_whitelist !== undefined ? { enable_whitelist: decl.enable_whitelist } : {}),
    ...(decl.description !== undefined ? { description: decl.description } : {}),
    ...(decl.tags !== undefined ? { tags: decl.tags } : {}),
  };
  await as(label, () => checkEndpointFields(body, limits.endpoint_whitelist));
  return {
    label,
    key: endpointKey(owner.domainId, decl.name),
    owner,
    service,
    body,
    accept: decl.accept === true,
  };
}

/** What the API refuses in any request body (PostgreSQL cannot store it), refused here too. */
function refuseUnstorable(label: string, decl: object): void {
  if (holdsUnstorableText(decl)) {
    throw new TestbedError(
      label,
      'a value holds a NUL character or an unpaired surrogate, which cannot be stored',
    );
  }
}

function refuseDuplicates(account: AccountConfig, index: number): void {
  const seen = new Set<string>();
  (account.services ?? []).forEach((s, i) => {
    if (seen.has(s.service_name)) {
      throw new TestbedError(
        serviceLabel(account, i, s.service_name, index),
        'the service_name is declared twice',
      );
    }
    seen.add(s.service_name);
  });
  seen.clear();
  (account.endpoints ?? []).forEach((e, i) => {
    if (seen.has(e.name))
      throw new TestbedError(endpointLabel(account, i, e.name, index), 'the name is declared twice');
    seen.add(e.name);
  });
}

/** Resolves every declaration of `accounts` (already seeded in `db`); throws TestbedError on the first mistake. */
export async function planTestbed(
  db: Db,
  accounts: readonly AccountConfig[],
  region: string,
  limits: Limits,
): Promise<Plan> {
  const r = new Resolver(db, region);
  const services: ServicePlan[] = [];
  const endpoints: EndpointPlan[] = [];
  for (const [index, account] of accounts.entries()) {
    refuseDuplicates(account, index);
    for (const [i, decl] of (account.services ?? []).entries()) {
      services.push(
        await planService(r, account, decl, serviceLabel(account, i, decl.service_name, index), limits),
      );
    }
  }
  for (const [index, account] of accounts.entries()) {
    for (const [i, decl] of (account.endpoints ?? []).entries()) {
      const label = endpointLabel(account, i, decl.name, index);
      endpoints.push(await planEndpoint(r, account, decl, label, services, limits));
    }
  }
  return { services, endpoints };
}
