import type { Kysely } from 'kysely';
import type { Config } from '../config/schema.ts';
import type { Dataplane } from '../dataplane/runtime.ts';
import type { Clock } from '../context/clock.ts';
import type { DialectName } from '../store/open.ts';
import type { Database } from '../store/schema.ts';

/** What the VPCEP modules need from the composition root. */
export interface VpcepDeps {
  db: Kysely<Database>;
  dialect: DialectName;
  clock: Clock;
  config: Config;
  /** Asks the job worker to poll now: call after committing a job that is already due. */
  wakeJobs(): void;
  /** Tells listeners (the data plane) that endpoints or services changed. */
  notifyChange(change: VpcepChange): void;
  /**
   * This process's data plane once started (undefined before, and on a node
   * without the role): the tenant traffic API reads its counters as /metrics does.
   */
  dataplane?: () => Pick<Dataplane, 'counters' | 'forwarding'> | undefined;
}

export type VpcepChange = { kind: 'endpoint'; id: string } | { kind: 'service'; id: string };
