import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';

/**
 * How many statements a store's connections have run, for the operator's
 * `vpcep_store_statements_total`: what proves that a cached request costs no
 * query. One plain number per store, bumped where each statement starts, so
 * counting costs an increment per statement: no labels, no timing.
 *
 * SQLite: every statement of both connections (Kysely's and the read-only one
 * of direct-reads.ts) is taken from statement-cache.ts right before it runs,
 * and is counted there. PostgreSQL: every pooled connection counts its own
 * statements (countStatementsOf). Transaction control (`begin`, `commit`)
 * counts like any statement; the change feed's LISTEN connection and the
 * start-up migrations' own PostgreSQL connection do not count.
 */
export class StatementCount {
  value = 0;
}

/** Makes every statement `connection` runs count in `count` (Kysely's onCreateConnection). */
export function countStatementsOf(connection: DatabaseConnection, count: StatementCount): void {
  const run = connection.executeQuery.bind(connection);
  connection.executeQuery = <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
    count.value++;
    return run<R>(query);
  };
}
