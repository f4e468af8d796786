import type { Kysely } from 'kysely';
import type { VpcConfig } from '../config/schema.ts';
import type { Clock } from '../context/clock.ts';
import type { Database } from '../store/schema.ts';

/** Creates or updates one VPC declared in the configuration, with its subnets and ports. */
export async function seedVpc(
  _db: Kysely<Database>,
  _clock: Clock,
  _projectId: string,
  _vpc: VpcConfig,
): Promise<void> {
  throw new Error('declaring VPCs in the configuration is being built');
}
