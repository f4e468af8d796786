import type { Kysely } from 'kysely';
import type { VpcConfig } from '../config/schema.ts';
import type { Clock } from '../context/clock.ts';
import type { Database } from '../store/schema.ts';
import type { HostRanges } from './host-ranges.ts';
import { createPortIn, updatePortIn } from './ports/operations.ts';
import { findPortAnywhere, findPortInSubnet } from './ports/repository.ts';
import { ensureDefaultRouteTable } from './route-tables/operations.ts';
import type { Db } from './shared/repository.ts';
import { createSubnetIn, updateSubnetIn } from './subnets/operations.ts';
import { findSubnetAnywhere, subnetsOfVpc, type SubnetRow } from './subnets/repository.ts';
import { createVpcIn, updateVpcIn } from './vpcs/operations.ts';
import { findVpcAnywhere, findVpcByName, type VpcRow } from './vpcs/repository.ts';

// Brings the VPCs an account declares in the configuration up to date at every
// start. A declared resource is found by id when the file gives one, else by its
// natural key (VPC name in the project, subnet name in the VPC, port address in
// the subnet), created when missing and changed to match the file when found.
// Optional keys the file leaves out keep their current value. Nothing the file
// does not name is touched, so resources created through the API survive.

type SubnetConfig = NonNullable<VpcConfig['subnets']>[number];
type PortConfig = NonNullable<SubnetConfig['ports']>[number];

/** Startup errors name the declaration at fault; the API's error text says what is wrong with it. */
class SeedError extends Error {
  constructor(where: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${where}: ${detail}`, { cause });
    this.name = 'SeedError';
  }
}

async function within<T>(where: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SeedError || !(err instanceof Error)) throw err;
    throw new SeedError(where, err);
  }
}

async function seedOneVpc(db: Db, now: number, projectId: string, cfg: VpcConfig): Promise<VpcRow> {
  const existing =
    cfg.id !== undefined ? await findVpcAnywhere(db, cfg.id) : await findVpcByName(db, projectId, cfg.name);
  if (!existing)
    return createVpcIn(db, now, projectId, {
      id: cfg.id,
      name: cfg.name,
      description: '',
      cidr: cfg.cidr,
    });
  if (existing.project_id !== projectId) throw new Error(`VPC id ${existing.id} belongs to another project`);
  const vpc = await updateVpcIn(db, now, existing, { name: cfg.name, cidr: cfg.cidr });
  await ensureDefaultRouteTable(db, now, vpc);
  return vpc;
}

async function findSubnet(db: Db, vpc: VpcRow, cfg: SubnetConfig): Promise<SubnetRow | undefined> {
  if (cfg.id !== undefined) {
    const byId = await findSubnetAnywhere(db, cfg.id);
    if (byId && byId.vpc_id !== vpc.id) throw new Error(`subnet id ${cfg.id} belongs to another VPC`);
    return byId;
  }
  const named = (await subnetsOfVpc(db, vpc.id)).filter((s) => s.name === cfg.name);
  if (named.length > 1)
    throw new Error(`the VPC has ${named.length} subnets named '${cfg.name}'; give the id`);
  return named[0];
}

async function seedSubnet(
  db: Db,
  now: number,
  vpc: VpcRow,
  cfg: SubnetConfig,
  ranges: HostRanges,
): Promise<SubnetRow> {
  const existing = await findSubnet(db, vpc, cfg);
  if (!existing) {
    return createSubnetIn(
      db,
      now,
      vpc,
      {
        id: cfg.id,
        name: cfg.name,
        description: '',
        cidr: cfg.cidr,
        gatewayIp: cfg.gateway_ip,
        dhcpEnable: true,
        primaryDns: null,
        secondaryDns: null,
        availabilityZone: null,
      },
      ranges,
    );
  }
  const unchanged =
    existing.name === cfg.name &&
    existing.cidr === cfg.cidr &&
    (cfg.gateway_ip === undefined || cfg.gateway_ip === existing.gateway_ip);
  if (unchanged) return existing;
  return updateSubnetIn(
    db,
    now,
    existing,
    { name: cfg.name, cidr: cfg.cidr, gatewayIp: cfg.gateway_ip },
    ranges,
  );
}

async function seedPort(db: Db, now: number, subnet: SubnetRow, cfg: PortConfig): Promise<void> {
  let port = cfg.id !== undefined ? await findPortAnywhere(db, cfg.id) : undefined;
  if (port && port.network_id !== subnet.id) throw new Error(`port id ${port.id} belongs to another subnet`);
  if (!port) {
    const atAddress = await findPortInSubnet(db, subnet.id, cfg.ip);
    // With an id in the file, an address held by a different port is a conflict, not that port.
    if (atAddress && cfg.id !== undefined) {
      throw new Error(`address ${cfg.ip} is already used by port ${atAddress.id}`);
    }
    port = atAddress;
  }
  if (!port) {
    await createPortIn(db, now, subnet, {
      id: cfg.id,
      name: cfg.name ?? '',
      ipAddress: cfg.ip,
      deviceOwner: cfg.device_owner ?? '',
      deviceId: '',
    });
    return;
  }
  await updatePortIn(db, now, port, subnet, {
    name: cfg.name,
    ipAddress: cfg.ip,
    deviceOwner: cfg.device_owner,
  });
}

/**
 * Creates or updates one VPC declared in the configuration, with its subnets
 * and ports. A subnet created or moved obeys the host-network rule like one
 * made through the API; one already stored unchanged is left as it is (the
 * data plane deals with overlaps older stores may hold).
 */
export async function seedVpc(
  db: Kysely<Database>,
  clock: Clock,
  projectId: string,
  cfg: VpcConfig,
  ranges: HostRanges,
): Promise<void> {
  const now = clock.now();
  const vpcWhere = `vpc '${cfg.name}'`;
  const vpc = await within(vpcWhere, () => seedOneVpc(db, now, projectId, cfg));
  for (const s of cfg.subnets ?? []) {
    const subnetWhere = `${vpcWhere} subnet '${s.name}'`;
    const subnet = await within(subnetWhere, () => seedSubnet(db, now, vpc, s, ranges));
    for (const p of s.ports ?? []) {
      await within(`${subnetWhere} port ${p.ip}`, () => seedPort(db, now, subnet, p));
    }
  }
}
