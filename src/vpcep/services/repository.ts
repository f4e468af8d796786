import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { inChunks } from '../../store/in-chunks.ts';
import { jsonArrayRows } from '../../store/json-rows.ts';
import { prepared, sharedRead, type SharedRead } from '../../store/prepared.ts';
import type { EndpointServicesTable, EndpointsTable } from '../../store/vpcep-schema.ts';
import { applyPage, likeContains, type Page } from '../shared/pagination.ts';
import { parseJsonColumn } from '../shared/json.ts';
import type { PortMapping } from '../shared/present.ts';
import { tagPairsJson, tagsFromPairs } from '../shared/tag-rows.ts';
import type { Tag } from '../shared/tags.ts';

// SQL for endpoint services and nothing else: no rules, no HTTP, rows out. Every
// function takes the database handle first so callers (other areas too) can pass
// their transaction. Tenant reads are scoped by project; the few unscoped reads
// are named for the cross-tenant path they serve. Row locks: shared/locks.ts.

export type Db = Kysely<Database>;
export type ServiceRow = EndpointServicesTable;

// ---- Single services -----------------------------------------------------------

/** A service of the caller's project (tenant scope); other tenants' and public ones are invisible. */
export function getOwnService(db: Db, projectId: string, id: string): Promise<ServiceRow | undefined> {
  return db
    .selectFrom('endpoint_services')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .where('is_public', '=', 0)
    .executeTakeFirst();
}

/** A service with what GET of it shows beside it: its port mappings, its tags, its connections. */
export interface ServiceShown {
  row: ServiceRow;
  /** In their order (`position`). */
  ports: PortMapping[];
  /** In key order. */
  tags: Tag[];
  /** Endpoints of the service in one of the connected statuses. */
  connectionCount: number;
}

/**
 * The port mappings of the service the query is on, as JSON text of
 * [position, client, server, protocol] rows, by a subquery in the words of
 * `db`'s dialect (prepared() builds it once per dialect).
 */
function portRowsJson(db: Db): RawBuilder<string> {
  return jsonArrayRows(
    db,
    sql`p."position", p."client_port", p."server_port", p."protocol"`,
    sql`FROM "service_ports" AS p WHERE p."service_id" = "endpoint_services"."id"`,
  );
}

type ServiceShownRow = ServiceRow & { port_rows: string; tag_pairs: string; connection_count: number | null };

/**
 * The read behind GET of one service, counting as connections the endpoints
 * in `connected` (fixed when the reader is made: the statement is compiled
 * once): one of the caller's services (tenant scope, never a public one) with
 * its port mappings, tags and connection count, or undefined. One prepared
 * statement on both stores, as for one endpoint (endpoints/repository.ts
 * getOwnEndpointShown); what GET shows is derived once per kept answer on
 * SQLite (store/prepared.ts SharedRead).
 */
export function ownServiceShownReader(
  connected: readonly string[],
): (db: Db, projectId: string, id: string) => Promise<SharedRead<ServiceShown> | undefined> {
  const read = prepared((db: Db, projectId: string, id: string) =>
    db
      .selectFrom('endpoint_services')
      .selectAll('endpoint_services')
      .select(portRowsJson(db).as('port_rows'))
      .select(tagPairsJson(db, 'endpoint_services').as('tag_pairs'))
      .select((eb) =>
        eb
          .selectFrom('endpoints')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('endpoints.service_id', '=', 'endpoint_services.id')
          .where('endpoints.status', 'in', [...connected])
          .as('connection_count'),
      )
      .where('endpoint_services.project_id', '=', projectId)
      .where('endpoint_services.id', '=', id)
      .where('endpoint_services.is_public', '=', 0),
  );
  return async (db, projectId, id) => {
    const [found] = await read(db, projectId, id);
    return found && sharedRead(found, splitShown);
  };
}

function splitShown(found: ServiceShownRow): ServiceShown {
  const { port_rows, tag_pairs, connection_count, ...row } = found;
  const ports = parseJsonColumn<[number, number, number, string][]>(port_rows, [])
    .sort((a, b) => a[0] - b[0])
    .map(([, client_port, server_port, protocol]) => ({ client_port, server_port, protocol }));
  return { row, ports, tags: tagsFromPairs(tag_pairs), connectionCount: Number(connection_count ?? 0) };
}

/**
 * A service of any owner, public ones included: for consumers connecting an
 * endpoint and for the data plane. Never answer a tenant's own-resource call with it.
 */
export function getServiceById(db: Db, id: string): Promise<ServiceRow | undefined> {
  return db.selectFrom('endpoint_services').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The cross-tenant read behind `/describe`: by id or by exact full service_name, any owner. */
export function describeAnyService(
  db: Db,
  by: { id: string } | { serviceName: string },
): Promise<ServiceRow | undefined> {
  const q = db.selectFrom('endpoint_services').selectAll();
  return ('id' in by ? q.where('id', '=', by.id) : q.where('service_name', '=', by.serviceName))
    .orderBy('created_at')
    .orderBy('id')
    .executeTakeFirst();
}

export async function insertService(db: Db, row: ServiceRow): Promise<void> {
  await db.insertInto('endpoint_services').values(row).execute();
}

export type ServiceChange = Partial<Omit<ServiceRow, 'id' | 'project_id' | 'created_at'>>;

export async function updateService(db: Db, id: string, change: ServiceChange): Promise<void> {
  await db.updateTable('endpoint_services').set(change).where('id', '=', id).execute();
}

/** Moves a service between states only if it is still in `from`; false when it was not. */
export async function setServiceStatus(
  db: Db,
  id: string,
  from: string,
  change: ServiceChange & { status: string },
): Promise<boolean> {
  const res = await db
    .updateTable('endpoint_services')
    .set(change)
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Deletes the row; port mappings and permissions go with it (ON DELETE CASCADE). */
export async function deleteServiceRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom('endpoint_services').where('id', '=', id).execute();
}

// ---- Port mappings -------------------------------------------------------------

/**
 * The key port mappings are unique under, with server_port and protocol. A
 * tenant service's mappings use its backend port_id, so two services on one
 * port cannot share a server_port+protocol (seed 004 §4.2.1). Public services
 * have no backend port; their mappings get a key of their own so they never
 * collide with each other.
 */
export function mappingKey(row: Pick<ServiceRow, 'id' | 'port_id'>): string {
  return row.port_id !== '' ? row.port_id : `service:${row.id}`;
}

export async function servicePorts(
  db: Db,
  serviceIds: readonly string[],
): Promise<Map<string, PortMapping[]>> {
  const out = new Map<string, PortMapping[]>();
  if (serviceIds.length === 0) return out;
  const rows = await inChunks(serviceIds, (part) =>
    db
      .selectFrom('service_ports')
      .select(['service_id', 'client_port', 'server_port', 'protocol'])
      .where('service_id', 'in', part)
      .orderBy('service_id')
      .orderBy('position')
      .execute(),
  );
  for (const r of rows) {
    const list = out.get(r.service_id) ?? [];
    list.push({ client_port: r.client_port, server_port: r.server_port, protocol: r.protocol });
    out.set(r.service_id, list);
  }
  return out;
}

/**
 * Replaces every mapping of a service, in the given order.
 *
 * The unique index on (port_id, server_port, protocol) is what stops two
 * services on one backend port from sharing a server port, even when their
 * transactions race. But one service may map several client ports to the same
 * server port (seed 004 §5.1), which that index would refuse. So the first
 * mapping of each server_port+protocol carries the backend key and claims the
 * pair; any further mapping of the same pair within the service carries an
 * alias key of its own (unique through the service id and client port, which
 * the other index keeps unique). Readers must take the mappings from
 * servicePorts(), never from the port_id column.
 */
export async function replacePorts(
  db: Db,
  serviceId: string,
  key: string,
  ports: readonly PortMapping[],
): Promise<void> {
  await db.deleteFrom('service_ports').where('service_id', '=', serviceId).execute();
  if (ports.length === 0) return;
  const claimed = new Set<string>();
  const values = ports.map((p, position) => {
    const pair = `${p.server_port}/${p.protocol}`;
    const first = !claimed.has(pair);
    claimed.add(pair);
    const portKey = first ? key : `alias:${serviceId}:${p.client_port}/${p.protocol}`;
    return { service_id: serviceId, port_id: portKey, ...p, position };
  });
  await db.insertInto('service_ports').values(values).execute();
}

/**
 * Mappings of other services on the same key that use one of the given
 * server_port+protocol pairs: the conflicts EndPoint.3044 reports. The unique
 * index enforces the same rule for transactions that race past this check.
 */
export async function conflictingPorts(
  db: Db,
  key: string,
  ports: readonly PortMapping[],
  exceptServiceId: string,
): Promise<PortMapping[]> {
  if (ports.length === 0) return [];
  const rows = await db
    .selectFrom('service_ports')
    .select(['client_port', 'server_port', 'protocol'])
    .where('port_id', '=', key)
    .where('service_id', '!=', exceptServiceId)
    .where(
      'server_port',
      'in',
      ports.map((p) => p.server_port),
    )
    .execute();
  const wanted = new Set(ports.map((p) => `${p.server_port}/${p.protocol}`));
  return rows.filter((r) => wanted.has(`${r.server_port}/${r.protocol}`));
}

// ---- Endpoints of a service ------------------------------------------------------

/** Endpoints of each service in one of the statuses (`connection_count`), by service id. */
export async function countEndpointsByService(
  db: Db,
  serviceIds: readonly string[],
  statuses: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (serviceIds.length === 0) return out;
  const rows = await db
    .selectFrom('endpoints')
    .select(['service_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('service_id', 'in', serviceIds)
    .where('status', 'in', [...statuses])
    .groupBy('service_id')
    .execute();
  for (const r of rows) out.set(r.service_id, Number(r.n));
  return out;
}

/** How many endpoints of the service are in one of the statuses. */
export async function countEndpointsIn(
  db: Db,
  serviceId: string,
  statuses: readonly string[],
): Promise<number> {
  const row = await db
    .selectFrom('endpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('service_id', '=', serviceId)
    .where('status', 'in', [...statuses])
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

// ---- Lists -----------------------------------------------------------------------

export interface ServiceFilter {
  name?: string | undefined;
  id?: string | undefined;
  status?: string | undefined;
}

function filtered(db: Db, scope: { projectId: string } | 'public', f: ServiceFilter) {
  let q = db.selectFrom('endpoint_services');
  // Both scopes lead with a column of an index that continues (created_at, id),
  // so the default order is read from the index instead of sorting the table.
  q = scope === 'public' ? q.where('is_public', '=', 1) : q.where('project_id', '=', scope.projectId);
  if (scope !== 'public') q = q.where('is_public', '=', 0);
  if (f.id !== undefined && f.id !== '') q = q.where('id', '=', f.id);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.name !== undefined && f.name !== '') {
    // LIKE with an explicit escape character: SQLite has no default one.
    q = q.where(sql<boolean>`lower(service_name) LIKE ${likeContains(f.name)} ESCAPE '\\'`);
  }
  return q;
}

export function isUnfiltered(f: ServiceFilter): boolean {
  return (f.name ?? '') === '' && (f.id ?? '') === '' && f.status === undefined;
}

export function listServices(
  db: Db,
  scope: { projectId: string } | 'public',
  f: ServiceFilter,
  page: Page,
): Promise<ServiceRow[]> {
  return applyPage(filtered(db, scope, f).selectAll(), page, 'endpoint_services').execute();
}

export async function countServices(
  db: Db,
  scope: { projectId: string } | 'public',
  f: ServiceFilter,
): Promise<number> {
  const row = await filtered(db, scope, f)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

// ---- Public services (bootstrap) ---------------------------------------------------

export function publicServices(db: Db): Promise<ServiceRow[]> {
  return db.selectFrom('endpoint_services').selectAll().where('is_public', '=', 1).execute();
}

/** The oldest public service of that (short) name. */
export function findPublicServiceByName(db: Db, name: string): Promise<ServiceRow | undefined> {
  return db
    .selectFrom('endpoint_services')
    .selectAll()
    .where('is_public', '=', 1)
    .where('name', '=', name)
    .orderBy('created_at')
    .executeTakeFirst();
}

export async function countEndpointsOf(db: Db, serviceId: string): Promise<number> {
  const row = await db
    .selectFrom('endpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('service_id', '=', serviceId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The service's endpoints whose status is not one of `except` (its delete job fails them). */
export function endpointsOfServiceExcept(
  db: Db,
  serviceId: string,
  except: readonly string[],
): Promise<Pick<EndpointsTable, 'id' | 'status' | 'error'>[]> {
  return db
    .selectFrom('endpoints')
    .select(['id', 'status', 'error'])
    .where('service_id', '=', serviceId)
    .where('status', 'not in', [...except])
    .orderBy('id')
    .execute();
}
