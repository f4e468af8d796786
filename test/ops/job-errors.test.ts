// A job that fails for good marks its resource `failed` with an error entry the
// tenant reads. That entry carries catalog text only: a driver's message names
// tables, constraints and SQL, which are the operator's business and go to the
// log, with the job id.
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/store/schema.ts';
import { testDialects, type TestDialect } from '../support/db.ts';
import { waitUntil } from '../support/wait.ts';
import { NETWORKS, networkOf, publicGatewayService } from '../vpcep/endpoints.support.ts';
import { startLoggedServer, type LoggedServer } from './support.ts';

const MARKER = 'secret_guard_chk';
const DRIVER_TEXT = `new row for relation violates check constraint "${MARKER}"`;

/** Makes every update of `table` to `status` fail the way a constraint violation does. */
async function failUpdatesTo(db: Kysely<Database>, dialect: TestDialect, table: string, status: string) {
  const name = `${MARKER}_${table}`;
  if (dialect === 'sqlite') {
    await sql
      .raw(
        `CREATE TRIGGER ${name} BEFORE UPDATE OF status ON ${table} WHEN NEW.status = '${status}'
         BEGIN SELECT RAISE(ABORT, '${DRIVER_TEXT}'); END`,
      )
      .execute(db);
    return;
  }
  await sql
    .raw(
      `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION '${DRIVER_TEXT}' USING ERRCODE = '23514'; END $$`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER ${name} BEFORE UPDATE ON ${table} FOR EACH ROW
       WHEN (NEW.status = '${status}') EXECUTE FUNCTION ${name}()`,
    )
    .execute(db);
}

for (const dialect of testDialects()) {
  describe(`job failures show tenants catalog text only (${dialect})`, () => {
    let server: LoggedServer;
    before(async () => {
      server = await startLoggedServer(dialect, {
        accountExtras: NETWORKS,
        // One attempt: the first failure is final.
        overrides: { jobs: { poll_ms: 20, lease_ms: 5000, max_attempts: 1 } },
      });
    });
    after(async () => server.close());

    /** The worker's log line about job `jobId`'s giving up, with the driver's text. */
    function giveUpLine() {
      return server.log.lines.find((l) => /gave up/.test(l.msg) && JSON.stringify(l).includes(MARKER));
    }

    test('an endpoint whose create job hit a constraint error is failed with EndPoint.2022 and its catalog message', async () => {
      await failUpdatesTo(server.running.store.db, dialect, 'endpoints', 'accepted');
      const net = await networkOf(server.consumer, 'vpc-c');
      const gateway = await publicGatewayService(server);
      const created = await server.consumer.sdk({
        method: 'POST',
        url: '/v1/{project_id}/vpc-endpoints',
        data: { endpoint_service_id: gateway.id, vpc_id: net.vpcId, subnet_id: net.subnetId },
      });
      const id = String(created.id);
      const failed = await waitUntil(
        () => server.consumer.sdk({ method: 'GET', url: `/v1/{project_id}/vpc-endpoints/${id}` }),
        (e) => e.status !== 'creating',
        'the endpoint to leave creating',
      );
      assert.equal(failed.status, 'failed');
      const entries = failed.error as Record<string, unknown>[];
      assert.equal(entries.length, 1);
      assert.equal(entries[0]?.error_code, 'EndPoint.2022');
      assert.equal(entries[0]?.error_message, 'Failed to create an endpoint.');
      assert.ok(!JSON.stringify(failed).includes(MARKER), JSON.stringify(failed));
      // The operator still learns what happened, and for which job.
      const line = await waitUntil(giveUpLine, (l) => l !== undefined, 'the give-up to be logged');
      assert.equal(typeof line?.jobId, 'number');
      assert.equal(line?.resourceId, id);
    });

    test('an endpoint service whose create job hit a constraint error is failed with EndPoint.0001 and its catalog message', async () => {
      await failUpdatesTo(server.running.store.db, dialect, 'endpoint_services', 'available');
      const net = await networkOf(server.provider, 'vpc-p');
      const created = await server.provider.sdk({
        method: 'POST',
        url: '/v1/{project_id}/vpc-endpoint-services',
        data: {
          port_id: net.backendPortId,
          vpc_id: net.vpcId,
          service_type: 'interface',
          server_type: 'VM',
          ports: [{ client_port: 8080, server_port: 80, protocol: 'TCP' }],
        },
      });
      const id = String(created.id);
      const failed = await waitUntil(
        () => server.provider.sdk({ method: 'GET', url: `/v1/{project_id}/vpc-endpoint-services/${id}` }),
        (s) => s.status !== 'creating',
        'the service to leave creating',
      );
      assert.equal(failed.status, 'failed');
      const entries = failed.error as Record<string, unknown>[];
      assert.equal(entries.at(-1)?.error_code, 'EndPoint.0001');
      assert.equal(entries.at(-1)?.error_message, 'System error. Please retry.');
      assert.ok(!JSON.stringify(failed).includes(MARKER), JSON.stringify(failed));
    });
  });
}
