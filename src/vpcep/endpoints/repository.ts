import { sql, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
import {
  prepared,
  preparedInsert,
  preparedStatement,
  sharedRead,
  type SharedRead,
} from '../../store/prepared.ts';
import type { DialectName } from '../../store/open.ts';
import type { Database, PortsTable } from '../../store/schema.ts';
import type { jobRowOf } from '../../jobs/queue.ts';
import type { EndpointServicesTable, EndpointsTable } from '../../store/vpcep-schema.ts';
import { parseJsonColumn } from '../shared/json.ts';
import { tagPairsJson, tagsFromPairs } from '../shared/tag-rows.ts';
import { domainGrantKey } from '../permissions/repository.ts';
import type { Tag } from '../shared/tags.ts';
import { applyPage, likeContains, type Page } from '../shared/pagination.ts';

// SQL of the endpoint module, nothing else: no HTTP answers, no rules, rows out
// (row locks: shared/locks.ts). Every
// function takes the handle first so it joins the caller's transaction. Reads of
// the caller's own endpoints are scoped by project; the one cross-tenant read
// (the service an endpoint connects to, which belongs to another tenant or to the
// operator) is named for what it is: findConnectableService.

type Db = Kysely<Database>;
export type EndpointRow = EndpointsTable;
export type ServiceRow = EndpointServicesTable;

export interface EndpointFilter {
  /** Case-insensitive substring of the service's full name. */
  serviceName?: string | undefined;
  vpcId?: string | undefined;
  id?: string | undefined;
}

/** One of the caller's endpoints, or undefined when it is missing or another project's. */
export function getOwnEndpoint(db: Db, projectId: string, id: string): Promise<EndpointRow | undefined> {
  return db
    .selectFrom('endpoints')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
}

const ownEndpointTagged = prepared((db: Db, projectId: string, id: string) =>
  db
    .selectFrom('endpoints')
    .leftJoin('endpoint_services', 'endpoint_services.id', 'endpoints.service_id')
    .selectAll('endpoints')
    .select('endpoint_services.service_name')
    .select(tagPairsJson(db, 'endpoints').as('tag_pairs'))
    .where('endpoints.project_id', '=', projectId)
    .where('endpoints.id', '=', id),
);

/** An endpoint with what GET of it shows beside it: its service's full name and its tags. */
export interface EndpointShown {
  row: EndpointRow;
  /** Empty when the service is gone. */
  serviceName: string;
  /** In key order. */
  tags: Tag[];
}

/**
 * The read behind GET of one endpoint: one of the caller's endpoints, or
 * undefined when it is missing or another project's, by one prepared
 * statement (tags included). On SQLite that is one version probe and one kept
 * answer on the read connection (store/direct-reads.ts); on PostgreSQL one
 * named statement (store/named-reads.ts). Once PostgreSQL kept its plans, the
 * one statement measured 1.0–1.34× (median 1.18×) the GETs/s of the endpoint
 * and its tags as two statements side by side; planned afresh on every call
 * it had been the slower (950 against 1,400–1,550 GETs/s). What GET shows is
 * derived from the row once per kept answer on SQLite (store/prepared.ts
 * SharedRead).
 */
export async function getOwnEndpointShown(
  db: Db,
  projectId: string,
  id: string,
): Promise<SharedRead<EndpointShown> | undefined> {
  const [found] = await ownEndpointTagged(db, projectId, id);
  return found && sharedRead(found, splitTagged);
}

function splitTagged(found: EndpointRow & { service_name: string | null; tag_pairs: string }): EndpointShown {
  const { service_name, tag_pairs, ...row } = found;
  return { row, serviceName: service_name ?? '', tags: tagsFromPairs(tag_pairs) };
}

/** Any endpoint by id, whatever its project: for job handlers, which act for nobody. */
export function getEndpointById(db: Db, id: string): Promise<EndpointRow | undefined> {
  return db.selectFrom('endpoints').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The service an endpoint may connect to, looked up across tenants: a consumer
 * connects to another account's service by id (seed 004 §4.3.1), and public
 * services belong to the operator. Whether the caller may connect is decided
 * separately. Unlocked: the create itself takes the row with lockService.
 */
export function findConnectableService(db: Db, id: string): Promise<ServiceRow | undefined> {
  return db.selectFrom('endpoint_services').selectAll().where('id', '=', id).executeTakeFirst();
}

const nextCounterValue = preparedStatement((db: Db, name: string) =>
  db
    .updateTable('counters')
    .set({ value: sql<number>`value + 1` })
    .where('name', '=', name)
    .returning('value'),
);

/**
 * The next marker id (decision #8): unique across nodes and never reused, even
 * after deletes. On PostgreSQL a sequence (migration 0006), so creates of
 * different tenants never wait for each other's commit; on SQLite, where one
 * transaction writes at a time anyway, one UPDATE of a counter row.
 */
export async function nextMarkerId(db: Db, dialect: DialectName): Promise<number> {
  const row =
    dialect === 'postgres'
      ? (await sql<{ value: number }>`SELECT nextval('endpoint_marker_ids') AS value`.execute(db)).rows[0]
      : (await nextCounterValue(db, 'marker_id'))[0];
  if (!row) throw new Error('unreachable: nextval answers one row');
  const value = Number(row.value);
  // int32 is what the SDKs model; running out would need two billion creates.
  if (value > 2_147_483_647) throw new Error('marker_id space exhausted');
  return value;
}

const insertEndpointRow = preparedInsert('endpoints', [
  'id',
  'project_id',
  'domain_id',
  'service_id',
  'service_type',
  'vpc_id',
  'subnet_id',
  'port_id',
  'ip',
  'ip_visible',
  'marker_id',
  'status',
  'enable_dns',
  'dns_names',
  'enable_whitelist',
  'whitelist',
  'routetables',
  'description',
  'connection_description',
  'policy_statement',
  'policy_document',
  'specification_name',
  'ip_version',
  'ipv6_address',
  'enable_status',
  'error',
  'created_at',
  'updated_at',
]);

export async function insertEndpoint(db: Db, row: EndpointRow): Promise<void> {
  await insertEndpointRow(db, row);
}

/** What create_interface_endpoint_v1 (PostgreSQL migration 0008) answers, raised refusals included. */
export type OneCallCreate =
  | { outcome: 'created'; service_name: string; marker_id: number; subnet_id: string; ip: string }
  | { outcome: 'service-status'; detail: string }
  | { outcome: 'subnet-full'; detail: string }
  | {
      outcome:
        | 'no-service'
        | 'elsewhere'
        | 'not-allowed'
        | 'no-vpc'
        | 'no-subnet'
        | 'subnet-elsewhere'
        | 'no-quota'
        | 'subnet-gone'
        | 'address-taken';
    };

/**
 * The refusals the function raises after a write (so that the whole statement
 * rolls back), by SQLSTATE; undefined for any other error.
 */
function raisedRefusal(err: unknown): OneCallCreate | undefined {
  const { code, detail } = (err ?? {}) as { code?: unknown; detail?: unknown };
  switch (code) {
    case 'VPQ01':
      return { outcome: 'no-quota' };
    case 'VPS01':
      return { outcome: 'subnet-gone' };
    case 'VPS02':
      return { outcome: 'subnet-full', detail: typeof detail === 'string' ? detail : '' };
    case '23505':
      return { outcome: 'address-taken' };
    default:
      return undefined;
  }
}

const callCreate = preparedStatement(
  (
    _db: Db,
    serviceId: string,
    projectId: string,
    domainId: string,
    domainKey: string,
    vpcId: string,
    subnetId: string,
    quotaDefault: number,
    endpoint: string,
    port: string,
    job: string,
    tags: string,
  ) => sql<{ r: OneCallCreate }>`
    SELECT create_interface_endpoint_v1(${serviceId}, ${projectId}, ${domainId}, ${domainKey}, ${vpcId},
      ${subnetId},
      CAST(${quotaDefault} AS INTEGER), CAST(${endpoint} AS JSONB), CAST(${port} AS JSONB),
      CAST(${job} AS JSONB), CAST(${tags} AS JSONB)) AS r`,
);

/**
 * PostgreSQL only, outside a transaction: a whole endpoint create as one
 * statement (its own transaction). The endpoint row's marker_id, subnet_id,
 * port_id and ip are the function's (placeholders in `endpoint` are ignored):
 * the subnet id is the subnet's own even when `subnetId` was its neutron id.
 * A unique violation ('address-taken') wrote nothing, like every refusal.
 */
export async function createInterfaceEndpointInOneCall(
  db: Db,
  args: {
    serviceId: string;
    projectId: string;
    domainId: string;
    vpcId: string;
    subnetId: string;
    quotaDefault: number;
    endpoint: EndpointRow;
    port: Omit<PortsTable, 'project_id' | 'network_id' | 'vpc_id' | 'ip_address' | 'ip_number'>;
    job: ReturnType<typeof jobRowOf>;
    tags: readonly Tag[];
  },
): Promise<OneCallCreate> {
  try {
    const [row] = await callCreate(
      db,
      args.serviceId,
      args.projectId,
      args.domainId,
      domainGrantKey(args.domainId),
      args.vpcId,
      args.subnetId,
      args.quotaDefault,
      JSON.stringify(args.endpoint),
      JSON.stringify(args.port),
      JSON.stringify(args.job),
      JSON.stringify(args.tags),
    );
    if (!row) throw new Error('unreachable: a function call answers one row');
    return row.r;
  } catch (err) {
    const refusal = raisedRefusal(err);
    if (refusal) return refusal;
    throw err;
  }
}

export type EndpointPatch = Partial<
  Pick<
    EndpointRow,
    | 'status'
    | 'ip_visible'
    | 'whitelist'
    | 'enable_whitelist'
    | 'routetables'
    | 'policy_statement'
    | 'policy_document'
    | 'specification_name'
    | 'error'
    | 'updated_at'
  >
>;

/**
 * Applies a patch, optionally only while the endpoint is still in `fromStatus`:
 * false when it was not (a concurrent delete or accept got there first).
 */
export async function updateEndpoint(
  db: Db,
  id: string,
  patch: EndpointPatch,
  fromStatus?: string,
): Promise<boolean> {
  let q = db.updateTable('endpoints').set(patch).where('id', '=', id);
  if (fromStatus !== undefined) q = q.where('status', '=', fromStatus);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function deleteEndpointRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom('endpoints').where('id', '=', id).execute();
}

/**
 * Route tables (of `ids`) that another live endpoint of the same service in the
 * same VPC already uses: a route table holds one route per gateway service
 * (EndPoint.2039).
 */
export async function routeTablesTaken(
  db: Db,
  serviceId: string,
  vpcId: string,
  ids: readonly string[],
  exceptEndpointId: string,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('endpoints')
    .select('routetables')
    .where('vpc_id', '=', vpcId)
    .where('service_id', '=', serviceId)
    .where('id', '!=', exceptEndpointId)
    .where('status', 'not in', ['deleting', 'failed'])
    .execute();
  const used = new Set<string>();
  for (const r of rows) for (const t of parseJsonColumn<string[]>(r.routetables, [])) used.add(t);
  return ids.filter((id) => used.has(id));
}

function filtered(db: Db, projectId: string, f: EndpointFilter) {
  let q = db.selectFrom('endpoints').where('endpoints.project_id', '=', projectId);
  if (f.id !== undefined) q = q.where('endpoints.id', '=', f.id);
  if (f.vpcId !== undefined) q = q.where('endpoints.vpc_id', '=', f.vpcId);
  if (f.serviceName !== undefined && f.serviceName !== '') {
    // lower() on both sides: PostgreSQL's LIKE is case-sensitive, SQLite's only for ASCII.
    const pattern = likeContains(f.serviceName);
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('endpoint_services')
          .select(sql`1`.as('one'))
          .whereRef('endpoint_services.id', '=', 'endpoints.service_id')
          .where(sql<SqlBool>`lower(endpoint_services.service_name) like ${pattern} escape '\\'`),
      ),
    );
  }
  return q;
}

export function hasFilter(f: EndpointFilter): boolean {
  return f.id !== undefined || f.vpcId !== undefined || (f.serviceName !== undefined && f.serviceName !== '');
}

/**
 * The query of one page of the caller's endpoints. Exported so a test can
 * EXPLAIN it: the unfiltered first page must walk the (project_id, created_at,
 * id) index, not the table.
 */
export function ownEndpointsPage(
  db: Db,
  projectId: string,
  f: EndpointFilter,
  page: Page,
): SelectQueryBuilder<Database, 'endpoints', EndpointRow> {
  return applyPage(filtered(db, projectId, f).selectAll('endpoints'), page, 'endpoints');
}

export async function countOwnEndpoints(db: Db, projectId: string, f: EndpointFilter): Promise<number> {
  const row = await filtered(db, projectId, f)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Full service names by service id, in one query. */
export async function serviceNamesOf(db: Db, serviceIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ids = [...new Set(serviceIds)];
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('endpoint_services')
    .select(['id', 'service_name'])
    .where('id', 'in', ids)
    .execute();
  for (const r of rows) out.set(r.id, r.service_name);
  return out;
}
