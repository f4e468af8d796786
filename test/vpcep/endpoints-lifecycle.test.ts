// The asynchronous halves of endpoint create and delete (endpoints/jobs.ts).
// The create delay is set to a minute here, so an endpoint stays `creating`
// until a test runs its job handler itself: this shows the handlers are
// idempotent, that giving up marks the endpoint failed with an error entry,
// and that a delete overtaking a pending create wins.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClaimedJob } from '../../src/jobs/index.ts';
import type { VpcepChange, VpcepDeps } from '../../src/vpcep/deps.ts';
import { acceptedInterfaceEndpoints } from '../../src/vpcep/endpoints/dataplane.ts';
import { endpointJobs } from '../../src/vpcep/endpoints/jobs.ts';
import { JOB_KINDS } from '../../src/vpcep/shared/lifecycle.ts';
import { testDialects } from '../support/db.ts';
import { startTestServer, vpcepDepsOf, type TestServer } from '../support/server.ts';
import {
  createEndpoint,
  createService,
  expectError,
  getEndpoint,
  NETWORKS,
  networkOf,
  waitFor,
  waitGone,
  whitelistDomain,
  type Network,
} from './endpoints.support.ts';

for (const dialect of testDialects()) {
  describe(`endpoint lifecycle jobs (${dialect})`, () => {
    let server: TestServer;
    let netC: Network;
    let service: { id: string };
    let deps: VpcepDeps;
    const changes: VpcepChange[] = [];

    const job = (kind: string, resourceId: string, committed: (() => void)[]): ClaimedJob => ({
      afterCommit: (fn) => committed.push(fn),
      id: 0,
      kind,
      resourceId,
      payload: {},
      runAt: 0,
      attempts: 1,
      maxAttempts: 1,
      createdAt: 0,
    });
    // As the worker does: the handler's after-commit callbacks run once its transaction committed.
    const run = async (kind: string, id: string) => {
      const committed: (() => void)[] = [];
      await deps.db.transaction().execute((trx) => {
        const handler = endpointJobs(deps).handlers[kind];
        assert.ok(handler);
        return handler(trx, job(kind, id, committed));
      });
      for (const fn of committed) fn();
    };
    const newEndpoint = async () => {
      const e = await createEndpoint(server.consumer, {
        vpc_id: netC.vpcId,
        subnet_id: netC.subnetId,
        endpoint_service_id: service.id,
      });
      return String(e.id);
    };

    before(async () => {
      server = await startTestServer({
        dialect,
        accountExtras: NETWORKS,
        overrides: {
          lifecycle: {
            endpoint_service_create: 0,
            endpoint_service_delete: 0,
            endpoint_create: 60_000,
            endpoint_delete: 0,
          },
        },
      });
      const netP = await networkOf(server.provider, 'vpc-p');
      netC = await networkOf(server.consumer, 'vpc-c');
      service = await createService(server, netP, { name: 'slow' });
      await whitelistDomain(server, service.id, server.consumer.domainId);
      deps = vpcepDepsOf(server, (c) => changes.push(c));
    });
    after(async () => server.close());

    test('create stays creating until its job runs, which is durable and idempotent', async () => {
      const id = await newEndpoint();
      const jobs = await deps.db.selectFrom('jobs').selectAll().where('resource_id', '=', id).execute();
      assert.equal(jobs.length, 1);
      assert.equal(jobs[0]?.kind, JOB_KINDS.endpointCreate);
      assert.ok(Number(jobs[0]?.run_at) > Date.now() + 50_000, 'due after the configured delay');
      assert.equal((await getEndpoint(server.consumer, id)).status, 'creating');

      await run(JOB_KINDS.endpointCreate, id);
      const accepted = await getEndpoint(server.consumer, id);
      assert.equal(accepted.status, 'accepted');
      assert.equal(accepted.ip, '127.30.0.2');
      // Running it again (a retry after a crash) changes nothing.
      await run(JOB_KINDS.endpointCreate, id);
      assert.deepEqual(await getEndpoint(server.consumer, id), accepted);
      // A delete job for an endpoint that is not deleting does nothing either.
      await run(JOB_KINDS.endpointDelete, id);
      assert.equal((await getEndpoint(server.consumer, id)).status, 'accepted');

      // The data plane is told once the change is committed.
      await waitFor(
        async () => ({ seen: changes.some((c) => c.kind === 'endpoint' && c.id === id) }),
        (r) => r.seen === true,
      );
      const [forward] = await acceptedInterfaceEndpoints(deps.db, { endpointIds: [id] });
      assert.equal(forward?.ip, '127.30.0.2');
    });

    test('giving up on a create marks the endpoint failed with an error entry', async () => {
      const id = await newEndpoint();
      await deps.db.transaction().execute(async (trx) => {
        const giveUp = endpointJobs(deps).onGiveUp[JOB_KINDS.endpointCreate];
        assert.ok(giveUp);
        await giveUp(trx, job(JOB_KINDS.endpointCreate, id, []), new Error('backend exploded'));
      });
      const failed = await getEndpoint(server.consumer, id);
      assert.equal(failed.status, 'failed');
      const [entry] = failed.error as { error_code: string; error_message: string }[];
      assert.equal(entry?.error_code, 'EndPoint.2022');
      // Catalog text only: the error's own message is for the log, not the tenant.
      assert.equal(entry?.error_message, 'Failed to create an endpoint.');
      assert.equal(failed.ip, undefined);
      await expectError(
        server.consumer.sdk({
          method: 'PUT',
          url: `/v1/{project_id}/vpc-endpoints/${id}`,
          data: { whitelist: [] },
        }),
        400,
        'EndPoint.2047',
      );
      // A failed endpoint can still be deleted, which frees its address and quota.
      await server.consumer.sdk({ method: 'DELETE', url: `/v1/{project_id}/vpc-endpoints/${id}` });
      await waitGone(server.consumer, id);
    });

    test('a delete overtaking a pending create cancels it', async () => {
      const id = await newEndpoint();
      const res = await server.consumer.sdk({
        method: 'DELETE',
        url: `/v1/{project_id}/vpc-endpoints/${id}`,
      });
      assert.equal(res.httpStatusCode, 204);
      await waitGone(server.consumer, id);
      const left = await deps.db.selectFrom('jobs').selectAll().where('resource_id', '=', id).execute();
      assert.deepEqual(left, [], 'the create job went with the endpoint');
      const ports = await deps.db.selectFrom('ports').selectAll().where('device_id', '=', id).execute();
      assert.deepEqual(ports, [], 'the address went back to the subnet');
    });

    test('a create job finds the service gone: the endpoint fails', async () => {
      const id = await newEndpoint();
      await deps.db
        .updateTable('endpoint_services')
        .set({ status: 'failed' })
        .where('id', '=', service.id)
        .execute();
      try {
        await run(JOB_KINDS.endpointCreate, id);
      } finally {
        await deps.db
          .updateTable('endpoint_services')
          .set({ status: 'available' })
          .where('id', '=', service.id)
          .execute();
      }
      const failed = await getEndpoint(server.consumer, id);
      assert.equal(failed.status, 'failed');
      assert.equal((failed.error as { error_code: string }[])[0]?.error_code, 'EndPoint.2004');
    });
  });
}
