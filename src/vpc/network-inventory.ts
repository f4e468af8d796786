import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

// What namespaces mode builds networks from: every subnet and every port of
// every project (the data plane acts for all tenants). SQL only.

export interface NetworkSubnet {
  id: string;
  vpcId: string;
  cidr: string;
  gatewayIp: string;
}

export interface NetworkPort {
  id: string;
  vpcId: string;
  subnetId: string;
  ip: string;
  deviceOwner: string;
}

export async function networkInventory(
  db: Kysely<Database>,
): Promise<{ subnets: NetworkSubnet[]; ports: NetworkPort[] }> {
  const subnets = await db
    .selectFrom('subnets')
    .select(['id', 'vpc_id as vpcId', 'cidr', 'gateway_ip as gatewayIp'])
    .orderBy('id')
    .execute();
  const ports = await db
    .selectFrom('ports as p')
    // The port's subnet decides its VPC: a port row whose subnet is gone has no network.
    .innerJoin('subnets as n', (join) =>
      join.onRef('n.id', '=', 'p.network_id').onRef('n.project_id', '=', 'p.project_id'),
    )
    .select([
      'p.id as id',
      'n.vpc_id as vpcId',
      'n.id as subnetId',
      'p.ip_address as ip',
      'p.device_owner as deviceOwner',
    ])
    .orderBy('p.id')
    .execute();
  return { subnets, ports };
}
