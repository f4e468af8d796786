// One vpcep server for bench/vpcep-api.ts, in a process of its own so the load
// generator and the server never share an event loop.
//
//   node --import tsx bench/support/vpcep-api-child.ts --database URL [--endpoints N] [--silent]
//                                                     [--main PATH]
//
// 1. Starts the real server (src/main.ts) on URL with BENCH_ACCOUNT, whose
//    project has one VPC with a /16 subnet (127.40.0.0/16) holding the backend
//    port of a service and two empty ones (127.41.0.0/16, 127.42.0.0/16), lifecycle delays of 0 and a quota of 1,000,000
//    endpoints; creates, through the API (in-process inject, X-Auth-Token), an
//    endpoint service without approval and one endpoint of it, and waits until
//    they are `available` and `accepted`. Then stops the server.
// 2. With --endpoints N (N ≥ 2), copies that endpoint N − 1 times straight into
//    the database in one INSERT … SELECT (distinct id, marker_id, created_at,
//    updated_at, port_id and ip; every other column exactly as the API wrote
//    it), sets the project's resource_usage to N and moves the marker counter
//    past the copies. PostgreSQL is ANALYZEd afterwards (autovacuum would do the
//    same in production); SQLite is not (the server never runs ANALYZE).
// 3. Starts the server again on the same database, this time with
//    endpoint_create delayed by an hour, so the creates a benchmark sends stay
//    `creating` and no job runs while it measures, and prints ONE line of JSON
//    (ChildReady) on stdout. This server runs in the default configuration:
//    log level and metrics as shipped, the log written as `vpcep serve` writes
//    it but to /dev/null (stdout carries the ready line); --silent turns the
//    log off instead.
//
// With --main PATH the server of steps 1 and 3 is the one PATH exports (the
// built dist/main.js of this or another checkout, bench/api-builds.ts), so
// builds of different commits can be measured side by side; that server also
// migrates the database, so a build older than these sources never meets a
// migration it does not know.
//
// It exits on SIGTERM/SIGINT or as soon as its stdin closes, so it never
// outlives the process that started it. It does not remove the database.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { CompiledQuery, sql, type Kysely, type RawBuilder } from 'kysely';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { loggerOptions } from '../../src/logging/logger-options.ts';
import { TurnLines } from '../../src/logging/turn-lines.ts';
import { startServer as startFromSources, type Running } from '../../src/main.ts';
import { openStore, type DialectName } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import type { EndpointsTable } from '../../src/store/vpcep-schema.ts';
import { ownEndpointsPage } from '../../src/vpcep/endpoints/repository.ts';
import { pageOf } from '../../src/vpcep/shared/pagination.ts';
import { BENCH_ACCOUNT, BENCH_LOGIN_BODY, benchAccountConfig } from './account.ts';
import { exitWithParent } from './child-lifetime.ts';

const BENCH_NETWORK = {
  vpcId: '0b7e0c1a-4f40-4a40-8a40-000000000040',
  subnetId: '0b7e0c1a-4f40-4a40-8a40-000000000041',
  backendPortId: '0b7e0c1a-4f40-4a40-8a40-000000000042',
  cidr: '127.40.0.0/16',
  backendIp: '127.40.255.250',
  /** Two empty subnets of their own for the fill measurement (the VPC is 127.40.0.0/14). */
  fillSubnetId: '0b7e0c1a-4f40-4a40-8a40-000000000043',
  fillCidr: '127.41.0.0/16',
  emptySubnetId: '0b7e0c1a-4f40-4a40-8a40-000000000044',
  emptyCidr: '127.42.0.0/16',
} as const;

/** The one stdout line of a ready child. */
export interface ChildReady {
  url: string;
  dialect: DialectName;
  serviceId: string;
  /** The endpoint created through the API (the template of the copies). */
  endpointId: string;
  vpcId: string;
  subnetId: string;
  /** Two subnets of the same VPC that hold nothing when the server starts. */
  fillSubnetId: string;
  emptySubnetId: string;
  /** Endpoints of the project when the server started (API-created one included). */
  endpoints: number;
  seedMs: number;
  /** Query plans of the list queries, as the database's EXPLAIN prints them. */
  plans: Record<string, string>;
}

const ONE_HOUR = 3_600_000;

function configFor(database: string, endpointCreateDelay: number, silent: boolean): Config {
  return loadConfig({
    env: {},
    overrides: {
      listen: '127.0.0.1:0',
      database,
      ...(silent ? { log_level: 'silent' } : {}),
      demo_account: false,
      lifecycle: {
        endpoint_service_create: 0,
        endpoint_service_delete: 0,
        endpoint_create: endpointCreateDelay,
        endpoint_delete: 0,
      },
      quotas: { endpoint_service: 20, endpoint: 1_000_000 },
      // Jobs are woken by the requests that enqueue them; polling stays out of the way.
      jobs: { poll_ms: 60_000, lease_ms: 30_000, max_attempts: 10 },
      // The API is measured alone: no listeners for the seeded endpoints, no DNS port.
      roles: ['api', 'jobs'],
      accounts: [
        benchAccountConfig({
          vpcs: [
            {
              id: BENCH_NETWORK.vpcId,
              name: 'bench-vpc',
              cidr: '127.40.0.0/14',
              subnets: [
                {
                  id: BENCH_NETWORK.subnetId,
                  name: 'bench-subnet',
                  cidr: BENCH_NETWORK.cidr,
                  ports: [
                    {
                      id: BENCH_NETWORK.backendPortId,
                      name: 'bench-backend',
                      ip: BENCH_NETWORK.backendIp,
                      device_owner: 'compute:az1',
                    },
                  ],
                },
                { id: BENCH_NETWORK.fillSubnetId, name: 'bench-fill', cidr: BENCH_NETWORK.fillCidr },
                { id: BENCH_NETWORK.emptySubnetId, name: 'bench-empty', cidr: BENCH_NETWORK.emptyCidr },
              ],
            },
          ],
        }),
      ],
    },
  });
}

// ---------------------------------------------------------------- phase 1: through the API

interface Injected {
  status: number;
  json: Record<string, unknown>;
  text: string;
}

async function call(
  running: Running,
  token: string | undefined,
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
): Promise<Injected> {
  const res = await running.app.inject({
    method,
    url,
    headers: {
      ...(token !== undefined ? { 'x-auth-token': token } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  let json: Record<string, unknown> = {};
  try {
    json = res.body === '' ? {} : (JSON.parse(res.body) as Record<string, unknown>);
  } catch {
    // Reported through `text` by the caller.
  }
  return { status: res.statusCode, json, text: res.body.slice(0, 400) };
}

function expectStatus(res: Injected, status: number, what: string): void {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${res.text}`);
}

async function waitForStatus(
  running: Running,
  token: string,
  url: string,
  key: string,
  wanted: string,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await call(running, token, 'GET', url);
    expectStatus(res, 200, `GET ${url}`);
    const status = (res.json[key] as { status?: unknown } | undefined)?.status ?? res.json.status;
    if (status === wanted) return;
    if (Date.now() > deadline) throw new Error(`${url} is still '${String(status)}', not '${wanted}'`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function createThroughApi(running: Running): Promise<{ serviceId: string; endpointId: string }> {
  const raw = await running.app.inject({
    method: 'POST',
    url: '/v3/auth/tokens?nocatalog=true',
    headers: { 'content-type': 'application/json' },
    payload: BENCH_LOGIN_BODY,
  });
  const token = raw.headers['x-subject-token'];
  if (raw.statusCode !== 201 || typeof token !== 'string') {
    throw new Error(`login: HTTP ${raw.statusCode} ${raw.body.slice(0, 400)}`);
  }

  const p = `/v1/${BENCH_ACCOUNT.project.id}`;
  const service = await call(running, token, 'POST', `${p}/vpc-endpoint-services`, {
    port_id: BENCH_NETWORK.backendPortId,
    vpc_id: BENCH_NETWORK.vpcId,
    server_type: 'VM',
    service_name: 'bench',
    approval_enabled: false,
    ports: [{ client_port: 8080, server_port: 80, protocol: 'TCP' }],
  });
  expectStatus(service, 200, 'POST vpc-endpoint-services');
  const serviceId = String(service.json.id);
  await waitForStatus(
    running,
    token,
    `${p}/vpc-endpoint-services/${serviceId}`,
    'endpoint_service',
    'available',
  );

  const endpoint = await call(running, token, 'POST', `${p}/vpc-endpoints`, {
    endpoint_service_id: serviceId,
    vpc_id: BENCH_NETWORK.vpcId,
    subnet_id: BENCH_NETWORK.subnetId,
  });
  expectStatus(endpoint, 200, 'POST vpc-endpoints');
  const endpointId = String(endpoint.json.id);
  await waitForStatus(running, token, `${p}/vpc-endpoints/${endpointId}`, 'endpoint', 'accepted');
  return { serviceId, endpointId };
}

// ---------------------------------------------------------------- phase 2: straight into the database

/** Column → SQL type for the casts PostgreSQL needs on untyped parameters in a SELECT list. */
const COLUMN_TYPES: Record<keyof EndpointsTable, 'text' | 'int' | 'bigint'> = {
  id: 'text',
  project_id: 'text',
  domain_id: 'text',
  service_id: 'text',
  service_type: 'text',
  vpc_id: 'text',
  subnet_id: 'text',
  port_id: 'text',
  ip: 'text',
  ip_visible: 'int',
  marker_id: 'bigint',
  status: 'text',
  enable_dns: 'int',
  dns_names: 'text',
  enable_whitelist: 'int',
  whitelist: 'text',
  routetables: 'text',
  description: 'text',
  connection_description: 'text',
  policy_statement: 'text',
  policy_document: 'text',
  specification_name: 'text',
  ip_version: 'text',
  ipv6_address: 'text',
  enable_status: 'text',
  error: 'text',
  created_at: 'bigint',
  updated_at: 'bigint',
};

const COLUMNS = Object.keys(COLUMN_TYPES) as (keyof EndpointsTable)[];

/**
 * `copies` copies of the template endpoint in one statement, `i` running from 1:
 * copy i was created i seconds before the template (distinct created_at, a
 * second apart, all older than the template, which stays first in the default
 * order) and has marker_id counter + i.
 */
async function seedCopies(
  db: Kysely<Database>,
  dialect: DialectName,
  template: EndpointsTable,
  copies: number,
): Promise<void> {
  // Past every id handed out so far: the template's (from the counter on SQLite,
  // from the sequence on PostgreSQL) is the highest.
  const firstMarker = Number(template.marker_id) + 1;
  const newest = Number(template.created_at) - 1000;
  const pg = dialect === 'postgres';
  const hex12 = (prefix: string): RawBuilder<unknown> =>
    pg ? sql`${prefix} || lpad(to_hex(i), 12, '0')` : sql`${prefix} || printf('%012x', i)`;
  // Addresses of 127.40.0.0/16 from .0.3 on (.0.1 is the gateway, .0.2 the template's),
  // distinct for the first 65,533 copies, then wrapping: the endpoints table does not
  // require them to be unique (the VPC inventory's ports do; no ports are seeded).
  const ip = pg
    ? sql`'127.40.' || (((i + 2) / 256) % 256)::text || '.' || ((i + 2) % 256)::text`
    : sql`'127.40.' || (((i + 2) / 256) % 256) || '.' || ((i + 2) % 256)`;
  const expr: Partial<Record<keyof EndpointsTable, RawBuilder<unknown>>> = {
    id: hex12('be4c0000-0000-4000-8000-'),
    port_id: hex12('be4c0001-0000-4000-8000-'),
    ip,
    marker_id: sql`CAST(${firstMarker} AS BIGINT) + i - 1`,
    created_at: sql`CAST(${newest} AS BIGINT) - i * 1000`,
    updated_at: sql`CAST(${newest} AS BIGINT) - i * 1000`,
  };
  const typeName = { text: 'TEXT', int: 'INTEGER', bigint: 'BIGINT' } as const;
  const values = COLUMNS.map((c) => {
    const e = expr[c];
    const v = e ?? sql`${template[c]}`;
    return sql`CAST(${v} AS ${sql.raw(typeName[COLUMN_TYPES[c]])})`;
  });
  const numbers = pg
    ? sql`generate_series(1, ${copies}::int) AS g(i)`
    : sql`(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${copies}) SELECT i FROM n)`;
  await sql`INSERT INTO endpoints (${sql.join(COLUMNS.map((c) => sql.ref(c)))})
            SELECT ${sql.join(values)} FROM ${numbers}`.execute(db);
  await db
    .updateTable('counters')
    .set({ value: firstMarker + copies - 1 })
    .where('name', '=', 'marker_id')
    .execute();
  // PostgreSQL hands out marker ids from a sequence (migration 0006).
  if (pg) await sql`SELECT setval('endpoint_marker_ids', ${firstMarker + copies - 1})`.execute(db);
  await db
    .updateTable('resource_usage')
    .set({ used: copies + 1 })
    .where('project_id', '=', template.project_id)
    .where('type', '=', 'endpoint')
    .execute();
}

/** The copies have the template's shape: same columns, same JSON types, same nulls. */
async function checkShape(db: Kysely<Database>, template: EndpointsTable): Promise<void> {
  const copy = await db
    .selectFrom('endpoints')
    .selectAll()
    .where('id', '=', 'be4c0000-0000-4000-8000-000000000001')
    .executeTakeFirstOrThrow();
  for (const c of COLUMNS) {
    const a = template[c];
    const b = copy[c];
    if (typeof a !== typeof b || (a === null) !== (b === null)) {
      throw new Error(`seeded column ${c} is ${JSON.stringify(b)}, the API wrote ${JSON.stringify(a)}`);
    }
  }
  const usage = await db
    .selectFrom('resource_usage')
    .select('used')
    .where('project_id', '=', template.project_id)
    .where('type', '=', 'endpoint')
    .executeTakeFirstOrThrow();
  const rows = await db
    .selectFrom('endpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('project_id', '=', template.project_id)
    .executeTakeFirstOrThrow();
  if (Number(usage.used) !== Number(rows.n)) {
    throw new Error(`resource_usage says ${usage.used} endpoints, the table holds ${rows.n}`);
  }
}

async function explain(db: Kysely<Database>, dialect: DialectName, query: CompiledQuery): Promise<string> {
  const prefix = dialect === 'postgres' ? 'EXPLAIN ' : 'EXPLAIN QUERY PLAN ';
  const res = await db.executeQuery(CompiledQuery.raw(prefix + query.sql, [...query.parameters]));
  return res.rows
    .map((r) => {
      const row = r as Record<string, unknown>;
      return String(row['QUERY PLAN'] ?? row.detail).trim();
    })
    .join(' | ');
}

/** The plans of the queries GET /vpc-endpoints runs (page and, with a filter, count). */
async function listPlans(
  db: Kysely<Database>,
  dialect: DialectName,
  projectId: string,
  vpcId: string,
): Promise<Record<string, string>> {
  const page = pageOf({ limit: 10 });
  const count = db
    .selectFrom('endpoints')
    .where('endpoints.project_id', '=', projectId)
    .where('endpoints.vpc_id', '=', vpcId)
    .select((eb) => eb.fn.countAll<number>().as('n'));
  return {
    'page (limit=10)': await explain(db, dialect, ownEndpointsPage(db, projectId, {}, page).compile()),
    'page (limit=10&vpc_id)': await explain(
      db,
      dialect,
      ownEndpointsPage(db, projectId, { vpcId }, page).compile(),
    ),
    'count (vpc_id)': await explain(db, dialect, count.compile()),
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      database: { type: 'string' },
      endpoints: { type: 'string' },
      silent: { type: 'boolean' },
      main: { type: 'string' },
    },
  });
  // The other build's module: typed as these sources' (its startServer takes the same config).
  const startServer =
    values.main === undefined
      ? startFromSources
      : ((await import(pathToFileURL(values.main).href)) as { startServer: typeof startFromSources })
          .startServer;
  const database = values.database;
  if (database === undefined) throw new Error('usage: vpcep-api-child.ts --database URL [--endpoints N]');
  const total = values.endpoints === undefined ? 1 : Number(values.endpoints);
  if (!Number.isInteger(total) || total < 1 || total > 1_000_000) {
    throw new Error(`--endpoints must be an integer from 1 to 1000000, got '${values.endpoints}'`);
  }

  const setup = await startServer(configFor(database, 0, true), { logger: false });
  let ids: { serviceId: string; endpointId: string };
  try {
    ids = await createThroughApi(setup);
  } finally {
    await setup.close();
  }

  const store = await openStore(database, { poolSize: 2 });
  let seedMs = 0;
  let plans: Record<string, string>;
  try {
    const template = await store.db
      .selectFrom('endpoints')
      .selectAll()
      .where('id', '=', ids.endpointId)
      .executeTakeFirstOrThrow();
    if (total > 1) {
      const started = performance.now();
      await store.db.transaction().execute(async (trx) => {
        await seedCopies(trx, store.dialect, template, total - 1);
      });
      if (store.dialect === 'postgres') await sql`ANALYZE`.execute(store.db);
      seedMs = performance.now() - started;
      await checkShape(store.db, template);
    }
    plans = await listPlans(store.db, store.dialect, BENCH_ACCOUNT.project.id, BENCH_NETWORK.vpcId);
  } finally {
    await store.close();
  }

  const config = configFor(database, ONE_HOUR, values.silent === true);
  const running = await startServer(config, {
    logger: values.silent
      ? false
      : loggerOptions(config.log_level, new TurnLines(pino.destination({ dest: '/dev/null', sync: true }))),
  });
  exitWithParent('vpcep-api-child', () => running.close());

  const ready: ChildReady = {
    url: running.url,
    dialect: running.store.dialect,
    serviceId: ids.serviceId,
    endpointId: ids.endpointId,
    vpcId: BENCH_NETWORK.vpcId,
    subnetId: BENCH_NETWORK.subnetId,
    fillSubnetId: BENCH_NETWORK.fillSubnetId,
    emptySubnetId: BENCH_NETWORK.emptySubnetId,
    endpoints: total,
    seedMs,
    plans,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((err: unknown) => {
  console.error('vpcep-api-child:', err);
  process.exit(1);
});
