import type pg from 'pg';
import type { StatementCount } from './statement-count.ts';

// The reads that run on every request (store/prepared.ts) go to PostgreSQL as
// named prepared statements. Through Kysely each one is sent unnamed, so the
// server parses and plans it again on every call; named, each connection of
// the pool parses and plans it once and afterwards only binds the arguments.
// The two reads behind GET of one endpoint, 50 at once over a pool of 10:
// about 4,000 pairs a second unnamed, 7,700–9,400 named.
//
// A plan is the table's shape when it was made. When another node's migration
// adds a column to a table a `SELECT *` reads, PostgreSQL refuses to run the
// old plan ("cached plan must not change result type"); that read is then sent
// again under a new name, which every connection parses afresh.

/** Runs a read statement on the pool as a named prepared statement. */
export interface NamedReader {
  all(sqlText: string, parameters: readonly unknown[]): Promise<readonly unknown[]>;
}

/** PostgreSQL's refusal to run a plan made for a table shape that has changed. */
function isStalePlan(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return (
    e !== null &&
    e.code === '0A000' &&
    typeof e.message === 'string' &&
    e.message.includes('cached plan must not change result type')
  );
}

/** A reader over `pool`; its statements count in `count` like the pool's others. */
export function namedReader(pool: pg.Pool, count: StatementCount): NamedReader {
  // One name per statement text; a name is never given to another text, which
  // pg refuses on a connection that already holds it.
  const names = new Map<string, string>();
  let made = 0;
  const nameOf = (sqlText: string, fresh: boolean): string => {
    let name = names.get(sqlText);
    if (name === undefined || fresh) {
      name = `vpcep_read_${++made}`;
      names.set(sqlText, name);
    }
    return name;
  };
  const run = async (name: string, text: string, values: unknown[]) => {
    count.value++;
    return (await pool.query({ name, text, values })).rows as readonly unknown[];
  };
  return {
    async all(sqlText, parameters) {
      const values = [...parameters];
      try {
        return await run(nameOf(sqlText, false), sqlText, values);
      } catch (err) {
        if (!isStalePlan(err)) throw err;
        return run(nameOf(sqlText, true), sqlText, values);
      }
    },
  };
}
