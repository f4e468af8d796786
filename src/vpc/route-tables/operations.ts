// The default route table every VPC in the cloud has, created with the VPC (or
// by the configuration seeder), inside the caller's transaction.
import { uuid } from '../../context/ids.ts';
import type { Db } from '../shared/repository.ts';
import type { VpcRow } from '../vpcs/repository.ts';
import { defaultRouteTableOf, insertRouteTable } from './repository.ts';

export async function ensureDefaultRouteTable(db: Db, now: number, vpc: VpcRow): Promise<void> {
  if (await defaultRouteTableOf(db, vpc.id)) return;
  await insertRouteTable(db, {
    id: uuid(),
    project_id: vpc.project_id,
    vpc_id: vpc.id,
    name: `rtb-${vpc.name === '' ? vpc.id.slice(0, 8) : vpc.name}`,
    description: '',
    is_default: 1,
    routes: '[]',
    created_at: now,
    updated_at: now,
  });
}
