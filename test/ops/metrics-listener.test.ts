// /metrics names every tenant's endpoints: operators may move it off the
// tenant-facing address with `metrics.listen`, and then only there is it served.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rawRequest } from '../support/http.ts';
import { startLoggedServer } from './support.ts';

describe('where /metrics is served', () => {
  test('by default on the API listener', async () => {
    const server = await startLoggedServer('sqlite');
    try {
      assert.equal(server.running.metricsUrl, `${server.url}/metrics`);
      const res = await rawRequest({ method: 'GET', url: `${server.url}/metrics` });
      assert.equal(res.status, 200);
      assert.match(res.text, /^# TYPE vpcep_http_requests_total counter$/m);
    } finally {
      await server.close();
    }
  });

  test('with metrics.listen, on that listener only', async () => {
    const server = await startLoggedServer('sqlite', { overrides: { metrics: { listen: '127.0.0.1:0' } } });
    try {
      const metricsUrl = server.running.metricsUrl;
      assert.notEqual(new URL(metricsUrl).port, new URL(server.url).port);
      const onApi = await rawRequest({ method: 'GET', url: `${server.url}/metrics` });
      assert.equal(onApi.status, 404, 'the API listener no longer serves it');
      assert.doesNotMatch(onApi.text, /vpcep_/);
      // API requests are still counted, and shown on the metrics listener.
      await server.consumer.sdk({ method: 'GET', url: '/v1/{project_id}/vpcs' });
      const res = await rawRequest({ method: 'GET', url: metricsUrl });
      assert.equal(res.status, 200);
      assert.match(res.text, /vpcep_http_requests_total\{method="GET",route="\/v1\/:project_id\/vpcs"/);
      // The metrics listener serves nothing else.
      const api = await rawRequest({ method: 'GET', url: metricsUrl.replace(/\/metrics$/, '/v3/projects') });
      assert.equal(api.status, 404);
    } finally {
      await server.close();
    }
  });

  test('a node without the API serves /metrics on metrics.listen when set', async () => {
    const server = await startLoggedServer('sqlite', {
      overrides: { roles: ['jobs'], metrics: { listen: '127.0.0.1:0' } },
    });
    try {
      assert.equal(server.running.metricsUrl, `${server.url}/metrics`);
      const res = await rawRequest({ method: 'GET', url: server.running.metricsUrl });
      assert.equal(res.status, 200);
      assert.match(res.text, /^vpcep_process_/m);
    } finally {
      await server.close();
    }
  });

  test('a bad metrics.listen is a configuration error naming the key', async () => {
    await assert.rejects(
      startLoggedServer('sqlite', { overrides: { metrics: { listen: 'nowhere' } } }),
      /'metrics\.listen'/,
    );
  });
});
