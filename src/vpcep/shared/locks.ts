import type { Compilable, Kysely } from 'kysely';
import type { DialectName } from '../../store/open.ts';
import { preparedStatement } from '../../store/prepared.ts';
import type { Database } from '../../store/schema.ts';
import type { EndpointServicesTable, EndpointsTable } from '../../store/vpcep-schema.ts';

// The row locks of the VPCEP module: the one way to lock a service or an
// endpoint row, and the order every transaction takes its locks in. Two
// transactions that take locks in the same order can make each other wait but
// never deadlock; docs/design/architecture.md has the table of who takes what.
//
//   1. job rows           the worker deletes its job's row first and holds it to
//                         commit; an API call cancelling a job does so before
//                         it touches the job's resource (cancelJobs)
//   2. the service row    lockService: 'share' where many may proceed side by
//                         side (endpoint create, connection changes), 'update'
//                         where one must (service update and delete, whitelist,
//                         tags, the delete job); or a status-conditional UPDATE
//   3. endpoint rows      lockEndpoint or a status-conditional UPDATE; several
//                         in id order
//   4. the endpoint quota row (resource_usage)
//   5. VPC inventory rows (VPCEP takes subnet and port rows; src/vpc orders
//      its own)
//   6. the endpoint-service quota row
//   7. (gone) marker ids come from a sequence on PostgreSQL, which locks no
//      row; SQLite's counter row needs no place in the order (below)
//   8. rows owned by the above: tags, whitelist records, port mappings
//
// Rows a transaction inserts are new to everybody else and are not part of
// the order. Reads without a lock are not either (READ COMMITTED: each
// statement sees what was committed when it began).
//
// PostgreSQL takes row locks (SELECT … FOR SHARE / FOR UPDATE). SQLite needs
// none: every transaction begins IMMEDIATE (store/open.ts) and so holds the
// database's write lock from its first statement to its end; no two ever
// interleave, whichever connection or process runs them.

type Db = Kysely<Database>;
export type ServiceRow = EndpointServicesTable;
export type EndpointRow = EndpointsTable;
export type LockMode = 'share' | 'update';

/**
 * Whose row may be locked: the caller's own (tenant scope; a row of another
 * project answers undefined exactly like a missing one), or any owner's, for
 * the paths that act across tenants by design: a consumer connecting to
 * another account's service, and job handlers, which act for nobody.
 */
export type ServiceScope = { projectId: string } | 'any-owner';

/** As ServiceScope; `serviceId` is the provider's view of its service's endpoints (connections). */
export type EndpointScope = { projectId: string } | { serviceId: string } | 'any-owner';

/**
 * The service row, locked until the transaction ends, as it is now (what was
 * committed before the lock was granted), or undefined when it does not exist
 * in `scope`. The caller's own scope never includes the operator's public
 * services: tenants cannot change them.
 */
export async function lockService(
  db: Db,
  dialect: DialectName,
  scope: ServiceScope,
  id: string,
  mode: LockMode,
): Promise<ServiceRow | undefined> {
  const lock = rowLock(dialect, mode);
  const rows =
    scope === 'any-owner'
      ? await serviceAnyOwner[lock](db, id)
      : await serviceOfProject[lock](db, id, scope.projectId);
  return rows[0];
}

type RowLock = LockMode | 'none';

/** PostgreSQL takes row locks; SQLite needs none (see the top of this file). */
function rowLock(dialect: DialectName, mode: LockMode): RowLock {
  return dialect === 'postgres' ? mode : 'none';
}

function withLock<Q extends { forShare(): Q; forUpdate(): Q }>(q: Q, lock: RowLock): Q {
  return lock === 'share' ? q.forShare() : lock === 'update' ? q.forUpdate() : q;
}

/** Service-row reads, compiled once per lock kind (the SQL differs by it). */
function byLock<A extends unknown[], R>(
  build: (db: Db, lock: RowLock, ...args: A) => Compilable<R>,
): Record<RowLock, (db: Db, ...args: A) => Promise<R[]>> {
  const of = (lock: RowLock) => preparedStatement((db: Db, ...args: A) => build(db, lock, ...args));
  return { none: of('none'), share: of('share'), update: of('update') };
}

const serviceAnyOwner = byLock((db, lock, id: string) =>
  withLock(db.selectFrom('endpoint_services').selectAll().where('id', '=', id), lock),
);
const serviceOfProject = byLock((db, lock, id: string, projectId: string) =>
  withLock(
    db
      .selectFrom('endpoint_services')
      .selectAll()
      .where('id', '=', id)
      .where('project_id', '=', projectId)
      .where('is_public', '=', 0),
    lock,
  ),
);

/** What an endpoint create reads of the service it connects to. */
export type ConnectableService = Pick<
  ServiceRow,
  'id' | 'domain_id' | 'service_name' | 'service_type' | 'status' | 'is_public'
>;

const connectableService = byLock((db, lock, id: string) =>
  withLock(
    db
      .selectFrom('endpoint_services')
      .select(['id', 'domain_id', 'service_name', 'service_type', 'status', 'is_public'])
      .where('id', '=', id),
    lock,
  ),
);

/**
 * lockService(db, dialect, 'any-owner', id, 'share') for an endpoint create,
 * which needs six of the row's 27 columns: on SQLite a row's cost is mostly
 * building its columns (26 µs for the whole row).
 */
export async function shareLockServiceToConnect(
  db: Db,
  dialect: DialectName,
  id: string,
): Promise<ConnectableService | undefined> {
  return (await connectableService[rowLock(dialect, 'share')](db, id))[0];
}

/** The endpoint row, write-locked until the transaction ends, or undefined when not in `scope`. */
export function lockEndpoint(
  db: Db,
  dialect: DialectName,
  scope: EndpointScope,
  id: string,
): Promise<EndpointRow | undefined> {
  let q = db.selectFrom('endpoints').selectAll().where('id', '=', id);
  if (scope !== 'any-owner') {
    q =
      'projectId' in scope
        ? q.where('project_id', '=', scope.projectId)
        : q.where('service_id', '=', scope.serviceId);
  }
  if (dialect === 'postgres') q = q.forUpdate();
  return q.executeTakeFirst();
}
