import type { Kysely } from 'kysely';
import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../context/clock.ts';
import type { Database } from '../../store/schema.ts';

/** What the IAM modules need from the composition root. */
export interface IdentityDeps {
  db: Kysely<Database>;
  clock: Clock;
  config: Config;
  /**
   * Called after an IAM change committed: drops the cached permissions, keys and
   * users on this node at once and tells the other nodes sharing the store.
   */
  changed(): void;
}
