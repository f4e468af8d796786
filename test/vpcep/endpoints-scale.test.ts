// The unfiltered list must stay cheap however many endpoints a project has:
// the first page walks the (project_id, created_at, id) index for 10 rows and
// total_count comes from the usage counter. Checked with the planners' own
// EXPLAIN on a project holding 100,000 endpoints. How fast it answers is the
// bench's to say (bench/api-speed.ts, list 10 of 100k ÷ list 10 of 1k, p99): a time
// bound here would fail on a loaded runner and prove nothing the plan does not.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompiledQuery, sql } from 'kysely';
import { ownEndpointsPage } from '../../src/vpcep/endpoints/repository.ts';
import { pageOf } from '../../src/vpcep/shared/pagination.ts';
import { testDialects } from '../support/db.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { createService, NETWORKS, networkOf, whitelistDomain, type Network } from './endpoints.support.ts';

const COUNT = 100_000;

for (const dialect of testDialects()) {
  describe(`endpoint list at scale (${dialect})`, () => {
    let server: TestServer;
    let netC: Network;

    before(async () => {
      server = await startTestServer({ dialect, accountExtras: NETWORKS });
      const netP = await networkOf(server.provider, 'vpc-p');
      netC = await networkOf(server.consumer, 'vpc-c');
      const service = await createService(server, netP, { name: 'bulk' });
      await whitelistDomain(server, service.id, server.consumer.domainId);
      const db = server.running.store.db;
      const { projectId, domainId } = server.consumer;
      const t0 = Date.now() - COUNT * 1000;
      // Rows as creates would leave them, written in one statement per dialect.
      const select =
        dialect === 'postgres'
          ? sql`SELECT 'bulk-' || lpad(i::text, 6, '0'), ${projectId}, ${domainId}, ${service.id}, 'interface',
                  ${netC.vpcId}, ${netC.subnetId}, 500000000 + i, 'accepted', ${t0}::bigint + i * 1000, ${t0}::bigint + i * 1000
                FROM generate_series(1, ${COUNT}) AS i`
          : sql`SELECT printf('bulk-%06d', i), ${projectId}, ${domainId}, ${service.id}, 'interface',
                  ${netC.vpcId}, ${netC.subnetId}, 500000000 + i, 'accepted', ${t0} + i * 1000, ${t0} + i * 1000
                FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${COUNT}) SELECT i FROM n)`;
      await sql`INSERT INTO endpoints (id, project_id, domain_id, service_id, service_type, vpc_id, subnet_id,
                  marker_id, status, created_at, updated_at) ${select}`.execute(db);
      await db
        .insertInto('resource_usage')
        .values({ project_id: projectId, type: 'endpoint', used: COUNT })
        .onConflict((oc) => oc.columns(['project_id', 'type']).doUpdateSet({ used: COUNT }))
        .execute();
      await sql`ANALYZE`.execute(db);
    });
    after(async () => server.close());

    test('the unfiltered first page is an index walk, not a scan and sort', async () => {
      const db = server.running.store.db;
      const compiled = ownEndpointsPage(db, server.consumer.projectId, {}, pageOf({})).compile();
      const prefix = dialect === 'postgres' ? 'EXPLAIN ' : 'EXPLAIN QUERY PLAN ';
      const res = await db.executeQuery(CompiledQuery.raw(prefix + compiled.sql, [...compiled.parameters]));
      const plan = res.rows
        .map((r) =>
          String((r as Record<string, unknown>)['QUERY PLAN'] ?? (r as Record<string, unknown>).detail),
        )
        .join('\n');
      if (dialect === 'postgres') {
        assert.match(plan, /Index Scan Backward using endpoints_project/, plan);
        assert.doesNotMatch(plan, /Seq Scan|Sort/, plan);
      } else {
        assert.match(plan, /USING INDEX endpoints_project/, plan);
        assert.doesNotMatch(plan, /TEMP B-TREE|SCAN endpoints\s*$/m, plan);
      }
    });

    test(`GET /vpc-endpoints answers the first and the last page of ${COUNT} with the exact total`, async () => {
      const call = () =>
        server.consumer.sdk({
          method: 'GET',
          url: '/v1/{project_id}/vpc-endpoints',
          queryParams: { limit: 10 },
        });
      const page = await call();
      assert.equal(page.total_count, COUNT);
      const ids = (page.endpoints as { id: string }[]).map((e) => e.id);
      assert.deepEqual(
        ids,
        Array.from({ length: 10 }, (_, i) => `bulk-${String(COUNT - i).padStart(6, '0')}`),
      );
      const last = await server.consumer.sdk({
        method: 'GET',
        url: '/v1/{project_id}/vpc-endpoints',
        queryParams: { limit: 10, offset: COUNT - 3 },
      });
      assert.deepEqual(
        (last.endpoints as { id: string }[]).map((e) => e.id),
        ['bulk-000003', 'bulk-000002', 'bulk-000001'],
      );
    });
  });
}
