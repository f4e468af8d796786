// GET /metrics: public, Prometheus text, API requests counted by route template.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('GET /metrics', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  test('needs no credentials and speaks the Prometheus text format', async () => {
    const res = await rawRequest({ method: 'GET', url: `${server.url}/metrics` });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(res.text, /^# TYPE vpcep_http_requests_total counter$/m);
    assert.match(res.text, /^# TYPE vpcep_endpoint_connections_total counter$/m);
    assert.match(res.text, /^vpcep_dataplane_listeners \d+$/m);
    assert.match(res.text, /^vpcep_dns_queries_total \d+$/m);
    assert.match(res.text, /^vpcep_process_resident_memory_bytes \d+/m);
  });

  test('requests are counted by route template; unknown paths share one label', async () => {
    await server.provider.sdk({ method: 'GET', url: '/v1/{project_id}/vpc-endpoints' });
    for (const path of ['/nope/1', '/nope/2/x', '/v1/x/vpc-endpoints/y/z']) {
      assert.equal((await rawRequest({ method: 'GET', url: `${server.url}${path}` })).status, 404);
    }
    const text = (await rawRequest({ method: 'GET', url: `${server.url}/metrics` })).text;
    assert.match(
      text,
      /^vpcep_http_requests_total\{method="GET",route="\/v1\/:project_id\/vpc-endpoints",status_code="200"\} [1-9]/m,
    );
    assert.match(text, /^vpcep_http_requests_total\{method="GET",route="unmatched",status_code="404"\} 3$/m);
    assert.doesNotMatch(text, /nope/);
    assert.match(text, /^vpcep_http_request_duration_seconds_count\{method="GET",route="unmatched"\} 3$/m);
  });

  test('other methods get the API edge 405', async () => {
    const res = await rawRequest({ method: 'POST', url: `${server.url}/metrics`, body: '{}' });
    assert.equal(res.status, 405);
    assert.equal((res.json as { error_code?: string }).error_code, 'EndPoint.0008');
  });
});
