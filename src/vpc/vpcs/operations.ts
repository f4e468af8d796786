// Writes of the inventory's VPCs with their rules (a VPC is created with its
// default route table), shared by the API service and the configuration seeder.
// They must run inside a transaction: each locks the parent row it checks
// against first, so a check and the write it guards cannot be interleaved with
// another writer's.
import { uuid } from '../../context/ids.ts';
import { apiError } from '../../errors/api-error.ts';
import { isUniqueViolation } from '../../store/open.ts';
import { formatCidr } from '../cidr.ts';
import { ensureDefaultRouteTable } from '../route-tables/operations.ts';
import { vpcCidr, vpcCidrHoldsSubnets } from '../rules.ts';
import { notFound } from '../shared/not-found.ts';
import type { Db } from '../shared/repository.ts';
import { countSubnets, subnetsOfVpc } from '../subnets/repository.ts';
import { deleteVpc, findVpcByName, insertVpc, lockVpc, updateVpc, type VpcRow } from './repository.ts';

export interface NewVpc {
  id?: string | undefined;
  name: string;
  description: string;
  cidr: string;
}

async function assertNameFree(db: Db, projectId: string, name: string, self?: string): Promise<void> {
  if (name === '') return;
  const other = await findVpcByName(db, projectId, name);
  if (other && other.id !== self) {
    throw apiError('VPC.0003', `The project already has a VPC named '${name}' (${other.id}).`);
  }
}

/** Inserts, mapping a unique-index race on the VPC name to the error the pre-check gives. */
async function guardName<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw apiError('VPC.0003', `The project already has a VPC named '${name}'.`);
    throw err;
  }
}

/** Creates a VPC and its default route table (every VPC in the cloud has one). */
export async function createVpcIn(db: Db, now: number, projectId: string, input: NewVpc): Promise<VpcRow> {
  const cidr = vpcCidr(input.cidr);
  await assertNameFree(db, projectId, input.name);
  const row: VpcRow = {
    id: input.id ?? uuid(),
    project_id: projectId,
    name: input.name,
    description: input.description,
    cidr: formatCidr(cidr),
    status: 'OK',
    created_at: now,
    updated_at: now,
  };
  await guardName(input.name, () => insertVpc(db, row));
  await ensureDefaultRouteTable(db, now, row);
  return row;
}

export interface VpcChange {
  name?: string | undefined;
  description?: string | undefined;
  cidr?: string | undefined;
}

export async function updateVpcIn(db: Db, now: number, vpc: VpcRow, change: VpcChange): Promise<VpcRow> {
  if (!(await lockVpc(db, vpc.project_id, vpc.id))) throw notFound('VPC', vpc.id);
  const next: VpcRow = { ...vpc };
  if (change.name !== undefined && change.name !== vpc.name) {
    await assertNameFree(db, vpc.project_id, change.name, vpc.id);
    next.name = change.name;
  }
  if (change.description !== undefined) next.description = change.description;
  if (change.cidr !== undefined && change.cidr !== vpc.cidr) {
    const cidr = vpcCidr(change.cidr);
    vpcCidrHoldsSubnets(cidr, await subnetsOfVpc(db, vpc.id));
    next.cidr = formatCidr(cidr);
  }
  if (next.name === vpc.name && next.description === vpc.description && next.cidr === vpc.cidr) return vpc;
  next.updated_at = now;
  const { name, description, cidr, updated_at } = next;
  await guardName(name, () => updateVpc(db, vpc.id, { name, description, cidr, updated_at }));
  return next;
}

export async function deleteVpcIn(db: Db, vpc: VpcRow): Promise<void> {
  if (!(await lockVpc(db, vpc.project_id, vpc.id))) throw notFound('VPC', vpc.id);
  const subnets = await countSubnets(db, vpc.id);
  if (subnets > 0) {
    throw apiError('VPC.0401', `The VPC ${vpc.id} still has ${subnets} subnet(s); delete them first.`);
  }
  await deleteVpc(db, vpc.id);
}
