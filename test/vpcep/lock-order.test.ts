// The lock order of docs/design/architecture.md, where a transaction of the API meets a
// job handler: a job row comes before the row of the resource it acts on. The
// worker runs a handler inside the transaction that first deletes the job's
// row, so a handler holds its job row and then writes its resource; an API call
// that cancels that job must do so before it locks the resource, or the two
// wait for each other (PostgreSQL detects the deadlock after a second and
// aborts one of them: a 500 for the client, or a lost handler run).
//
// The handler is played by a transaction of the test that takes the same rows
// in the same order as the worker and the service.create handler (delete the
// job row, then move the service to `available`), so the test can hold it open
// at the one moment that matters. On SQLite every transaction holds the
// database's write lock from BEGIN, so there the calls simply run one after the
// other; the outcome asserted is the same.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { ServiceView } from '../../src/vpcep/services/views.ts';
import { JOB_KINDS } from '../../src/vpcep/shared/lifecycle.ts';
import { testDialects } from '../support/db.ts';
import { startTestServer, type TestAccount, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';
import { inventory, PROVIDER_VPCS, SERVICES, status, wire } from './services.support.ts';

for (const dialect of testDialects()) {
  describe(`lock order of the VPCEP module (${dialect})`, () => {
    let server: TestServer;
    let provider: TestAccount;
    let ids: Awaited<ReturnType<typeof inventory>>;

    before(async () => {
      server = await startTestServer({
        dialect,
        accountExtras: { provider: PROVIDER_VPCS },
        // The create job stays pending until the test plays it; deletes run at once.
        overrides: {
          lifecycle: {
            endpoint_service_create: 3_600_000,
            endpoint_service_delete: 0,
            endpoint_create: 0,
            endpoint_delete: 0,
          },
        },
      });
      provider = server.provider;
      ids = await inventory(provider);
    });
    after(async () => server.close());

    /** Sessions of this test's database waiting for a row lock right now (PostgreSQL). */
    const lockWaiters = async () => {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(server.running.store.db);
      return rows[0]?.n ?? 0;
    };

    test('a service DELETE meeting its running create job: both commit, the service is deleted', async () => {
      const created = wire<ServiceView>(
        await provider.sdk({
          method: 'POST',
          url: SERVICES,
          data: {
            port_id: ids.port('127.20.0.10'),
            vpc_id: ids.vpc('vpc-a'),
            server_type: 'VM',
            ports: [{ client_port: 80, server_port: 7001, protocol: 'TCP' }],
          },
        }),
      );
      assert.equal(created.status, 'creating');
      const { db } = server.running.store;
      const job = await db
        .selectFrom('jobs')
        .select('id')
        .where('kind', '=', JOB_KINDS.serviceCreate)
        .where('resource_id', '=', created.id)
        .executeTakeFirstOrThrow();

      // The handler's first step: its job row, deleted and held until commit.
      const handler = await db.startTransaction().execute();
      let handlerDone = false;
      try {
        await handler.deleteFrom('jobs').where('id', '=', job.id).execute();
        const deleting = status(provider.sdk({ method: 'DELETE', url: `${SERVICES}/${created.id}` }));
        if (dialect === 'postgres') {
          // The DELETE is now waiting for the job row (and must hold nothing the handler needs next).
          await waitUntil(lockWaiters, (n) => n > 0, 'the DELETE waiting for the job row');
        }
        // The handler's second step: the service becomes available.
        await handler
          .updateTable('endpoint_services')
          .set({ status: 'available', updated_at: Date.now() })
          .where('id', '=', created.id)
          .where('status', '=', 'creating')
          .execute();
        await handler.commit().execute();
        handlerDone = true;
        assert.equal(await deleting, 204);
      } finally {
        if (!handlerDone) await handler.rollback().execute();
      }
      await waitUntil(
        () => status(provider.sdk({ method: 'GET', url: `${SERVICES}/${created.id}` })),
        (code) => code === 404,
        'the service deleted by its delete job',
      );
    });
  });
}
