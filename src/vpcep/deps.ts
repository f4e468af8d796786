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
  /**
   * Tells the job worker about a committed job: without `at` (or with a time
   * already past) it polls now; with the job's later run time, it polls by then.
   */
  wakeJobs(at?: number): void;
  /** Tells listeners (the data plane) that endpoints or services changed. */
  notifyChange(change: VpcepChange): void;
  /**
   * This process's data plane once started (undefined before, and on a node
   * without the role): the tenant traffic API reads its counters as /metrics does.
   */
  dataplane?: () => Pick<Dataplane, 'counters' | 'forwarding'> | undefined;
}

export type VpcepChange = { kind: 'endpoint'; id: string } | { kind: 'service'; id: string };
